"""A Hypothesis state machine over one prepaid contract (issue 20).

It buys hour blocks (some expiring), logs time entries (billable and not), edits and deletes
them, lets time pass so blocks expire (the beat sweep), switches auto-renew, and invoices the
month (the billing run, which bills overage; an invoiced entry can no longer change). After
every step the database must agree with a model written from SPEC.md's rules, in a few lines
of plain Python: the contract's ``balance_minutes`` equals the model's balance, the hour
ledger sums to it, each block holds what the model says, and each entry shows what it drew
and its overage. Only the expected ValidationErrors may be raised.

The model's rules (SPEC: Contract, Hour block, Hour ledger; README: draw-down oldest-expiring
first and auto-renew): an entry's minutes are rounded up to the contract's increment, never
under its minimum; a draw first lets blocks past their date expire, then takes from the
usable blocks, the one expiring first first (blocks that never expire last, older purchases
first); what no block covers is overage. With auto-renew on, a draw that takes the balance
from at or above the threshold to below it buys one block; a draw the balance cannot cover
buys as many as cover it, plus one if what is left is still under the threshold; a renewal
block covers the shortfall first. Editing gives back what the entry drew (block by block; to
an expired block, it expires again at once) and draws again; deleting gives back.

The clock is the machine's (``django.utils.timezone.now``): it starts now and only moves
forward, by the ``time_passes`` rule. Each example runs in a savepoint rolled back at its
end. Derandomized, so CI runs the same examples every time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from djmoney.money import Money
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from billing.models import BillingSettings
from billing.periods import Period
from billing.services.run import billing_run
from contracts.choices import ContractKind
from contracts.models import BlockOrigin, Contract, HourBlock, LedgerEntry
from contracts.services import contract_save
from contracts.services.hours import block_purchase, blocks_expire
from msp.scoping import tenant_scope
from tests.factories import ClientFactory, ContractFactory, TicketFactory, UserFactory, tenant_today
from tickets.models import Ticket
from timetracking.models import TimeEntry
from timetracking.services import time_entry_create, time_entry_delete, time_entry_update

PRICE = Money("90.00", "EUR")


# --- the model --------------------------------------------------------------------------------


@dataclass
class Block:
    minutes: int
    purchased_at: datetime
    expires_at: datetime | None
    origin: str
    available: int = 0

    def expired(self, now) -> bool:
        return self.expires_at is not None and self.expires_at <= now


@dataclass
class Entry:
    billable: bool
    billed: int = 0
    draws: dict[int, int] = field(default_factory=dict)  # model block index -> minutes
    overage: int = 0
    invoiced: bool = False

    @property
    def drawn(self) -> int:
        return sum(self.draws.values())


@dataclass
class Hours:
    rounding: int
    minimum: int
    auto_renew: bool
    threshold: int
    renew_minutes: int
    blocks: list[Block] = field(default_factory=list)

    @property
    def balance(self) -> int:
        return sum(block.available for block in self.blocks)

    def billed(self, minutes: int) -> int:
        return max(-(-minutes // self.rounding) * self.rounding, self.minimum)

    def buy(self, minutes, now, expires_at=None, origin=BlockOrigin.MANUAL) -> int:
        self.blocks.append(Block(minutes, now, expires_at, origin, available=minutes))
        return len(self.blocks) - 1

    def expire(self, now) -> None:
        for block in self.blocks:
            if block.expired(now):
                block.available = 0

    def draw(self, entry: Entry, now) -> None:
        self.expire(now)
        before, wanted = self.balance, entry.billed
        order = sorted(
            (i for i, b in enumerate(self.blocks) if b.available > 0 and not b.expired(now)),
            key=lambda i: (
                self.blocks[i].expires_at is None,
                self.blocks[i].expires_at or self.blocks[i].purchased_at,
                self.blocks[i].purchased_at,
                i,
            ),
        )
        for i in order:
            take = min(self.blocks[i].available, wanted)
            if take:
                self.blocks[i].available -= take
                entry.draws[i] = entry.draws.get(i, 0) + take
                wanted -= take
        renewals = 0
        if self.auto_renew:
            if wanted:
                renewals = -(-wanted // self.renew_minutes)
                if renewals * self.renew_minutes - wanted < self.threshold:
                    renewals += 1
            elif before >= self.threshold > self.balance:
                renewals = 1
        for _n in range(renewals):
            i = self.buy(self.renew_minutes, now, origin=BlockOrigin.AUTO_RENEW)
            take = min(self.renew_minutes, wanted)
            if take:
                self.blocks[i].available -= take
                entry.draws[i] = take
                wanted -= take
        entry.overage = wanted

    def give_back(self, entry: Entry, now) -> None:
        for i, minutes in entry.draws.items():
            if not self.blocks[i].expired(now):
                self.blocks[i].available += minutes
        entry.draws, entry.overage = {}, 0


# --- the machine ------------------------------------------------------------------------------


class PrepaidContract(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # Noon UTC: the same day in every time zone the tenant or the test may be in, so the
        # month the run bills holds every entry (the clock moves by whole days).
        self.now = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)
        self._clock = mock.patch("django.utils.timezone.now", lambda: self.now)
        self._clock.start()
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        self.entries: dict[int, Entry] = {}
        self.model: Hours | None = None

    def teardown(self):
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)
        self._clock.stop()

    @initialize(
        rounding=st.sampled_from([1, 15]),
        minimum=st.sampled_from([0, 30]),
        auto_renew=st.booleans(),
        threshold=st.integers(0, 600),
        renew_minutes=st.integers(30, 900),
        first_block=st.integers(0, 1200),
        first_block_days=st.sampled_from([None, 60, 30, 1]),
    )
    def a_contract(
        self, rounding, minimum, auto_renew, threshold, renew_minutes, first_block, first_block_days
    ):
        contract = ContractFactory(
            kind=ContractKind.PREPAID_HOURS,
            client=ClientFactory(currency="EUR"),
            rounding_minutes=rounding,
            minimum_minutes=minimum,
            auto_renew=auto_renew,
            renew_threshold_minutes=threshold,
            renew_block_minutes=renew_minutes,
            renew_block_price=PRICE,
            hourly_rate=Money("60.00", "EUR"),
        )
        BillingSettings.unscoped.create(tenant=contract.tenant, auto_issue=True)
        self.contract_id, self.tenant = contract.pk, contract.tenant
        self.ticket_id = TicketFactory(tenant=contract.tenant, client=contract.client, contract=contract).pk
        self.technician = UserFactory()
        self.model = Hours(rounding, minimum, auto_renew, threshold, renew_minutes)
        if first_block:
            expires_at = self.now + timedelta(days=first_block_days) if first_block_days else None
            block_purchase(
                contract=contract,
                minutes=first_block,
                price=PRICE,
                origin=BlockOrigin.INITIAL,
                expires_at=expires_at,
            )
            self.model.buy(first_block, self.now, expires_at, origin=BlockOrigin.INITIAL)

    # What a request reads afresh.
    def _contract(self) -> Contract:
        return Contract.unscoped.get(pk=self.contract_id)

    def _ticket(self) -> Ticket:
        return Ticket.unscoped.select_related("contract", "tenant", "client").get(pk=self.ticket_id)

    def _entry(self, pk) -> TimeEntry:
        return TimeEntry.unscoped.select_related("ticket__contract").get(pk=pk)

    # --- rules ----------------------------------------------------------------------------

    @rule(minutes=st.integers(1, 1200), days=st.sampled_from([None, 1, 30, 60]))
    def buy_a_block(self, minutes, days):
        expires_at = self.now + timedelta(days=days) if days else None
        block_purchase(contract=self._contract(), minutes=minutes, price=PRICE, expires_at=expires_at)
        self.model.buy(minutes, self.now, expires_at)

    @rule(minutes=st.integers(1, 600))
    def log_billable_time(self, minutes):
        self.log_time(minutes=minutes, billable=True)

    @rule(minutes=st.integers(1, 600), billable=st.booleans())
    def log_time(self, minutes, billable):
        entry = time_entry_create(
            ticket=self._ticket(), technician=self.technician, minutes=minutes, billable=billable
        )
        modelled = Entry(billable=billable, billed=self.model.billed(minutes))
        if billable:
            self.model.draw(modelled, self.now)
        self.entries[entry.pk] = modelled

    @rule(
        bad=st.sampled_from(
            ["a block of no minutes", "a block of negative minutes", "a block in another currency"]
            + ["an entry of no minutes", "an entry of negative minutes", "an entry over 24 hours"]
        )
    )
    def bad_input_is_refused(self, bad):
        """Refused with a ValidationError; the invariant then shows that nothing changed."""
        block = {
            "a block of no minutes": (0, PRICE),
            "a block of negative minutes": (-30, PRICE),
            "a block in another currency": (60, Money("90.00", "USD")),
        }.get(bad)
        with pytest.raises(ValidationError):
            if block is not None:
                block_purchase(contract=self._contract(), minutes=block[0], price=block[1])
            else:
                minutes = {"an entry of no minutes": 0, "an entry of negative minutes": -5}.get(
                    bad, 24 * 60 + 1
                )
                time_entry_create(ticket=self._ticket(), technician=self.technician, minutes=minutes)

    @precondition(lambda self: self.entries)
    @rule(data=st.data(), minutes=st.integers(1, 600), billable=st.booleans())
    def edit_an_entry(self, data, minutes, billable):
        pk = data.draw(st.sampled_from(sorted(self.entries)), label="entry")
        modelled = self.entries[pk]
        if modelled.invoiced:
            with pytest.raises(ValidationError):
                time_entry_update(entry=self._entry(pk), minutes=minutes, billable=billable)
            return
        time_entry_update(entry=self._entry(pk), minutes=minutes, billable=billable)
        self.model.give_back(modelled, self.now)
        modelled.billable, modelled.billed = billable, self.model.billed(minutes)
        if billable:
            self.model.draw(modelled, self.now)

    @precondition(lambda self: self.entries)
    @rule(data=st.data())
    def delete_an_entry(self, data):
        pk = data.draw(st.sampled_from(sorted(self.entries)), label="entry")
        if self.entries[pk].invoiced:
            with pytest.raises(ValidationError):
                time_entry_delete(entry=self._entry(pk))
            return
        time_entry_delete(entry=self._entry(pk))
        self.model.give_back(self.entries.pop(pk), self.now)

    @rule(days=st.sampled_from([1, 7, 30, 61]))
    def time_passes(self, days):
        """The clock moves on and the beat sweep lets blocks past their date expire."""
        self.now += timedelta(days=days)
        blocks_expire(contract=self._contract())
        self.model.expire(self.now)

    @rule()
    def switch_auto_renew(self):
        contract = self._contract()
        contract.auto_renew = not contract.auto_renew
        with tenant_scope(self.tenant):
            contract_save(contract=contract)
        self.model.auto_renew = contract.auto_renew

    @rule()
    def invoice_the_month(self):
        """The monthly run, issued at once: it bills each entry's overage (at the hourly rate)."""
        billing_run(tenant=self.tenant, period=Period.of(tenant_today(self.tenant)))
        for modelled in self.entries.values():
            if modelled.billable and modelled.overage:
                modelled.invoiced = True

    # --- what must hold after every step ----------------------------------------------------

    @invariant()
    def the_database_agrees_with_the_model(self):
        if self.model is None:
            return
        contract = self._contract()
        ledger = LedgerEntry.unscoped.filter(contract=contract).aggregate(s=Sum("minutes"))["s"] or 0
        assert contract.balance_minutes == self.model.balance
        assert ledger == contract.balance_minutes
        blocks = [
            (block.minutes, block.origin, block.available or 0)
            for block in HourBlock.unscoped.filter(contract=contract)
            .annotate(available=Sum("ledger__minutes"))
            .order_by("pk")
        ]
        assert blocks == [(b.minutes, b.origin, b.available) for b in self.model.blocks]
        stored = {
            pk: (drawn, overage, invoiced_at is not None)
            for pk, drawn, overage, invoiced_at in TimeEntry.unscoped.filter(
                ticket_id=self.ticket_id
            ).values_list("pk", "drawn_minutes", "overage_minutes", "invoiced_at")
        }
        assert stored == {pk: (e.drawn, e.overage, e.invoiced) for pk, e in self.entries.items()}


@pytest.mark.django_db
def test_a_prepaid_contract_keeps_its_balance_through_any_sequence_of_operations():
    run_state_machine_as_test(
        PrepaidContract,
        settings=settings(
            max_examples=50,
            stateful_step_count=25,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
