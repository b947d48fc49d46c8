"""The database's second tenant fence on PostgreSQL (msp.db.rls): the role msp_tenant and
row-level security on msp's tenant-owned tables."""

from django.db import migrations

from msp.db.rls import LeakproofSearch, TenantRole, TenantRowSecurity


class Migration(migrations.Migration):
    dependencies = [("msp", "0012_invitation")]

    operations = [
        TenantRole(),  # first: the role the policies below fence
        LeakproofSearch(),
        TenantRowSecurity("membership"),
        TenantRowSecurity("client"),
        TenantRowSecurity("site"),
        TenantRowSecurity("contact"),
        TenantRowSecurity("outboundemail"),
        TenantRowSecurity("notification"),
        TenantRowSecurity("notificationpreference"),
        TenantRowSecurity("invitation"),
    ]
