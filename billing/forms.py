"""Browser forms of billing: a payment, a reason (void, credit note), the run's period."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import BillingSettings, ClientBillingTerms, PaymentMethod
from billing.periods import Period
from msp.forms.base import TenantFormMixin


class PaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, min_value=0)
    paid_at = forms.DateField(label=_("Paid on"), widget=forms.DateInput(attrs={"type": "date"}))
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices)
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)

    def __init__(self, *args, invoice=None, **kwargs):
        super().__init__(*args, **kwargs)
        if invoice is not None and not self.is_bound:
            self.initial.setdefault("amount", invoice.outstanding.amount)
            self.initial.setdefault("paid_at", timezone.localdate())


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=255)


class RunForm(forms.Form):
    period = forms.CharField(
        label=_("Month"), max_length=7, help_text=_("YYYY-MM: the month to bill, e.g. 2026-11.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("period", str(Period.of(timezone.localdate()).previous()))

    def clean_period(self) -> Period:
        try:
            return Period.parse(self.cleaned_data["period"])
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from error


class BillingSettingsForm(TenantFormMixin, forms.ModelForm):
    class Meta:
        model = BillingSettings
        fields = ["auto_issue", "billing_starts", "onsite_fee", "show_comparison"]
        widgets = {"billing_starts": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class ClientBillingTermsForm(TenantFormMixin, forms.ModelForm):
    class Meta:
        model = ClientBillingTerms
        fields = ["payment_terms_days", "tax_rate", "tax_note"]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ReceiptFilesField(forms.FileField):
    """One or more files, as a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".xml,text/xml,application/xml"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        items = data if isinstance(data, list | tuple) else [data]
        return [super(ReceiptFilesField, self).clean(item, initial) for item in items if item] or [
            super().clean(None, initial)
        ]


class SdiReceiptUploadForm(forms.Form):
    """SdI receipt files (RC, MC, NS, NE, DT, AT) as the intermediary or the PEC gave them."""

    MAX_FILES = 50

    files = ReceiptFilesField(label=_("Receipt files (XML)"))

    def clean_files(self):
        files = self.cleaned_data["files"]
        if len(files) > self.MAX_FILES:
            raise ValidationError(
                _("At most %(count)d files at a time; drop more into the watched folder.")
                % {"count": self.MAX_FILES}
            )
        return files
