"""Upgrading a database from before sales/ existed (issue 15): the offers, their options and
the link to the contract an accepted offer created are all still there, now read through
sales/; and the balance warnings, now contracts', too."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from contracts.models import BalanceWarning, Contract
from sales.models import Offer, OfferOption
from tests.factories import ClientFactory, ServiceTierFactory, TenantFactory, UserFactory

BEFORE = [("contracts", "0002_hours_and_sla"), ("timetracking", "0002_performance_indexes"), ("sales", None)]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1]]).apps


@pytest.mark.django_db(transaction=True)
def test_offers_and_their_contracts_survive_the_move_to_sales():
    tenant = TenantFactory()
    client = ClientFactory(tenant=tenant, name="Acme Dental")
    tier = ServiceTierFactory(tenant=tenant, name="Gold")
    user = UserFactory()
    latest = [key for key in MigrationExecutor(connection).loader.graph.leaf_nodes()]
    try:
        old = migrate(BEFORE)  # the schema of the previous commit: offers in contracts/
        OldOffer = old.get_model("contracts", "Offer")
        OldOption = old.get_model("contracts", "OfferOption")
        OldContract = old.get_model("contracts", "Contract")
        money = {"monthly_total": Decimal("410.00"), "monthly_total_currency": "EUR"}
        accepted = OldOffer.objects.create(
            tenant_id=tenant.pk,
            client_id=client.pk,
            title="Managed care 2027",
            status="accepted",
            currency="EUR",
            recommended_tier_id=tier.pk,
            created_by_id=user.pk,
            hour_block_minutes=600,
        )
        gold = OldOption.objects.create(
            tenant_id=tenant.pk,
            offer=accepted,
            tier_id=tier.pk,
            name="Gold",
            position=1,
            lines=[{"kind": "server", "quantity": 1}],
            **money,
        )
        OldOption.objects.create(tenant_id=tenant.pk, offer=accepted, name="Silver", position=0, **money)
        accepted.accepted_option = gold
        accepted.save()
        draft = OldOffer.objects.create(tenant_id=tenant.pk, client_id=client.pk, currency="EUR")
        contract = OldContract.objects.create(
            tenant_id=tenant.pk,
            client_id=client.pk,
            kind="managed",
            tier_id=tier.pk,
            offer=accepted,
            start_date=date(2026, 11, 1),
            currency="EUR",
            monthly_fee=Decimal("410.00"),
            monthly_fee_currency="EUR",
        )
        plain = OldContract.objects.create(
            tenant_id=tenant.pk,
            client_id=client.pk,
            kind="break_fix",
            start_date=date(2026, 11, 1),
            currency="EUR",
        )
        prepaid = OldContract.objects.create(
            tenant_id=tenant.pk,
            client_id=client.pk,
            kind="prepaid_hours",
            start_date=date(2026, 11, 1),
            currency="EUR",
        )
        block = old.get_model("contracts", "HourBlock").objects.create(
            tenant_id=tenant.pk,
            contract=prepaid,
            minutes=600,
            price=Decimal("900"),
            price_currency="EUR",
            origin="initial",
            purchased_at=timezone.now(),
        )
        warned = old.get_model("timetracking", "BalanceWarning").objects.create(
            tenant_id=tenant.pk, contract=prepaid, block=block, reason="level", level=80
        )
    finally:
        migrate(latest)

    offer = Offer.unscoped.get(pk=accepted.pk)
    assert (offer.title, offer.status, offer.client_id, offer.created_by_id) == (
        "Managed care 2027",
        "accepted",
        client.pk,
        user.pk,
    )
    assert offer.recommended_tier_id == tier.pk and offer.hour_block_minutes == 600
    assert offer.accepted_option_id == gold.pk
    assert [
        (o.name, o.tier_id, o.lines) for o in OfferOption.unscoped.filter(offer=offer).order_by("position")
    ] == [
        ("Silver", None, []),
        ("Gold", tier.pk, [{"kind": "server", "quantity": 1}]),
    ]
    assert offer.contract_id == contract.pk  # the link now lives on the offer
    assert Contract.unscoped.get(pk=contract.pk).offer == offer  # and reads back from the contract
    assert Offer.unscoped.get(pk=draft.pk).contract is None
    assert not Offer.unscoped.filter(contract_id=plain.pk).exists()
    warning = BalanceWarning.unscoped.get(pk=warned.pk)
    assert (warning.contract_id, warning.block_id, warning.reason, warning.level) == (
        prepaid.pk,
        block.pk,
        "level",
        80,
    )
