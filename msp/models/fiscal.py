"""The fiscal identity the MSP and its clients share: a structured address and tax numbers.

E-invoices (FatturaPA, EN 16931) need the address in parts and the numbers checked; the free
text address stays for the printed documents of MSPs that never send e-invoices. `clean()`
normalises and checks the numbers by the country's rules (msp.fiscal), so the browser's forms
and the API's serializers (which call `full_clean`) give the same messages.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from msp import fiscal


class FiscalIdentity(models.Model):
    vat_number = models.CharField(
        _("VAT number"),
        max_length=30,
        blank=True,
        help_text=_("With or without the country prefix; checked by the country's rules."),
    )
    fiscal_code = models.CharField(
        _("fiscal code"),
        max_length=30,
        blank=True,
        help_text=_("Italy: the codice fiscale (16 characters for a person, 11 digits for a company)."),
    )
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    province = models.CharField(
        _("province"), max_length=40, blank=True, help_text=_("Italy: the two-letter code (MI, RM…).")
    )
    country = CountryField(_("country"), blank=True)
    pec = models.EmailField(
        _("PEC address"), blank=True, help_text=_("Italy: certified e-mail (posta elettronica certificata).")
    )

    class Meta:
        abstract = True

    @property
    def country_code(self) -> str:
        return str(self.country.code if hasattr(self.country, "code") else self.country or "")

    def clean(self):
        super().clean()
        errors = {}
        country = self.country_code
        for name, normalise in (("vat_number", fiscal.vat_normalise), ("fiscal_code", fiscal.fiscal_code_normalise)):
            try:
                setattr(self, name, normalise(country, getattr(self, name)))
            except ValidationError as error:
                errors[name] = error.messages
        self.province = (self.province or "").strip().upper() if country == "IT" else (self.province or "").strip()
        self.postcode = (self.postcode or "").strip()
        if country == "IT":
            if self.province and not fiscal.PROVINCE.fullmatch(self.province):
                errors["province"] = [_("An Italian province is its two-letter code (MI, RM…).")]
            if self.postcode and not fiscal.ITALIAN_POSTCODE.fullmatch(self.postcode):
                errors["postcode"] = [_("An Italian postcode (CAP) has 5 digits.")]
        if errors:
            raise ValidationError(errors)

    @property
    def has_fiscal_address(self) -> bool:
        return bool(self.street and self.city and self.country_code and (self.postcode or self.country_code != "IT"))
