from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from assets.choices import AssetKind, PatchStatus
from msp.scoping import TenantOwnedModel


class Asset(TenantOwnedModel):
    """A machine or device a client owns and the MSP looks after."""

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

    class Meta:
        ordering = ["client__name", "name"]
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        indexes = [
            models.Index(fields=["tenant", "client", "kind"]),
            models.Index(fields=["tenant", "warranty_expires"]),
            models.Index(fields=["tenant", "hostname"]),
        ]
        constraints = [
            # A serial identifies one machine within an MSP (the CSV import matches on it).
            models.UniqueConstraint(
                fields=["tenant", "serial"],
                condition=~Q(serial=""),
                name="%(app_label)s_%(class)s_unique_serial",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("assets:detail", args=[self.pk])
