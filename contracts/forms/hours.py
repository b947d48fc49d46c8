from django import forms
from django.utils.translation import gettext_lazy as _
from djmoney.forms.fields import MoneyField

from contracts.models import BlockOrigin


class BlockPurchaseForm(forms.Form):
    hours = forms.IntegerField(label=_("Hours"), min_value=0, max_value=10000, initial=10)
    extra_minutes = forms.IntegerField(
        label=_("and minutes"), min_value=0, max_value=59, initial=0, required=False
    )
    price = MoneyField(label=_("Price"), max_digits=14, decimal_places=2)
    origin = forms.ChoiceField(
        label=_("Origin"),
        choices=[
            (BlockOrigin.MANUAL, BlockOrigin.MANUAL.label),
            (BlockOrigin.INITIAL, BlockOrigin.INITIAL.label),
        ],
        initial=BlockOrigin.MANUAL,
    )
    expires_at = forms.DateTimeField(
        label=_("Expires"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def minutes(self) -> int:
        return self.cleaned_data["hours"] * 60 + (self.cleaned_data.get("extra_minutes") or 0)
