"""Invoices and credit notes, their lines, payments, and the numbering that makes them legal.

An invoice is a draft until it is issued; issuing gives it the next number of its series
(gap-free per tenant, series and year: `billing.services.numbering`). An issued invoice is
never edited or deleted: it is paid, voided (keeping its number) or corrected by a credit
note. Every line that comes from something billable claims that thing in `BilledItem`,
whose unique key is what makes "invoiced exactly once" a database fact, not a hope.
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField

from contracts.models import MONEY, PERCENT
from msp.models.tenancy import CURRENCY_CHOICES
from msp.scoping import TenantOwnedModel


class InvoiceKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    CREDIT_NOTE = "credit_note", _("Credit note")


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    PAID = "paid", _("Paid")
    VOID = "void", _("Void")


class LineKind(models.TextChoices):
    RECURRING_FEE = "recurring_fee", _("Monthly fee")
    HOUR_BLOCK = "hour_block", _("Prepaid hours")
    LABOUR = "labour", _("Labour")
    OVERAGE = "overage", _("Overage")
    ONSITE = "onsite", _("On-site call-out")
    SERVICE = "service", _("Recurring service")
    DISCOUNT = "discount", _("Discount")
    ADJUSTMENT = "adjustment", _("Adjustment")


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CARD = "card", _("Card")
    DIRECT_DEBIT = "direct_debit", _("Direct debit")
    CASH = "cash", _("Cash")
    OTHER = "other", _("Other")


class ClientBillingTerms(TenantOwnedModel):
    """How one client is billed: payment terms and a tax override (e.g. exempt)."""

    CLIENT_PATH = "client"

    client = models.OneToOneField(
        "msp.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="billing_terms"
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"), default=30, validators=[MaxValueValidator(365)]
    )
    tax_rate = models.DecimalField(
        _("tax rate (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT,
        help_text=_("Empty: the organisation's rate. 0 for a tax-exempt client."),
    )
    tax_note = models.CharField(
        _("tax note"),
        max_length=200,
        blank=True,
        help_text=_("Printed on the invoice, e.g. the exemption's legal reference."),
    )
    # A rate from the MSP's catalogue (with its exemption nature) wins over the bare percentage.
    vat = models.ForeignKey(
        "billing.TaxRate",
        verbose_name=_("VAT rate"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: the organisation's default rate."),
    )

    class Meta:
        verbose_name = _("billing terms")
        verbose_name_plural = _("billing terms")

    def __str__(self) -> str:
        return str(self.client)


class BillingSettings(TenantOwnedModel):
    """How an MSP bills: one row per tenant (defaults apply until it is saved)."""

    auto_issue = models.BooleanField(
        _("issue invoices automatically"),
        default=False,
        help_text=_("Off: the monthly run and bought hour blocks make drafts to review and issue."),
    )
    onsite_fee = MoneyField(
        _("on-site call-out fee"),
        null=True,
        blank=True,
        help_text=_(
            "Billed for every on-site visit, less the client's tier's on-site discount. Empty: none."
        ),
        **MONEY,
    )
    billing_starts = models.DateField(
        _("bill work and purchases from"),
        null=True,
        blank=True,
        help_text=_(
            "What came before was billed elsewhere (the system you moved from): time, hour blocks and "
            "monthly fees before this day are never invoiced here. Empty: everything not yet invoiced."
        ),
    )
    show_comparison = models.BooleanField(
        _("show what managed care would have cost"),
        default=True,
        help_text=_(
            "A break/fix invoice with labour says what the same month would have cost under the tier "
            "that includes labour, for the client's devices."
        ),
    )

    class Meta:
        verbose_name = _("billing settings")
        verbose_name_plural = _("billing settings")
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="%(app_label)s_%(class)s_one_per_tenant")
        ]

    def __str__(self) -> str:
        return str(_("Billing settings"))


class InvoiceSequence(TenantOwnedModel):
    """The last number given in one series (prefix) and year: the row issuing locks."""

    prefix = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "prefix", "year"], name="%(app_label)s_%(class)s_unique_series"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last_number}"


class Invoice(TenantOwnedModel):
    CLIENT_PATH = "client"

    client = models.ForeignKey(
        "msp.Client", verbose_name=_("client"), on_delete=models.PROTECT, related_name="invoices"
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=InvoiceKind.choices, default=InvoiceKind.INVOICE
    )
    status = models.CharField(
        _("status"), max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.DRAFT
    )
    number = models.CharField(_("number"), max_length=40, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    period_start = models.DateField(_("period from"), null=True, blank=True)
    period_end = models.DateField(_("period to"), null=True, blank=True)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrects"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
    )
    subtotal = MoneyField(_("subtotal"), default=0, **MONEY)
    tax = MoneyField(_("tax"), default=0, **MONEY)
    total = MoneyField(_("total"), default=0, **MONEY)
    paid = MoneyField(_("paid"), default=0, **MONEY)
    credited = MoneyField(_("credited"), default=0, **MONEY)
    tax_note = models.CharField(_("tax note"), max_length=200, blank=True)
    # The seeds' pitch on a break/fix invoice: {"tier", "monthly", "labour", "currency"}
    # (billing.sources.comparison), printed under the totals.
    comparison = models.JSONField(default=dict, blank=True)
    # Who the document is between, as at issue (an issued invoice never changes when the MSP
    # moves or the client renames): {"seller": {name, address, vat}, "buyer": {name, address,
    # email}}. A draft shows the current parties.
    parties = models.JSONField(default=dict, blank=True)
    void_reason = models.CharField(_("reason for voiding"), max_length=255, blank=True)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    # The PDF as last rendered, and a digest of the HTML it was rendered from: it is rendered
    # again only when what it shows changed (billing.pdf).
    pdf = models.FileField(upload_to="invoices/%Y/", blank=True)
    pdf_digest = models.CharField(max_length=64, blank=True)
    # The archive: the PDF exactly as issued (Factur-X for EN 16931 clients) and the SHA-256 of
    # its bytes. Written once, after issue; never rendered again (billing.einvoice.archive).
    issued_pdf = models.FileField(upload_to="archive/%Y/", blank=True)
    issued_pdf_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-issue_date", "-pk"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        indexes = [
            models.Index(fields=["tenant", "status", "due_date"]),
            models.Index(fields=["tenant", "client", "issue_date"]),
            # The list's default order and the API's orderings, each read in order.
            models.Index(fields=["tenant", "created_at", "id"], name="invoice_tenant_created"),
            models.Index(fields=["tenant", "issue_date", "id"], name="invoice_tenant_issued"),
            models.Index(fields=["tenant", "due_date", "id"], name="invoice_tenant_due"),
            models.Index(fields=["tenant", "number", "id"], name="invoice_tenant_number"),
        ]
        constraints = [
            # A number, once given, belongs to one document of the tenant forever.
            models.UniqueConstraint(
                fields=["tenant", "number"],
                condition=~Q(number=""),
                name="%(app_label)s_%(class)s_unique_number",
            ),
            models.CheckConstraint(
                condition=Q(status="draft", number="") | (~Q(status="draft") & ~Q(number="")),
                name="%(app_label)s_%(class)s_numbered_iff_issued",
                violation_error_message=_("A draft has no number; an issued document always has one."),
            ),
            models.CheckConstraint(
                condition=Q(kind="invoice", corrects__isnull=True)
                | Q(kind="credit_note", corrects__isnull=False),
                name="%(app_label)s_%(class)s_credit_note_corrects",
            ),
        ]

    def __str__(self) -> str:
        label = self.number or _("Draft %(id)s") % {"id": self.pk}
        return f"{label} · {self.client}" if self.client_id else str(label)

    def get_absolute_url(self) -> str:
        return reverse("billing:invoice_detail", args=[self.pk])

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT

    @property
    def outstanding(self):
        """What the client still owes: total less payments and credit notes."""
        return self.total - self.paid - self.credited


class InvoiceLine(TenantOwnedModel):
    CLIENT_PATH = "invoice__client"

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=20, choices=LineKind.choices)
    description = models.CharField(_("description"), max_length=500)
    detail = models.TextField(_("detail"), blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2, default=Decimal("1"))
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    unit_price = MoneyField(_("unit price"), **MONEY)
    tax_rate = models.DecimalField(_("tax rate (%)"), max_digits=5, decimal_places=2, validators=PERCENT)
    # The rate's exemption nature, VAT code and legal reference as at drafting (billing.TaxRate):
    # what the e-invoice and the accountant's export say about a 0 % line.
    tax_nature = models.CharField(_("exemption nature"), max_length=4, blank=True)
    tax_code = models.CharField(_("VAT code"), max_length=20, blank=True)
    tax_reference = models.CharField(_("legal reference"), max_length=100, blank=True)
    amount = MoneyField(_("amount"), **MONEY)
    tax = MoneyField(_("tax"), **MONEY)
    # What produced the line, for people (the claim in BilledItem is what the database checks).
    contract = models.ForeignKey(
        "contracts.Contract", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["invoice", "position", "pk"]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")

    def __str__(self) -> str:
        return self.description


class BilledItem(TenantOwnedModel):
    """One billable thing claimed by one invoice line: a contract's month, an hour block, a
    time entry. The unique key is the rule "each is invoiced once"; voiding an invoice
    releases its claims so the things can be invoiced again."""

    line = models.ForeignKey(InvoiceLine, on_delete=models.CASCADE, related_name="claims")
    source_kind = models.CharField(max_length=40)
    source_id = models.BigIntegerField()
    # A contract's fee is billed once per period ("2026-11"); blocks and entries once ever ("").
    period = models.CharField(max_length=7, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "source_kind", "source_id", "period"],
                name="%(app_label)s_%(class)s_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_kind}#{self.source_id} {self.period}".strip()


class Payment(TenantOwnedModel):
    CLIENT_PATH = "invoice__client"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    amount = MoneyField(_("amount"), **MONEY)
    paid_at = models.DateField(_("paid on"))
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["invoice", "paid_at", "pk"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="%(app_label)s_%(class)s_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} ({self.get_method_display()})"


from billing.models.einvoices import EInvoice, EInvoiceFormat, EInvoiceState  # noqa: E402, F401  (the app's models, one module each)
from billing.models.exports import (  # noqa: E402, F401  (the app's models, one module each)
    AccountMapping,
    DocumentKind,
    ExportBatch,
    ExportedItem,
    ExportFormat,
    MappingKind,
)
from billing.models.receipts import SdiReceipt, SdiReceiptKind, SdiReceiptSource  # noqa: E402, F401  (the app's models, one module each)
from billing.models.taxes import TaxNature, TaxRate, vat_category  # noqa: E402, F401  (the app's models, one module each)
