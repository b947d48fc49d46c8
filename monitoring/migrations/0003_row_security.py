"""Row-level security on the monitoring app's tenant-owned tables (msp.db.rls); a no-op on SQLite."""

from django.db import migrations

from msp.db.rls import TenantRowSecurity


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0002_alert_first_seen_index"), ("msp", "0013_row_security")]

    operations = [
        TenantRowSecurity("ingestkey"),
        TenantRowSecurity("monitoringsettings"),
        TenantRowSecurity("alert"),
        TenantRowSecurity("heartbeatday"),
        TenantRowSecurity("unknownsource"),
    ]
