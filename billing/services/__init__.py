"""Billing's write services (views, API, tasks and commands call these)."""

from billing.services.invoices import (
    BatchIssue,
    Claim,
    ClientTax,
    LineDraft,
    client_tax,
    credit_note_create,
    invoice_draft_create,
    invoice_draft_delete,
    invoice_issue,
    invoice_lines_add,
    invoice_pay,
    invoice_void,
    invoices_issue,
    line_amounts,
    line_vat,
)
from billing.services.numbering import format_number, number_take

__all__ = [
    "BatchIssue",
    "Claim",
    "ClientTax",
    "LineDraft",
    "client_tax",
    "credit_note_create",
    "format_number",
    "invoice_draft_create",
    "invoice_draft_delete",
    "invoice_issue",
    "invoice_lines_add",
    "invoice_pay",
    "invoice_void",
    "invoices_issue",
    "line_amounts",
    "line_vat",
    "number_take",
]
