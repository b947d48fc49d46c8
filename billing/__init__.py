"""Invoices, numbering, payments, the monthly run (see SPEC.md; filled in by its issue)."""
