"""Row-level security on the timetracking app's tenant-owned tables (msp.db.rls); a no-op on SQLite."""

from django.db import migrations

from msp.db.rls import TenantRowSecurity


class Migration(migrations.Migration):
    dependencies = [("timetracking", "0006_time_entry_onsite"), ("msp", "0013_row_security")]

    operations = [
        TenantRowSecurity("worktype"),
        TenantRowSecurity("timeentry"),
        TenantRowSecurity("timer"),
    ]
