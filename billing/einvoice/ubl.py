"""Placeholder on branch einv-fatturapa for helper "facturx"'s module of the same name: when
both branches merge, take einv-facturx's file. It gives no UBL file, as for an invoice whose
parties lack what EN 16931 needs."""

from __future__ import annotations

from billing.models import EInvoice, Invoice


def ubl_einvoice(invoice: Invoice) -> EInvoice | None:
    return None
