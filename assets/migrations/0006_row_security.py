"""Row-level security on the assets app's tenant-owned tables (msp.db.rls); a no-op on SQLite."""

from django.db import migrations

from msp.db.rls import TenantRowSecurity


class Migration(migrations.Migration):
    dependencies = [("assets", "0005_search_text"), ("msp", "0013_row_security")]

    operations = [
        TenantRowSecurity("asset"),
    ]
