"""The link between an offer and the contract its acceptance created now points from the
offer to the contract (sales/ knows contracts/, never the reverse): the column is added to
the offer and filled from contracts_contract.offer_id, which contracts 0003 then drops."""

import django.db.models.deletion
from django.db import migrations, models


def copy_links(apps, schema_editor):
    Contract = apps.get_model("contracts", "Contract")
    Offer = apps.get_model("sales", "Offer")
    links = Contract._base_manager.filter(offer__isnull=False).values_list("pk", "offer_id")
    for contract_id, offer_id in links.iterator():
        Offer._base_manager.filter(pk=offer_id).update(contract_id=contract_id)


def copy_links_back(apps, schema_editor):
    Contract = apps.get_model("contracts", "Contract")
    Offer = apps.get_model("sales", "Offer")
    links = Offer._base_manager.filter(contract__isnull=False).values_list("pk", "contract_id")
    for offer_id, contract_id in links.iterator():
        Contract._base_manager.filter(pk=contract_id).update(offer_id=offer_id)


class Migration(migrations.Migration):

    dependencies = [
        ("sales", "0001_initial"),
        ("contracts", "0002_hours_and_sla"),
    ]

    operations = [
        migrations.AddField(
            model_name="offer",
            name="contract",
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='offer', to='contracts.contract'),
        ),
        migrations.RunPython(copy_links, copy_links_back),
    ]
