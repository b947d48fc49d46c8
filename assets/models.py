from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assets.choices import AssetKind, PatchStatus
from msp.scoping import TenantManager, TenantOwnedModel, TenantQuerySet
from msp.search import search_column, search_conditions

# A warranty ending within this many days is shown as "expiring soon".
WARRANTY_SOON_DAYS = 30


# What the asset search (the API's `?search=`, the list's `q`, the pick lists) looks in.
SEARCHED_FIELDS = ("name", "hostname", "serial")


class AssetQuerySet(TenantQuerySet):
    def search(self, *terms: str):
        """The assets whose name, host name or serial holds every term (case-insensitive
        substrings, as DRF's SearchFilter over those fields): one LIKE per term on
        `search_text`, read from its trigram index (msp.search)."""
        return self.filter(*search_conditions(terms, column="search_text", fields=SEARCHED_FIELDS))


class Asset(TenantOwnedModel):
    """A machine or device a client owns and the MSP looks after."""

    CHOICE_LABEL = "name"
    CLIENT_PATH = "client"

    client = models.ForeignKey(
        "msp.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="assets"
    )
    site = models.ForeignKey(
        "msp.Site",
        verbose_name=_("site"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assets",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AssetKind.choices)
    name = models.CharField(_("name"), max_length=200)
    hostname = models.CharField(_("hostname"), max_length=255, blank=True)
    serial = models.CharField(_("serial number"), max_length=100, blank=True)
    manufacturer = models.CharField(_("manufacturer"), max_length=100, blank=True)
    model = models.CharField(_("model"), max_length=100, blank=True)
    operating_system = models.CharField(_("operating system"), max_length=100, blank=True)
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    warranty_expires = models.DateField(_("warranty expires"), null=True, blank=True)
    assigned_contact = models.ForeignKey(
        "msp.Contact",
        verbose_name=_("assigned to"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assets",
    )
    monitored = models.BooleanField(_("monitored"), default=False)
    last_seen = models.DateTimeField(_("last seen"), null=True, blank=True)
    patch_status = models.CharField(
        _("patch status"), max_length=20, choices=PatchStatus.choices, default=PatchStatus.UNKNOWN
    )
    missing_patches = models.PositiveIntegerField(_("missing patches"), default=0)
    last_patched = models.DateTimeField(_("last patched"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The tenant and the searched fields, upper-cased, in one column for one trigram index
    # (msp.search); written by the database, never shown.
    search_text = models.GeneratedField(
        expression=search_column(*SEARCHED_FIELDS), output_field=models.TextField(), db_persist=True
    )

    objects = TenantManager.from_queryset(AssetQuerySet)()
    unscoped = models.Manager.from_queryset(AssetQuerySet)()

    class Meta:
        ordering = ["client__name", "name"]
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        indexes = [
            models.Index(fields=["tenant", "client", "kind"]),
            models.Index(fields=["tenant", "warranty_expires"]),
            models.Index(fields=["tenant", "hostname"]),
            # The API's orderings (hostname and warranty_expires read the two above).
            models.Index(fields=["tenant", "name", "id"], name="asset_tenant_name"),
            models.Index(fields=["tenant", "kind", "id"], name="asset_tenant_kind"),
            models.Index(fields=["tenant", "purchase_date", "id"], name="asset_tenant_purchase"),
            models.Index(fields=["tenant", "last_seen", "id"], name="asset_tenant_last_seen"),
            models.Index(fields=["tenant", "created_at", "id"], name="asset_tenant_created"),
            # Monitoring finds a batch's machines by hostname, whatever its case, or serial.
            models.Index(F("tenant"), Lower("hostname"), name="asset_tenant_hostname_ci"),
            models.Index(fields=["tenant", "serial"], name="asset_tenant_serial"),
        ]
        constraints = [
            # A serial identifies one machine within an MSP (the CSV import matches on it).
            models.UniqueConstraint(
                fields=["tenant", "serial"],
                condition=~Q(serial=""),
                name="%(app_label)s_%(class)s_unique_serial",
                violation_error_message=_("Another asset already has this serial number."),
            ),
            models.CheckConstraint(
                condition=Q(warranty_expires__isnull=True)
                | Q(purchase_date__isnull=True)
                | Q(warranty_expires__gte=F("purchase_date")),
                name="%(app_label)s_%(class)s_warranty_after_purchase",
                violation_error_message=_("The warranty cannot expire before the purchase date."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("assets:detail", args=[self.pk])

    def clean(self):
        """Rules that span fields: the site and the person are the client's own; dates in order."""
        errors = {}
        if self.client_id is not None:
            if self.site_id is not None and self.site.client_id != self.client_id:
                errors["site"] = _("This site belongs to another client.")
            if self.assigned_contact_id is not None and self.assigned_contact.client_id != self.client_id:
                errors["assigned_contact"] = _("This contact belongs to another client.")
        if self.purchase_date and self.warranty_expires and self.warranty_expires < self.purchase_date:
            errors["warranty_expires"] = _("The warranty cannot expire before the purchase date.")
        if errors:
            raise ValidationError(errors)

    def warranty_days_left(self, today: date | None = None) -> int | None:
        if self.warranty_expires is None:
            return None
        return (self.warranty_expires - (today or timezone.localdate())).days

    @property
    def warranty_state(self) -> str:
        """'expired', 'expiring' (within WARRANTY_SOON_DAYS), 'valid', or '' when unknown."""
        days = self.warranty_days_left()
        if days is None:
            return ""
        if days < 0:
            return "expired"
        if days <= WARRANTY_SOON_DAYS:
            return "expiring"
        return "valid"


def warranty_window(days: int, today: date | None = None) -> tuple[date, date]:
    """The dates between which a warranty expires "within `days` days" (today included)."""
    today = today or timezone.localdate()
    return today, today + timedelta(days=days)
