from django.db import migrations

from msp.db.rls import TenantPolicyRefresh


class Migration(migrations.Migration):
    """The tenant policy reads as an equality (msp.db.rls.READ says why): every fenced table's
    policy is rewritten; tables fenced by later migrations get it as they are created."""

    dependencies = [
        ("msp", "0017_fiscal_identity"),
    ]

    operations = [
        TenantPolicyRefresh(),
    ]
