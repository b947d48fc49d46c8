"""The database cache's table, so that `migrate` alone builds everything the app needs.

Without REDIS_URL the default cache is a table (settings.CACHES); login throttling and the
SLA sweep's lock write to it, so a database that lacks it answers every login with a 500.
This runs Django's own `createcachetable` for whichever DatabaseCache tables the settings
name: it skips a table that exists (databases set up when `scripts/run` still created it)
and does nothing when the cache is Redis. A cache table is not part of any model's state,
so there is nothing to undo.
"""

from django.core.management import call_command
from django.db import migrations


def create_cache_tables(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [
        ("msp", "0002_idempotency_key"),
    ]

    operations = [
        migrations.RunPython(create_cache_tables, migrations.RunPython.noop, elidable=False),
    ]
