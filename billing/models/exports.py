"""The accountant's export: which ledger accounts the MSP's documents post to, and what has been
exported already.

`AccountMapping` names, per tenant, the account (or the accounting program's name for it) each
thing posts to: sales per line kind, receivables, the bank per payment method, VAT per VAT code.
An `ExportBatch` is one export of a period in one format (QuickBooks Online, Xero, or a generic
journal), with its file and the documents it could not export and why. `ExportedItem` records
each document a batch exported: its first export in a format is unique (a database fact), so the
same document is never exported twice in a format unless the user asks again.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from msp.scoping import TenantOwnedModel


class ExportFormat(models.TextChoices):
    QBO = "qbo", _("QuickBooks Online")
    XERO = "xero", _("Xero")
    JOURNAL = "journal", _("Journal (CSV)")


class MappingKind(models.TextChoices):
    SALES = "sales", _("Sales")
    RECEIVABLES = "receivables", _("Receivables")
    BANK = "bank", _("Bank")
    VAT = "vat", _("VAT")


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")
    PAYMENT = "payment", _("Payment")


class AccountMapping(TenantOwnedModel):
    """Where one kind of thing posts: `key` is the line kind (sales), the payment method (bank),
    the VAT code (vat: the rate's code, or e.g. "22%" / "0% N4" for a line without one), or
    empty (receivables)."""

    kind = models.CharField(_("kind"), max_length=20, choices=MappingKind.choices)
    key = models.CharField(_("key"), max_length=40, blank=True)
    account = models.CharField(
        _("account"),
        max_length=100,
        blank=True,
        help_text=_("The account's code in your chart of accounts (the journal's and Xero's account code)."),
    )
    qbo_name = models.CharField(
        _("QuickBooks name"),
        max_length=100,
        blank=True,
        help_text=_("QuickBooks Online's product/service (sales) or tax code (VAT), as it is named there."),
    )
    xero_tax_type = models.CharField(
        _("Xero tax type"),
        max_length=100,
        blank=True,
        help_text=_("The tax rate's name as it appears in Xero, e.g. '22% (VAT on Income)'."),
    )

    class Meta:
        ordering = ["kind", "key"]
        verbose_name = _("account mapping")
        verbose_name_plural = _("account mappings")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "key"], name="%(app_label)s_%(class)s_unique_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key}".strip()


class ExportBatch(TenantOwnedModel):
    format = models.CharField(_("format"), max_length=20, choices=ExportFormat.choices)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    again = models.BooleanField(_("included already exported documents"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("exported at"), auto_now_add=True)
    file = models.FileField(upload_to="exports/%Y/", blank=True)
    filename = models.CharField(_("file name"), max_length=100, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    invoice_count = models.PositiveIntegerField(_("invoices"), default=0)
    credit_note_count = models.PositiveIntegerField(_("credit notes"), default=0)
    payment_count = models.PositiveIntegerField(_("payments"), default=0)
    # Documents of the period left out because an earlier batch of the format exported them.
    skipped_count = models.PositiveIntegerField(_("already exported"), default=0)
    # What could not be exported, and why: [{"code", "kind", "id", "invoice", "document", "line",
    # "reason"}] (`invoice`: the document's id, a payment's invoice's; `line`: its position).
    problems = models.JSONField(default=list, blank=True)
    problem_count = models.PositiveIntegerField(_("problems"), default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("accounting export")
        verbose_name_plural = _("accounting exports")
        indexes = [models.Index(fields=["tenant", "created_at", "id"], name="exportbatch_tenant_created")]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_start__lte=models.F("period_end")),
                name="%(app_label)s_%(class)s_period_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_format_display()} {self.period_start}–{self.period_end}"

    def get_absolute_url(self) -> str:
        return reverse("billing:export-detail", args=[self.pk])

    @property
    def document_count(self) -> int:
        return self.invoice_count + self.credit_note_count + self.payment_count


class ExportedItem(TenantOwnedModel):
    batch = models.ForeignKey(ExportBatch, on_delete=models.CASCADE, related_name="items")
    format = models.CharField(max_length=20, choices=ExportFormat.choices)
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    document_id = models.BigIntegerField()
    # Exported again on request: the document's first export in the format is the row without it.
    again = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "format", "kind", "document_id"],
                condition=Q(again=False),
                name="%(app_label)s_%(class)s_once_per_format",
            )
        ]

    def __str__(self) -> str:
        return f"{self.format} {self.kind}#{self.document_id}"
