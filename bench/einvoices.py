"""E-invoicing in-process (issue 19): one FatturaPA file made as issuing makes it, and the
files of 1,000 invoices made and zipped as the period download streams them.

The generated MSP and its clients have no fiscal identity: inside a transaction that is rolled
back, the main tenant and its clients are made Italian (valid numbers, SdI code), the files are
made with `billing.einvoice.fatturapa.fatturapa_einvoice` (progressive, build, XSD check, file and
row stored) and zipped with `billing.einvoice.downloads.zip_chunks`; the rows go with the
rollback and the stored files are deleted after it.
"""

from __future__ import annotations

import time
from itertools import cycle, islice

# Valid numbers (python-stdnum's checksums), as the fiscal forms would leave them.
SELLER = {
    "legal_name": "Bench MSP S.r.l.",
    "vat_number": "IT01234560017",
    "fiscal_code": "01234560017",
    "street": "Via Roma 1",
    "postcode": "20121",
    "city": "Milano",
    "province": "MI",
    "country": "IT",
    "iban": "IT60X0542811101000000123456",
    "tax_regime": "RF01",
}
BUYER = {
    "vat_number": "IT07654320154",
    "street": "Corso Italia 10",
    "postcode": "00184",
    "city": "Roma",
    "province": "RM",
    "country": "IT",
    "sdi_code": "ABC1234",
}
ZIP_INVOICES = 1000


def _italian(tenant) -> None:
    """In the tenant's scope (bench.einvoices works in it throughout).."""
    from msp.models import Client, Tenant

    Tenant.objects.filter(pk=tenant.pk).update(**SELLER)
    Client.objects.update(**BUYER)


def _issued():
    from billing.models import Invoice, InvoiceStatus

    return Invoice.objects.filter(status__in=[InvoiceStatus.ISSUED, InvoiceStatus.PAID])


def _delete(stored: list) -> None:
    for storage, name in stored:
        storage.delete(name)


def einvoice_once(tenant, all_due: bool = False) -> dict:
    """One FatturaPA file made and stored as issuing makes it: the invoice of median length
    (with ``all_due``, the longest), rolled back, its file deleted."""
    from django.db import connection, transaction
    from django.db.models import Count

    from bench.probe import _counting
    from billing.einvoice.fatturapa import fatturapa_einvoice
    from msp.scoping import tenant_scope

    queries, stored = [0], []
    with tenant_scope(tenant), transaction.atomic():
        _italian(tenant)
        invoices = _issued().annotate(n=Count("lines")).order_by("-n", "pk")
        invoice = invoices.first() if all_due else invoices[invoices.count() // 2]
        with connection.execute_wrapper(_counting(queries)):
            began = time.perf_counter()
            einvoice = fatturapa_einvoice(invoice)
            ms = (time.perf_counter() - began) * 1000
        stored.append((einvoice.xml.storage, einvoice.xml.name))
        size = einvoice.xml.size
        transaction.set_rollback(True)
    _delete(stored)
    return {"ms": ms, "queries": queries[0], "lines": invoice.n, "bytes": size}


def einvoice_zip_once(tenant, all_due: bool = False) -> dict:
    """The FatturaPA files of 1,000 issued invoices made and stored, then zipped as the period
    download streams them (the main tenant's invoices, taken again in turn when it has fewer:
    each time a new file with a new progressive). Rolled back, the files deleted."""
    from django.db import transaction

    from billing.einvoice.downloads import StoredFile, zip_chunks
    from billing.einvoice.fatturapa import fatturapa_einvoice
    from msp.scoping import tenant_scope

    stored = []
    with tenant_scope(tenant), transaction.atomic():
        _italian(tenant)
        invoices = list(_issued().select_related("client__tenant", "corrects").order_by("pk"))
        if not invoices:
            raise SystemExit("No issued invoice in the main tenant: the fixtures bill last month first.")
        began = time.perf_counter()
        files = []
        for invoice in islice(cycle(invoices), ZIP_INVOICES):
            einvoice = fatturapa_einvoice(invoice)
            stored.append((einvoice.xml.storage, einvoice.xml.name))
            files.append(
                StoredFile(einvoice.filename, einvoice.xml.name, einvoice.xml.storage, einvoice.created_at)
            )
        made = time.perf_counter()
        size = sum(len(chunk) for chunk in zip_chunks(files))
        ended = time.perf_counter()
        transaction.set_rollback(True)
    _delete(stored)
    return {
        "ms": (ended - began) * 1000,
        "made_ms": round((made - began) * 1000),
        "zip_ms": round((ended - made) * 1000),
        "per_invoice_ms": round((made - began) * 1000 / len(files), 2),
        "files": len(files),
        "invoices": len(invoices),
        "zip_bytes": size,
        "queries": None,
    }
