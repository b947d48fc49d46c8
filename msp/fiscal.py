"""Fiscal identity: the numbers an e-invoice carries, checked the way the tax offices check them.

VAT numbers are kept compact with their country prefix ("IT01234567897", "DE136695976"), the
form EN 16931 and the VIES use; FatturaPA splits the prefix off again (`vat_parts`). EU numbers
(and the UK's and Switzerland's) are validated with python-stdnum's checksums; elsewhere the
number is kept as typed, since no common rule exists. Italian fiscal codes are a person's
16-character codice fiscale or a company's 11-digit one (its partita IVA).
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat as eu_vat
from stdnum.it import codicefiscale, iva

EU_VAT_COUNTRIES = {code.upper() for code in eu_vat.MEMBER_STATES} - {"XI"} | {"GR"}
# Greece's VAT prefix is EL, its ISO code GR.
VAT_PREFIX = {"GR": "EL"}

# The SdI's routing codes: 7 characters for a business or a private person ("0000000" with a
# PEC or none), 6 for a public administration's office (Codice Univoco Ufficio, IPA).
SDI_CODE_B2B = re.compile(r"^[A-Z0-9]{7}$")
SDI_CODE_PA = re.compile(r"^[A-Z0-9]{6}$")
SDI_NO_CODE = "0000000"
PROVINCE = re.compile(r"^[A-Z]{2}$")
ITALIAN_POSTCODE = re.compile(r"^\d{5}$")


def vat_prefix(country: str) -> str:
    return VAT_PREFIX.get(country.upper(), country.upper())


def vat_normalise(country: str, number: str) -> str:
    """The VAT number compact and prefixed with its country; raises ValidationError when a
    number of a country we can check is wrong."""
    number = re.sub(r"[\s.\-/]", "", number or "").upper()
    if not number:
        return ""
    country = (country or "").upper()
    if not country:
        # No country yet (an identity from before countries were asked): an EU prefix still
        # tells whose rules apply; anything else is kept as typed until the country is chosen.
        guessed = {vat_prefix(code): code for code in EU_VAT_COUNTRIES}.get(number[:2])
        if guessed is None:
            return number
        country = guessed
    prefix = vat_prefix(country)
    if number[:2] == prefix:
        number = number[2:]
    elif number[:2].isalpha() and number[:2] != prefix:
        raise ValidationError(
            _("%(number)s is not a VAT number of %(country)s (it starts with %(prefix)s).")
            % {"number": number, "country": country, "prefix": number[:2]}
        )
    module = _vat_module(country)
    if module is not None:
        try:
            module.validate(prefix + number if module is eu_vat else number)
        except stdnum_errors.ValidationError:
            raise ValidationError(
                _("%(number)s is not a valid VAT number of %(country)s: check its digits.")
                % {"number": prefix + number, "country": country}
            ) from None
    elif not re.fullmatch(r"[A-Z0-9]{2,28}", number):
        raise ValidationError(_("A VAT number has only letters and digits."))
    return prefix + number


def _vat_module(country: str):
    if country in EU_VAT_COUNTRIES:
        return eu_vat
    if country == "GB":
        from stdnum.gb import vat as gb_vat

        return gb_vat
    if country == "CH":
        from stdnum.ch import vat as ch_vat

        return ch_vat
    return None


def vat_parts(vat_number: str) -> tuple[str, str]:
    """("IT", "01234567897") from "IT01234567897": FatturaPA's IdPaese and IdCodice."""
    return vat_number[:2], vat_number[2:]


def fiscal_code_normalise(country: str, code: str) -> str:
    """An Italian codice fiscale (a person's 16 characters, or a company's 11 digits) checked;
    elsewhere the tax identifier as typed, compacted."""
    code = re.sub(r"[\s.\-/]", "", code or "").upper()
    if not code:
        return ""
    if (country or "").upper() == "IT":
        module = iva if code.isdigit() else codicefiscale
        try:
            module.validate(code)
        except stdnum_errors.ValidationError:
            raise ValidationError(
                _("%(code)s is not a valid Italian fiscal code: 16 characters for a person, "
                  "11 digits for a company.")
                % {"code": code}
            ) from None
    elif not re.fullmatch(r"[A-Z0-9]{2,28}", code):
        raise ValidationError(_("A fiscal code has only letters and digits."))
    return code


def sdi_code_normalise(code: str, *, public_administration: bool) -> str:
    code = re.sub(r"\s", "", code or "").upper()
    if not code:
        return ""
    pattern = SDI_CODE_PA if public_administration else SDI_CODE_B2B
    if not pattern.fullmatch(code):
        if public_administration:
            raise ValidationError(
                _("A public administration's office code (Codice Univoco Ufficio) has 6 letters or digits.")
            )
        raise ValidationError(_("The Codice Destinatario has 7 letters or digits."))
    return code
