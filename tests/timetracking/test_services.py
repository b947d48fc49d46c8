"""Time entries through the services: rounding once, rate factors, draws, covered work,
break/fix overage, edit/delete as reversal + re-draw, bad input, timers."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from djmoney.money import Money

from contracts.choices import ContractKind
from contracts.models import BlockOrigin, HourBlock, LedgerEntry, LedgerKind
from contracts.services.hours import block_purchase
from contracts.signals import hour_block_purchased
from msp.scoping import tenant_scope
from tests.factories import (
    ContractFactory,
    ServiceTierFactory,
    TenantFactory,
    UserFactory,
    WorkTypeFactory,
)
from tests.timetracking.helpers import balance, prepaid, ticket_on
from timetracking.models import TimeEntry, Timer
from timetracking.services import (
    time_entry_create,
    time_entry_delete,
    time_entry_update,
    timer_start,
    timer_stop,
    work_types_seed,
)

pytestmark = pytest.mark.django_db


def test_the_seeds_scenario_through_time_entries(django_capture_on_commit_callbacks):
    announced = []

    def listener(sender, block_id, **kwargs):
        announced.append(block_id)

    hour_block_purchased.connect(listener, weak=False)
    try:
        contract = prepaid()
        ticket = ticket_on(contract)
        tech = UserFactory()
        assert balance(contract) == 600
        call = time_entry_create(ticket=ticket, technician=tech, minutes=15, note="phone call")
        assert (call.drawn_minutes, call.overage_minutes, call.billed_minutes) == (15, 0, 15)
        assert balance(contract) == 585
        with django_capture_on_commit_callbacks(execute=True):
            for minutes in (120, 120):
                time_entry_create(ticket=ticket, technician=tech, minutes=minutes)
                assert HourBlock.unscoped.filter(contract=contract).count() == 1
                balance(contract)
            last = time_entry_create(ticket=ticket, technician=tech, minutes=46)  # 5 h 1 min in all
        renewals = HourBlock.unscoped.filter(contract=contract, origin=BlockOrigin.AUTO_RENEW)
        assert renewals.count() == 1
        block = renewals.get()
        assert block.price == Money("900.00", "EUR") and block.invoiced_at is None
        assert announced == [block.pk]
        assert last.drawn_minutes == 46
        assert balance(contract) == 600 - 301 + 600
    finally:
        hour_block_purchased.disconnect(listener)


def test_rounding_rule_applied_once():
    contract = prepaid(rounding_minutes=15, minimum_minutes=30)
    ticket = ticket_on(contract)
    short = time_entry_create(ticket=ticket, technician=UserFactory(), minutes=5)
    assert (short.minutes, short.billed_minutes, short.drawn_minutes) == (5, 30, 30)
    longer = time_entry_create(ticket=ticket, technician=UserFactory(), minutes=31)
    assert (longer.minutes, longer.billed_minutes) == (31, 45)
    # Editing re-rounds the raw minutes, never the already rounded ones.
    longer = time_entry_update(entry=longer, minutes=31)
    assert longer.billed_minutes == 45
    assert balance(contract) == 600 - 30 - 45


def test_rate_factor_draws_minutes_times_factor():
    contract = prepaid()
    ticket = ticket_on(contract)
    weekend = WorkTypeFactory(tenant=contract.tenant, name="Weekend", rate_factor=Decimal("1.5"))
    entry = time_entry_create(ticket=ticket, technician=UserFactory(), minutes=40, work_type=weekend)
    assert (entry.minutes, entry.rate_factor, entry.billed_minutes, entry.drawn_minutes) == (
        40,
        Decimal("1.5"),
        60,
        60,
    )
    assert balance(contract) == 540


def test_default_work_type_is_used_and_seeded():
    contract = prepaid()
    work_types_seed(tenant=contract.tenant)
    work_types_seed(tenant=contract.tenant)  # idempotent
    entry = time_entry_create(ticket=ticket_on(contract), technician=UserFactory(), minutes=10)
    assert entry.work_type.name == "Standard" and entry.work_type.is_default


def test_new_tenant_gets_work_types():
    from msp.signals import tenant_created

    tenant = TenantFactory()
    tenant_created.send(sender=None, tenant=tenant)
    from timetracking.models import WorkType

    names = set(WorkType.unscoped.filter(tenant=tenant).values_list("name", "rate_factor"))
    assert names == {
        ("Standard", Decimal("1.00")),
        ("After hours", Decimal("1.50")),
        ("Weekend", Decimal("1.50")),
    }


def test_all_inclusive_covered_work_draws_nothing():
    tier = ServiceTierFactory(includes_labour=True)
    contract = ContractFactory(
        tenant=tier.tenant,
        kind=ContractKind.MANAGED,
        tier=tier,
        client__tenant=tier.tenant,
        currency=tier.currency,
    )
    entry = time_entry_create(ticket=ticket_on(contract), technician=UserFactory(), minutes=50)
    assert entry.covered and entry.drawn_minutes == 0 and entry.overage_minutes == 0
    assert TimeEntry.unscoped.filter(pk=entry.pk).exists()
    assert not LedgerEntry.unscoped.filter(contract=contract).exists()


def test_break_fix_becomes_billable_labour_at_rate_times_factor():
    contract = ContractFactory(
        kind=ContractKind.BREAK_FIX, hourly_rate=Money("90.00", "EUR"), client__currency="EUR", currency="EUR"
    )
    after_hours = WorkTypeFactory(tenant=contract.tenant, name="After hours", rate_factor=Decimal("1.5"))
    entry = time_entry_create(
        ticket=ticket_on(contract), technician=UserFactory(), minutes=40, work_type=after_hours
    )
    assert (entry.overage_minutes, entry.drawn_minutes, entry.covered) == (60, 0, False)
    assert entry.labour_amount == Money("90.00", "EUR")
    not_billable = time_entry_create(
        ticket=ticket_on(contract), technician=UserFactory(), minutes=40, billable=False
    )
    assert not_billable.overage_minutes == 0 and not_billable.labour_amount is None


def test_overage_when_auto_renew_is_off():
    contract = prepaid(auto_renew=False, block_minutes=60)
    entry = time_entry_create(ticket=ticket_on(contract), technician=UserFactory(), minutes=90)
    assert (entry.drawn_minutes, entry.overage_minutes) == (60, 30)
    assert balance(contract) == 0


def test_non_billable_draws_nothing():
    contract = prepaid()
    entry = time_entry_create(
        ticket=ticket_on(contract), technician=UserFactory(), minutes=30, billable=False
    )
    assert entry.drawn_minutes == 0
    assert balance(contract) == 600


def test_edit_reverses_and_redraws_never_rewriting_history():
    contract = prepaid()
    entry = time_entry_create(ticket=ticket_on(contract), technician=UserFactory(), minutes=30)
    rows_before = list(
        LedgerEntry.unscoped.filter(contract=contract).values_list("pk", "minutes", "balance_after")
    )
    entry = time_entry_update(entry=entry, minutes=45)
    assert entry.drawn_minutes == 45 and balance(contract) == 555
    rows_after = list(
        LedgerEntry.unscoped.filter(contract=contract)
        .order_by("pk")
        .values_list("pk", "minutes", "balance_after")
    )
    assert rows_after[: len(rows_before)] == rows_before
    kinds = [r.kind for r in LedgerEntry.unscoped.filter(contract=contract).order_by("pk")]
    assert kinds == [LedgerKind.CREDIT, LedgerKind.DEBIT, LedgerKind.REVERSAL, LedgerKind.DEBIT]
    entry = time_entry_update(entry=entry, billable=False)
    assert entry.drawn_minutes == 0 and balance(contract) == 600


def test_delete_reverses_and_keeps_the_ledger():
    contract = prepaid()
    entry = time_entry_create(ticket=ticket_on(contract), technician=UserFactory(), minutes=30)
    time_entry_delete(entry=entry)
    assert not TimeEntry.unscoped.filter(pk=entry.pk).exists()
    assert balance(contract) == 600
    assert (
        LedgerEntry.unscoped.filter(contract=contract, source_kind="time_entry", source_id=entry.pk).count()
        == 2
    )


def test_invoiced_entries_cannot_change():
    contract = prepaid()
    entry = time_entry_create(ticket=ticket_on(contract), technician=UserFactory(), minutes=30)
    TimeEntry.unscoped.filter(pk=entry.pk).update(invoiced_at=timezone.now())
    with pytest.raises(ValidationError):
        time_entry_update(entry=entry, minutes=10)
    with pytest.raises(ValidationError):
        time_entry_delete(entry=entry)
    assert balance(contract) == 570


@pytest.mark.parametrize(
    "kwargs",
    [
        {"minutes": 0},
        {"minutes": -5},
        {"minutes": 24 * 60 + 1},
        {"started_at": "end-before-start"},
        {"started_at": "over-24h"},
        {},
        {"minutes": 10, "started_at": "both"},
    ],
    ids=["zero", "negative", "over-24h", "end-before-start", "span-over-24h", "nothing", "both"],
)
def test_bad_input_clear_error_ledger_untouched(kwargs):
    contract = prepaid()
    ticket = ticket_on(contract)
    now = timezone.now()
    spans = {
        "end-before-start": (now, now - timedelta(minutes=5)),
        "over-24h": (now - timedelta(hours=25), now),
        "both": (now - timedelta(minutes=10), now),
    }
    if "started_at" in kwargs:
        kwargs["started_at"], kwargs["ended_at"] = spans[kwargs["started_at"]]
    rows = LedgerEntry.unscoped.count()
    with pytest.raises(ValidationError) as info:
        time_entry_create(ticket=ticket, technician=UserFactory(), **kwargs)
    assert info.value.messages and all(m for m in info.value.messages)
    assert LedgerEntry.unscoped.count() == rows and not TimeEntry.unscoped.exists()
    assert balance(contract) == 600


def test_start_and_end_give_the_minutes():
    contract = prepaid()
    start = timezone.now() - timedelta(minutes=44, seconds=10)
    entry = time_entry_create(
        ticket=ticket_on(contract),
        technician=UserFactory(),
        started_at=start,
        ended_at=start + timedelta(minutes=44, seconds=10),
    )
    assert entry.minutes == 45 and entry.drawn_minutes == 45


def test_another_tenants_ticket_is_refused():
    contract = prepaid()
    theirs = ticket_on(prepaid())
    with tenant_scope(contract.tenant):
        with pytest.raises(ValidationError, match="Ticket not found"):
            time_entry_create(ticket=theirs, technician=UserFactory(), minutes=10)
    assert balance(theirs.contract) == 600


def test_another_tenants_work_type_is_refused():
    contract = prepaid()
    foreign = WorkTypeFactory()
    with pytest.raises(ValidationError):
        time_entry_create(ticket=ticket_on(contract), technician=UserFactory(), minutes=10, work_type=foreign)
    assert balance(contract) == 600


def test_a_block_in_another_currency_is_refused():
    contract = prepaid()
    rows = LedgerEntry.unscoped.count()
    with pytest.raises(ValidationError, match="EUR"):
        block_purchase(contract=contract, minutes=600, price=Money("900.00", "USD"))
    assert LedgerEntry.unscoped.count() == rows and balance(contract) == 600


def test_timer_start_stop_and_one_at_a_time():
    contract = prepaid()
    first, second = ticket_on(contract), ticket_on(contract)
    tech = UserFactory()
    t0 = timezone.now() - timedelta(minutes=30)
    started = timer_start(technician=tech, ticket=first, tenant=contract.tenant, at=t0)
    assert started.stopped_entry is None
    # Starting another stops the first, making its entry (seconds rounded up to minutes).
    switched = timer_start(
        technician=tech, ticket=second, tenant=contract.tenant, at=t0 + timedelta(minutes=10, seconds=1)
    )
    assert switched.stopped_entry.ticket == first and switched.stopped_entry.minutes == 11
    assert Timer.unscoped.filter(technician=tech).count() == 1
    entry = timer_stop(technician=tech, tenant=contract.tenant, at=t0 + timedelta(minutes=10, seconds=31))
    assert entry.ticket == second and entry.minutes == 1  # at least one minute
    with pytest.raises(ValidationError, match="already stopped"):
        timer_stop(technician=tech, tenant=contract.tenant)
    assert balance(contract) == 600 - 12


def test_timer_applies_the_contract_rule_after_whole_minutes():
    contract = prepaid(rounding_minutes=15)
    tech = UserFactory()
    t0 = timezone.now() - timedelta(minutes=5)
    timer_start(technician=tech, ticket=ticket_on(contract), tenant=contract.tenant, at=t0)
    entry = timer_stop(technician=tech, tenant=contract.tenant, at=t0 + timedelta(seconds=61))
    assert (entry.minutes, entry.billed_minutes) == (2, 15)


def test_timer_on_another_tenants_ticket_is_refused():
    contract = prepaid()
    theirs = ticket_on(prepaid())
    with pytest.raises(ValidationError):
        timer_start(technician=UserFactory(), ticket=theirs, tenant=contract.tenant)


def test_the_demo_has_prepaid_hours():
    from django.core.management import call_command

    from contracts.models import Contract
    from msp.models import Tenant

    call_command("load_demo", stdout=__import__("io").StringIO())
    tenant = Tenant.objects.get(slug="demo")
    contract = Contract.unscoped.get(tenant=tenant, kind=ContractKind.PREPAID_HOURS)
    assert balance(contract) == 600 - 15 - 45 - 45  # the after-hours half hour weighs 1.5×
    assert TimeEntry.unscoped.filter(tenant=tenant).count() == 3
