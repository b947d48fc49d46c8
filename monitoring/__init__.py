"""Ingest keys, alerts, heartbeats and sweeps (see SPEC.md; filled in by its issue)."""
