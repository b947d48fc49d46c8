"""Row-level security on the tickets app's tenant-owned tables (msp.db.rls); a no-op on SQLite."""

from django.db import migrations

from msp.db.rls import TenantRowSecurity


class Migration(migrations.Migration):
    dependencies = [("tickets", "0006_attachments"), ("msp", "0013_row_security")]

    operations = [
        TenantRowSecurity("ticket"),
        TenantRowSecurity("ticketcomment"),
        TenantRowSecurity("attachment"),
    ]
