"""Timers and time entries (see SPEC.md; filled in by its issue)."""
