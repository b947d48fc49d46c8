"""Celery tasks of billing/: invoicing a bought block, the monthly run per tenant."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from billing.mail import invoice_email_message
from billing.models import Invoice
from billing.pdf import invoice_pdf
from billing.periods import Period
from billing.services.run import billing_run, block_invoice
from contracts.models import HourBlock
from msp.mail import email_queue
from msp.models import Tenant
from msp.tenant_tasks import tenant_task


@tenant_task(acks_late=True)
def block_invoice_task(tenant_id: int, block_id: int) -> int | None:
    """Redelivery-safe: the block's claim makes a second invoice impossible."""
    block = HourBlock.objects.select_related("contract__client__tenant").filter(pk=block_id).first()
    if block is None:
        return None
    invoice = block_invoice(block=block)
    return invoice.pk if invoice is not None else None


@tenant_task(acks_late=True)
def billing_run_task(tenant_id: int, period: str) -> list[int]:
    return billing_run(tenant=Tenant.objects.get(pk=tenant_id), period=Period.parse(period)).invoices


@tenant_task(acks_late=True)
def invoice_email_task(tenant_id: int, invoice_id: int, base_url: str = "") -> str:
    """After issuing, in the worker: archive the PDF if not yet (billing.einvoice.archive:
    downloads then read the file), and e-mail it to the client's billing address (queued:
    msp.mail sends and retries). The client alone is addressed: staff never share its mail."""
    invoice = Invoice.objects.select_related("client__tenant", "corrects").filter(pk=invoice_id).first()
    if invoice is None or invoice.is_draft:
        return "not issued"
    invoice_pdf(invoice)
    message = invoice_email_message(invoice, base_url=base_url)
    if message is None:
        return "no billing address"
    email_queue(message, tenant_id=tenant_id)
    return "queued"


@tenant_task(acks_late=True)
def invoice_archive_task(tenant_id: int, invoice_id: int) -> str:
    """After issuing: render the PDF as issued (PDF/A-3, Factur-X for EN 16931) and keep it.
    Redelivery-safe: an archived invoice is left as it is."""
    from billing.einvoice.archive import invoice_archive

    invoice = Invoice.objects.select_related("client__tenant", "corrects").filter(pk=invoice_id).first()
    if invoice is None or invoice.is_draft:
        return "not issued"
    if invoice.issued_pdf:
        return "already archived"
    invoice_archive(invoice)
    return "archived"


@shared_task
def billing_run_dispatch_task() -> int:
    """Beat, on the 1st: last month's run, one task per tenant (each in its own scope)."""
    period = str(Period.of(timezone.now().date()).previous())
    tenant_ids = list(Tenant.objects.values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        billing_run_task.delay(tenant_id, period)
    return len(tenant_ids)


@tenant_task(acks_late=True)
def sdi_receipts_import_task(tenant_id: int) -> dict:
    """The tenant's watched folder of SdI receipts, imported (billing.einvoice.folder)."""
    from billing.einvoice.folder import sdi_folder_import

    result = sdi_folder_import(tenant=Tenant.objects.get(pk=tenant_id))
    return {"imported": result.imported, "duplicates": result.duplicates, "failed": len(result.failed)}


@shared_task
def sdi_receipts_dispatch_task() -> int:
    """Beat: one import task per tenant whose folder has files waiting."""
    from billing.einvoice.folder import receipts_root, waiting_files

    root = receipts_root()
    if root is None or not root.is_dir():
        return 0
    waiting = [entry.name for entry in root.iterdir() if entry.is_dir() and waiting_files(entry)]
    tenant_ids = list(Tenant.objects.filter(slug__in=waiting).values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        sdi_receipts_import_task.delay(tenant_id)
    return len(tenant_ids)
