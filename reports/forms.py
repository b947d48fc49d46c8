"""Browser forms of monthly reports: which client and month, a month of every client, a link."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.periods import Period
from msp.forms.base import TenantFormMixin
from msp.forms.widgets import QuickSelect
from msp.models import Client
from reports.shares import DEFAULT_LIFETIME, LIFETIMES


class PeriodField(forms.CharField):
    """A month, typed YYYY-MM (a browser's <input type="month"> sends that): a Period."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Month"))
        kwargs.setdefault("max_length", 7)
        super().__init__(**kwargs)

    def clean(self, value) -> Period:
        text = super().clean(value)
        try:
            return Period.parse(text)
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from error


def last_month() -> str:
    return str(Period.of(timezone.localdate()).previous())


class ReportMonthForm(TenantFormMixin, forms.Form):
    """A client and a month: to preview, or to generate."""

    client = forms.ModelChoiceField(queryset=Client.objects.none(), label=_("Client"), widget=QuickSelect)
    period = PeriodField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.order_by("name").only("pk", "name")
        if not self.is_bound:
            self.initial.setdefault("period", last_month())


class MonthRunForm(forms.Form):
    period = PeriodField(help_text=_("YYYY-MM: every client with something to report gets its draft."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("period", last_month())


class ShareForm(forms.Form):
    days = forms.TypedChoiceField(
        label=_("The link works for"), choices=LIFETIMES, coerce=int, initial=DEFAULT_LIFETIME
    )
