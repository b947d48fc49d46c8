"""The MSP's tax rates: a percentage, and where it is zero, why (the exemption's nature).

Italy's FatturaPA names the reason a line carries no VAT with a *Natura* code (N1–N7, some with
sub-codes) and a legal reference; EN 16931 names it with a VAT category (E exempt, AE reverse
charge, K intra-community, G export, O outside scope, Z zero rated). A rate carries the Italian
code and the category follows from it (`vat_category`), so reverse charge is a rate like any
other. `code` is the MSP's own short name for the rate, the VAT code accounting exports carry.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from contracts.models import PERCENT
from msp.scoping import TenantOwnedModel


class TaxNature(models.TextChoices):
    N1 = "N1", _("N1 Excluded (art. 15)")
    N2_1 = "N2.1", _("N2.1 Not subject: services to EU businesses (arts. 7 to 7-septies)")
    N2_2 = "N2.2", _("N2.2 Not subject: other cases")
    N3_1 = "N3.1", _("N3.1 Not taxable: exports")
    N3_2 = "N3.2", _("N3.2 Not taxable: intra-community supplies")
    N3_3 = "N3.3", _("N3.3 Not taxable: supplies to San Marino")
    N3_4 = "N3.4", _("N3.4 Not taxable: operations treated as exports")
    N3_5 = "N3.5", _("N3.5 Not taxable: after a declaration of intent")
    N3_6 = "N3.6", _("N3.6 Not taxable: other operations")
    N4 = "N4", _("N4 Exempt")
    N5 = "N5", _("N5 Margin scheme")
    N6_1 = "N6.1", _("N6.1 Reverse charge: scrap")
    N6_2 = "N6.2", _("N6.2 Reverse charge: gold and silver")
    N6_3 = "N6.3", _("N6.3 Reverse charge: construction subcontracting")
    N6_4 = "N6.4", _("N6.4 Reverse charge: buildings")
    N6_5 = "N6.5", _("N6.5 Reverse charge: mobile phones")
    N6_6 = "N6.6", _("N6.6 Reverse charge: electronic devices")
    N6_7 = "N6.7", _("N6.7 Reverse charge: construction services")
    N6_8 = "N6.8", _("N6.8 Reverse charge: energy sector")
    N6_9 = "N6.9", _("N6.9 Reverse charge: other cases")
    N7 = "N7", _("N7 VAT paid in another EU country")


def vat_category(rate: Decimal, nature: str) -> str:
    """The EN 16931 VAT category (UNCL 5305) of a rate and its nature."""
    if not nature:
        return "S" if Decimal(rate) > 0 else "Z"
    if nature.startswith("N6"):
        return "AE"
    if nature == "N2.1":
        return "AE"  # services to an EU business: the buyer accounts for the VAT
    if nature in ("N3.2",):
        return "K"
    if nature in ("N3.1", "N3.3", "N3.4"):
        return "G"
    if nature in ("N4", "N5", "N3.5", "N3.6"):
        return "E"
    return "O"  # N1, N2.2, N7: outside the scope of this VAT


class TaxRate(TenantOwnedModel):
    CHOICE_LABEL = "name"

    name = models.CharField(_("name"), max_length=100)
    code = models.CharField(
        _("VAT code"),
        max_length=20,
        help_text=_("Your short name for it, used in accounting exports (e.g. 22, N4)."),
    )
    rate = models.DecimalField(_("rate (%)"), max_digits=5, decimal_places=2, validators=PERCENT)
    nature = models.CharField(
        _("exemption nature"),
        max_length=4,
        choices=TaxNature.choices,
        blank=True,
        help_text=_("Why a 0 % line carries no VAT (Italy's Natura); required when the rate is 0."),
    )
    legal_reference = models.CharField(
        _("legal reference"),
        max_length=100,
        blank=True,
        help_text=_("Printed on the invoice with the exemption, e.g. 'Art. 10 DPR 633/72'."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-rate", "name"]
        verbose_name = _("tax rate")
        verbose_name_plural = _("tax rates")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="%(app_label)s_%(class)s_unique_code"),
            models.CheckConstraint(
                condition=Q(rate=0, nature__gt="") | (Q(rate__gt=0) & Q(nature="")),
                name="%(app_label)s_%(class)s_nature_iff_zero",
                violation_error_message=_("A 0 % rate needs its exemption nature; a positive rate has none."),
            ),
        ]
        indexes = [models.Index(fields=["tenant", "name", "id"], name="taxrate_tenant_name")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("billing:taxrate-update", args=[self.pk])

    def clean(self):
        super().clean()
        if self.rate is not None and Decimal(self.rate) == 0 and not self.nature:
            raise ValidationError({"nature": _("A 0 % rate needs its exemption nature (N1–N7).")})
        if self.rate is not None and Decimal(self.rate) > 0 and self.nature:
            raise ValidationError({"nature": _("Only a 0 % rate has an exemption nature.")})

    @property
    def category(self) -> str:
        return vat_category(self.rate, self.nature)
