"""Browser forms of billing: a payment, a reason (void, credit note), the run's period."""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import BillingSettings, ClientBillingTerms, PaymentMethod, TaxRate
from billing.periods import Period
from msp.forms.base import TenantFormMixin, TenantModelForm


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


class StatementForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def period(self) -> tuple:
        """(from, to): as given when valid, else the last twelve months to today."""
        today = timezone.localdate()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        end = data.get("end") or today
        start = data.get("start") or end - datetime.timedelta(days=365)
        return (start, end) if start <= end else (end, start)


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
        fields = ["payment_terms_days", "vat", "tax_rate", "tax_note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rates = TaxRate.objects.order_by("-rate", "name", "pk")
        current = self.instance.vat_id
        # Retired rates stay choosable only by the client that already has one.
        self.fields["vat"].queryset = rates.filter(is_active=True) | rates.filter(pk=current)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("vat") and cleaned.get("tax_rate") is not None:
            self.add_error("tax_rate", _("Choose a rate from the catalogue or type a percentage, not both."))
        return cleaned


class TaxRateForm(TenantModelForm):
    class Meta:
        model = TaxRate
        fields = ["name", "code", "rate", "nature", "legal_reference", "is_active"]

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        others = TaxRate.objects.filter(code__iexact=code).exclude(pk=self.instance.pk)
        if code and others.exists():
            raise forms.ValidationError(_("Another rate already has this VAT code."), code="duplicate")
        return code


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
