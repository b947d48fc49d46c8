"""Row-level security on the audit trail's table (msp.db.rls); a no-op on SQLite."""

from django.db import migrations

from msp.db.rls import TenantRowSecurity


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger"), ("msp", "0013_row_security")]

    operations = [
        TenantRowSecurity("auditentry"),
    ]
