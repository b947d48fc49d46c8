"""Balance warnings now live in contracts/ (contracts 0004 took the model): state only, the
table and its rows stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("timetracking", "0002_performance_indexes"),
        ("contracts", "0004_balancewarning"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(
                    model_name="balancewarning", name="timetracking_balancewarning_once_per_crossing"
                ),
                migrations.DeleteModel(name="BalanceWarning"),
            ],
            database_operations=[],
        ),
    ]
