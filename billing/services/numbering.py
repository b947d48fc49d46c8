"""Gap-free document numbers: one counter row per tenant, series and year.

The counter is taken with a row lock and advanced in the transaction that issues the
invoice, so the number and the invoice commit together or not at all: a rolled-back issue
gives its number back, two issuers queue on the lock, and no number is used twice or
skipped. Only `issue` may call this (a draft never has a number).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction

from billing.models import InvoiceKind, InvoiceSequence

DEFAULT_PREFIXES = {InvoiceKind.INVOICE: "INV", InvoiceKind.CREDIT_NOTE: "CN"}


def series_prefix(tenant, kind: str) -> str:
    """Invoices use the tenant's prefix (INV by default); credit notes their own series."""
    if kind == InvoiceKind.INVOICE and tenant.invoice_prefix:
        return tenant.invoice_prefix
    return DEFAULT_PREFIXES[kind]


def format_number(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:04d}"


def number_take(*, tenant, kind: str, year: int) -> str:
    """The next number of the series; the caller's transaction must commit it."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("a number is taken inside the transaction that issues the document")
    prefix = series_prefix(tenant, kind)
    sequence = _locked_sequence(tenant, prefix, year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return format_number(prefix, year, sequence.last_number)


def counter_take(*, tenant, name: str) -> int:
    """The next value of one of the tenant's own gap-free counters (e.g. the SdI's
    progressive): a series of its own, year 0, taken under the same row lock as numbers."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("a counter is taken inside the transaction that uses it")
    sequence = _locked_sequence(tenant, name, 0)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


def _locked_sequence(tenant, prefix: str, year: int) -> InvoiceSequence:
    series = InvoiceSequence.objects.select_for_update().filter(prefix=prefix, year=year)
    sequence = series.first()
    if sequence is not None:
        return sequence
    try:
        # The series' first number: two issuers may both try to create the row; the loser's
        # savepoint rolls back and it queues on the winner's lock.
        with transaction.atomic():
            return InvoiceSequence.objects.create(tenant=tenant, prefix=prefix, year=year)
    except IntegrityError:
        return series.get()
