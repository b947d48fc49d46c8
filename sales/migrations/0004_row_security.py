"""Row-level security on the sales app's tenant-owned tables (msp.db.rls); a no-op on SQLite."""

from django.db import migrations

from msp.db.rls import TenantRowSecurity


class Migration(migrations.Migration):
    dependencies = [("sales", "0003_api_ordering_indexes"), ("msp", "0013_row_security")]

    operations = [
        TenantRowSecurity("offer"),
        TenantRowSecurity("offeroption"),
    ]
