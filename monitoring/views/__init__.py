"""Monitoring in the browser: the alerts board, client health, unknown machines, ingest keys."""
