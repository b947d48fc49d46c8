"""Row-level security on the inbox app's tenant-owned tables (msp.db.rls); a no-op on SQLite."""

from django.db import migrations

from msp.db.rls import TenantRowSecurity


class Migration(migrations.Migration):
    dependencies = [("inbox", "0001_initial"), ("msp", "0013_row_security")]

    operations = [
        TenantRowSecurity("mailbox"),
        TenantRowSecurity("inboundmessage"),
    ]
