"""Forms of the inbox's pages: assigning a received e-mail to a client."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from msp.forms.base import TenantFormMixin
from msp.models import Client


class AssignForm(TenantFormMixin, forms.Form):
    client = forms.ModelChoiceField(queryset=Client.objects.none(), label=_("Client"))
    create_contact = forms.BooleanField(
        label=_("Add the sender as a contact of the client"),
        required=False,
        initial=True,
        help_text=_("Unless the client already has a contact with this address."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.order_by("name").only("pk", "name")
