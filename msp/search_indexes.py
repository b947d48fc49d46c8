"""Trigram indexes for `icontains` searches (the API's `?search=`, the list filters).

Django's `icontains` on PostgreSQL is `UPPER(column::text) LIKE UPPER('%term%')`: no btree
can serve it, so every search read the tenant's whole table, and got slower with every
ticket. A GIN index over the same expression with `gin_trgm_ops` answers it from the index.
PostgreSQL only (SQLite scans, as before); pg_trgm is a trusted extension, so the database's
owner may create it. Where it may not, the search still works, unindexed, and a warning says so.
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)


def trigram_indexes(*indexes: tuple[str, str, str]) -> migrations.RunPython:
    """A migration operation creating `(name, table, expression)` trigram GIN indexes."""

    def create(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            try:
                with transaction.atomic(using=schema_editor.connection.alias):
                    cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except DatabaseError as error:
                logger.warning("pg_trgm is not available (%s): searches stay unindexed", error)
                return
            for name, table, expression in indexes:
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ({expression} gin_trgm_ops)"
                )

    def drop(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            for name, _table, _expression in indexes:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")

    return migrations.RunPython(create, drop)
