"""Row-level security on the billing app's tenant-owned tables (msp.db.rls); a no-op on SQLite."""

from django.db import migrations

from msp.db.rls import TenantRowSecurity


class Migration(migrations.Migration):
    dependencies = [("billing", "0006_invoice_list_indexes"), ("msp", "0013_row_security")]

    operations = [
        TenantRowSecurity("clientbillingterms"),
        TenantRowSecurity("billingsettings"),
        TenantRowSecurity("invoicesequence"),
        TenantRowSecurity("invoice"),
        TenantRowSecurity("invoiceline"),
        TenantRowSecurity("billeditem"),
        TenantRowSecurity("payment"),
    ]
