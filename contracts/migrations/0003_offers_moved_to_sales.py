"""Offers now live in sales/ (sales 0001 took the models, 0002 moved the link to the offer).

The contract's old link column goes; the offer models leave the contracts app's state only:
their tables, now sales', stay as they are.
"""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("contracts", "0002_hours_and_sla"),
        ("sales", "0002_offer_contract"),
    ]

    operations = [
        migrations.RemoveField(model_name="contract", name="offer"),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="offer", name="contracts_o_tenant__214d24_idx"),
                migrations.RemoveField(model_name="offer", name="accepted_option"),
                migrations.RemoveField(model_name="offer", name="client"),
                migrations.RemoveField(model_name="offer", name="created_by"),
                migrations.RemoveField(model_name="offer", name="decided_by"),
                migrations.RemoveField(model_name="offer", name="recommended_tier"),
                migrations.RemoveField(model_name="offer", name="tenant"),
                migrations.DeleteModel(name="OfferOption"),
                migrations.DeleteModel(name="Offer"),
            ],
            database_operations=[],
        ),
    ]
