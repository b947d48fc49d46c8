from django import forms
from django.utils.translation import gettext_lazy as _

from msp.forms.base import TenantModelForm
from msp.models import Client, Contact, Site
from msp.models.clients import REPORT_RECIPIENT_NEEDS_EMAIL
from msp.selectors import client_name_taken, site_name_taken


class ClientForm(TenantModelForm):
    class Meta:
        model = Client
        fields = [
            "name",
            "currency",
            "timezone",
            "language",
            "billing_email",
            "phone",
            "notes",
            # the fiscal identity its invoices carry (msp.models.fiscal: checked in Client.clean)
            "legal_name",
            "vat_number",
            "fiscal_code",
            "street",
            "postcode",
            "city",
            "province",
            "country",
            "sdi_code",
            "pec",
            "public_administration",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if client_name_taken(name=name, exclude_pk=self.instance.pk):
            raise forms.ValidationError(_("A client with this name already exists."), code="duplicate")
        return name


class SiteForm(TenantModelForm):
    class Meta:
        model = Site
        fields = ["name", "address", "phone", "notes"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3}), "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, client: Client, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if site_name_taken(client=self.client, name=name, exclude_pk=self.instance.pk):
            raise forms.ValidationError(_("This client already has a site with this name."), code="duplicate")
        return name


class ContactForm(TenantModelForm):
    class Meta:
        model = Contact
        fields = ["name", "email", "phone", "job_title", "site", "portal_access", "receives_reports"]

    def __init__(self, *args, client: Client, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client
        self.fields["site"].queryset = Site.objects.filter(client=client)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("receives_reports") and not cleaned.get("email") and "email" not in self._errors:
            self.add_error("email", REPORT_RECIPIENT_NEEDS_EMAIL)
        return cleaned
