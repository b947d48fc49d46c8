"""SdI receipts: the notification files the Sistema di Interscambio returns for a FatturaPA file.

Each is kept as received (bytes, SHA-256), once: the same file uploaded again changes nothing.
A receipt belongs to the e-invoice whose file name it quotes (`NomeFile`) and records what it
did to that file's state (billing.einvoice.sdi).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.models.einvoices import EInvoiceState
from msp.scoping import TenantOwnedModel


class SdiReceiptKind(models.TextChoices):
    RC = "RC", _("RC: delivered")
    MC = "MC", _("MC: not delivered, in the client's area")
    NS = "NS", _("NS: rejected")
    NE = "NE", _("NE: outcome from the public administration")
    DT = "DT", _("DT: deadline passed")
    AT = "AT", _("AT: transmitted, could not be delivered")


class SdiReceiptSource(models.TextChoices):
    BROWSER = "browser", _("Uploaded in the browser")
    API = "api", _("Sent through the API")
    FOLDER = "folder", _("Watched folder")


class SdiReceipt(TenantOwnedModel):
    # Client contacts never see the MSP's dealings with the SdI.
    CLIENT_PATH = None

    einvoice = models.ForeignKey(
        "billing.EInvoice", verbose_name=_("e-invoice"), on_delete=models.PROTECT, related_name="receipts"
    )
    kind = models.CharField(_("kind"), max_length=2, choices=SdiReceiptKind.choices)
    sdi_id = models.CharField(_("SdI identifier"), max_length=30)
    # DataOraRicezione: when the SdI received the file (a DT receipt has none).
    notified_at = models.DateTimeField(_("received by the SdI"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=4, blank=True)  # NE: EC01 accepted, EC02 refused
    # NS: [{"code": "00404", "text": "...", "hint": "..."}]; NE EC02: the administration's reason.
    errors = models.JSONField(default=list, blank=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    filename = models.CharField(_("file name"), max_length=200)
    file = models.FileField(upload_to="sdi_receipts/%Y/")
    sha256 = models.CharField(max_length=64)
    source = models.CharField(_("source"), max_length=10, choices=SdiReceiptSource.choices)
    state_before = models.CharField(_("state before"), max_length=20, choices=EInvoiceState.choices)
    state_after = models.CharField(_("state after"), max_length=20, choices=EInvoiceState.choices)
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("SdI receipt")
        verbose_name_plural = _("SdI receipts")
        constraints = [
            models.UniqueConstraint(fields=["tenant", "sha256"], name="%(app_label)s_%(class)s_unique_file"),
        ]
        indexes = [
            models.Index(fields=["tenant", "created_at", "id"], name="sdireceipt_tenant_created"),
        ]

    def __str__(self) -> str:
        return self.filename

    @property
    def moved_state(self) -> bool:
        return self.state_before != self.state_after
