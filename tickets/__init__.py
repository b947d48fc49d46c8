"""Tickets, replies and the SLA clock engine (see SPEC.md; filled in by its issue)."""
