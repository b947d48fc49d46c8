"""Row-level security on the contracts app's tenant-owned tables (msp.db.rls); a no-op on SQLite."""

from django.db import migrations

from msp.db.rls import TenantRowSecurity


class Migration(migrations.Migration):
    dependencies = [("contracts", "0009_balance_bounds"), ("msp", "0013_row_security")]

    operations = [
        TenantRowSecurity("servicetier"),
        TenantRowSecurity("tierprice"),
        TenantRowSecurity("recurringservice"),
        TenantRowSecurity("contract"),
        TenantRowSecurity("businesscalendar"),
        TenantRowSecurity("slapolicy"),
        TenantRowSecurity("hourblock"),
        TenantRowSecurity("ledgerentry"),
        TenantRowSecurity("balancewarning"),
    ]
