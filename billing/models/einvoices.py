"""E-invoices: the structured XML of an issued invoice or credit note, as stored and sent.

One row per file: a FatturaPA file for the SdI (named `IT<VAT>_<progressive>.xml`; a rejected
file is corrected and sent again as a new row with a new progressive, the invoice keeping its
number), or a UBL / CII file for clients under EN 16931. The bytes are stored once with their
SHA-256 and never written again (the archive); the state follows the SdI's receipts.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from msp.scoping import TenantOwnedModel


class EInvoiceFormat(models.TextChoices):
    FATTURAPA = "fatturapa", _("FatturaPA")
    UBL = "ubl", _("UBL 2.1 (Peppol BIS 3)")
    CII = "cii", _("Factur-X CII (EN 16931)")


class EInvoiceState(models.TextChoices):
    READY = "ready", _("Ready to send")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")  # RC
    NOT_DELIVERED = "not_delivered", _("Not delivered: in the client's area")  # MC
    REJECTED = "rejected", _("Rejected")  # NS
    ACCEPTED = "accepted", _("Accepted")  # NE EC01 (public administration)
    REFUSED = "refused", _("Refused")  # NE EC02 (public administration)
    DEADLINE = "deadline", _("Deadline passed")  # DT


class EInvoice(TenantOwnedModel):
    CLIENT_PATH = "invoice__client"

    invoice = models.ForeignKey(
        "billing.Invoice", verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="einvoices"
    )
    format = models.CharField(_("format"), max_length=20, choices=EInvoiceFormat.choices)
    # FatturaPA's progressive: unique per tenant, five characters (billing.einvoice.progressive).
    progressive = models.CharField(_("progressive"), max_length=10, blank=True)
    filename = models.CharField(_("file name"), max_length=100)
    xml = models.FileField(upload_to="einvoices/%Y/")
    sha256 = models.CharField(max_length=64)
    state = models.CharField(
        _("state"), max_length=20, choices=EInvoiceState.choices, default=EInvoiceState.READY
    )
    state_at = models.DateTimeField(_("state since"), null=True, blank=True)
    sdi_id = models.CharField(_("SdI identifier"), max_length=30, blank=True)
    # The receipt's errors for a rejection: [{"code": "00404", "text": "...", "hint": "..."}].
    errors = models.JSONField(default=list, blank=True)
    # The file sent again after a rejection replaces this one; only the current file counts.
    superseded = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("e-invoice")
        verbose_name_plural = _("e-invoices")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "progressive"],
                condition=~Q(progressive=""),
                name="%(app_label)s_%(class)s_unique_progressive",
            ),
            models.UniqueConstraint(
                fields=["invoice", "format"],
                condition=Q(superseded=False),
                name="%(app_label)s_%(class)s_one_current_per_format",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "created_at", "id"], name="einvoice_tenant_created"),
            models.Index(fields=["tenant", "filename"], name="einvoice_tenant_filename"),
        ]

    def __str__(self) -> str:
        return self.filename
