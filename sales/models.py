"""Offers: tiered quotes for a client, one frozen option per tier, that become contracts."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField

from contracts.models import MONEY, PERCENT, ServiceTier
from msp.models.tenancy import CURRENCY_CHOICES
from msp.scoping import TenantOwnedModel
from sales.choices import OfferStatus


class Offer(TenantOwnedModel):
    """A tiered quote for one client: one option per tier, priced and then frozen."""

    CLIENT_PATH = "client"

    client = models.ForeignKey(
        "msp.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="offers"
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=OfferStatus.choices, default=OfferStatus.DRAFT
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    discount_percent = models.DecimalField(
        _("discount (%)"), max_digits=5, decimal_places=2, default=0, validators=PERCENT
    )
    hour_block_minutes = models.PositiveIntegerField(_("prepaid hours add-on (minutes)"), default=0)
    hour_block_price = MoneyField(_("prepaid hours add-on price"), null=True, blank=True, **MONEY)
    recommended_tier = models.ForeignKey(
        ServiceTier,
        verbose_name=_("recommended tier"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    notes = models.TextField(_("notes for the client"), blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    accepted_option = models.ForeignKey(
        "OfferOption", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The contract its acceptance created. The link points from sales to contracts, so that
    # contracts/ knows nothing of offers; a deleted contract leaves the offer in the history.
    contract = models.OneToOneField(
        "contracts.Contract", on_delete=models.SET_NULL, null=True, blank=True, related_name="offer"
    )

    class Meta:
        db_table = "contracts_offer"  # born in contracts/: the table kept its name
        ordering = ["-created_at"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        indexes = [
            models.Index(fields=["tenant", "status"]),
            # The API's orderings (newest first by default).
            models.Index(fields=["tenant", "created_at", "id"], name="offer_tenant_created"),
            models.Index(fields=["tenant", "sent_at", "id"], name="offer_tenant_sent"),
        ]

    def __str__(self) -> str:
        return self.title or _("Offer %(number)s") % {"number": self.pk}

    def get_absolute_url(self) -> str:
        return reverse("offers:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in (OfferStatus.DRAFT, OfferStatus.SENT)


class OfferOption(TenantOwnedModel):
    """One column of an offer, frozen when saved: later price changes never touch it.

    `lines` is the snapshot: [{"kind" or "service", "label", "quantity", "unit_price"}].
    """

    CLIENT_PATH = "offer__client"

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="options")
    tier = models.ForeignKey(ServiceTier, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(default=0)
    features = models.JSONField(default=list)
    includes_labour = models.BooleanField(default=False)
    onsite_discount_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    lines = models.JSONField(default=list)
    monthly_total = MoneyField(_("monthly total"), **MONEY)

    class Meta:
        db_table = "contracts_offeroption"
        ordering = ["offer", "position"]

    def __str__(self) -> str:
        return self.name

    @property
    def quantities(self) -> dict[str, int]:
        return {line["kind"]: line["quantity"] for line in self.lines if "kind" in line}
