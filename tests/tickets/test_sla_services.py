"""The SLA engine wired to policies, calendars and ticket changes."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from contracts.choices import ContractKind
from contracts.models import BusinessCalendar, SlaPolicy
from contracts.services import sla_seed
from tests.factories import AssetFactory, ClientFactory, ContractFactory, TenantFactory
from tests.tickets.conftest import FRIDAY_1730_ROME
from tickets.choices import SlaState, TicketStatus
from tickets.models import Ticket
from tickets.services import comment_add, contract_default_for, ticket_create, ticket_update

pytestmark = pytest.mark.django_db
MONDAY_0900_ROME = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_seed_is_idempotent_and_links_tiers(seeded):
    sla_seed(tenant=seeded)
    assert BusinessCalendar.unscoped.filter(tenant=seeded).count() == 1
    calendar = BusinessCalendar.unscoped.get(tenant=seeded)
    assert calendar.timezone == seeded.timezone and calendar.hours["0"] == [["09:00", "18:00"]]
    assert "5" not in calendar.hours  # closed on Saturday
    assert SlaPolicy.unscoped.filter(tenant=seeded, is_default=True).count() == 1
    platinum = SlaPolicy.unscoped.get(tenant=seeded, tiers__name="Platinum")
    assert platinum.target_minutes(priority="P2", asset_kind="desktop", which="response") == 120
    assert platinum.target_minutes(priority="P2", asset_kind="server", which="response") == 60


def test_new_tenant_gets_calendar_and_policies(django_capture_on_commit_callbacks):
    from msp.services import tenant_create

    with django_capture_on_commit_callbacks(execute=True):
        tenant = tenant_create(
            name="Seeded",
            slug="seeded",
            owner_username="o",
            owner_email="o@x.example",
            owner_password="pw-12345678!",
        ).tenant
    assert SlaPolicy.unscoped.filter(tenant=tenant, is_default=True).exists()
    assert SlaPolicy.unscoped.filter(tenant=tenant, tiers__name="Gold").exists()


def test_policy_by_tier_else_default(acme, platinum_contract, seeded):
    other = ClientFactory(tenant=seeded)
    with_tier = ticket_create(tenant=seeded, client=acme, subject="a", priority="P2")
    without = ticket_create(tenant=seeded, client=other, subject="b", priority="P2")
    assert with_tier.sla_policy.name == "Platinum SLA"
    assert without.sla_policy.is_default
    assert with_tier.contract == platinum_contract  # the default rule: the managed contract


def test_server_override_one_hour(acme, platinum_contract, server, seeded):
    monday_10 = MONDAY_0900_ROME + timedelta(hours=1)
    on_server = ticket_create(
        tenant=seeded, client=acme, asset=server, subject="s", priority="P2", now=monday_10
    )
    desktop = AssetFactory(tenant=seeded, client=acme, kind="desktop")
    on_desktop = ticket_create(
        tenant=seeded, client=acme, asset=desktop, subject="d", priority="P2", now=monday_10
    )
    assert on_server.response_due_at == monday_10 + timedelta(hours=1)
    assert on_desktop.response_due_at == monday_10 + timedelta(hours=2)
    assert on_server.sla_state == SlaState.OK
    assert on_server.sla_breach_at == on_server.response_due_at
    assert on_server.sla_warn_at == monday_10 + timedelta(minutes=48)  # 80 % of 60 min


def test_due_times_exact_across_a_weekend(acme, platinum_contract, server, seeded):
    ticket = ticket_create(
        tenant=seeded, client=acme, asset=server, subject="w", priority="P1", now=FRIDAY_1730_ROME
    )
    # 30 min on Friday until 18:00, the other 30 on Monday from 09:00 (Rome).
    assert ticket.response_due_at == MONDAY_0900_ROME + timedelta(minutes=30)
    # P1 resolution 240 min: 30 on Friday, 210 on Monday -> 12:30 Rome.
    assert ticket.resolution_due_at == MONDAY_0900_ROME + timedelta(minutes=210)


def test_changing_asset_or_priority_recomputes(acme, platinum_contract, server, seeded):
    monday_10 = MONDAY_0900_ROME + timedelta(hours=1)
    ticket = ticket_create(tenant=seeded, client=acme, subject="x", priority="P2", now=monday_10)
    assert ticket.response_due_at == monday_10 + timedelta(hours=2)
    ticket_update(ticket, asset=server, now=monday_10 + timedelta(minutes=5))
    assert ticket.response_due_at == monday_10 + timedelta(hours=1)
    ticket_update(ticket, priority="P1", now=monday_10 + timedelta(minutes=6))
    assert ticket.resolution_due_at == monday_10 + timedelta(minutes=240)


def test_pause_and_resume_move_the_due_time(acme, platinum_contract, seeded):
    monday_10 = MONDAY_0900_ROME + timedelta(hours=1)
    ticket = ticket_create(tenant=seeded, client=acme, subject="p", priority="P1", now=monday_10)
    due = ticket.resolution_due_at  # 14:00 Rome: the 45 paused minutes stay within Monday
    ticket_update(ticket, status=TicketStatus.WAITING, now=monday_10 + timedelta(minutes=10), notify=False)
    assert ticket.sla_state == SlaState.PAUSED
    assert ticket.resolution_due_at is None and ticket.sla_breach_at is None and ticket.sla_warn_at is None
    ticket_update(ticket, status=TicketStatus.OPEN, now=monday_10 + timedelta(minutes=55), notify=False)
    assert ticket.sla_state == SlaState.OK
    assert ticket.resolution_due_at == due + timedelta(minutes=45)
    assert len(ticket.sla_pauses) == 1 and ticket.sla_pauses[0][1] is not None


def test_first_public_staff_reply_sets_first_response(acme, platinum_contract, seeded, tech):
    monday_10 = MONDAY_0900_ROME + timedelta(hours=1)
    ticket = ticket_create(tenant=seeded, client=acme, subject="r", priority="P2", now=monday_10)
    comment_add(ticket, author=tech.user, body="internal", public=False, now=monday_10 + timedelta(minutes=5))
    assert ticket.first_response_at is None
    comment_add(
        ticket, author=None, body="from the client", by_staff=False, now=monday_10 + timedelta(minutes=6)
    )
    assert Ticket.unscoped.get(pk=ticket.pk).first_response_at is None
    comment_add(ticket, author=tech.user, body="On it", now=monday_10 + timedelta(minutes=20))
    ticket.refresh_from_db()
    assert ticket.first_response_at == monday_10 + timedelta(minutes=20)
    assert ticket.status == TicketStatus.OPEN
    # The response target is met; the next clock is the resolution's.
    assert ticket.sla_breach_at == ticket.resolution_due_at
    assert ticket.sla_state == SlaState.OK


def test_late_first_response_is_a_breach(acme, platinum_contract, seeded, tech):
    monday_10 = MONDAY_0900_ROME + timedelta(hours=1)
    ticket = ticket_create(tenant=seeded, client=acme, subject="late", priority="P2", now=monday_10)
    comment_add(ticket, author=tech.user, body="Sorry", now=monday_10 + timedelta(hours=3))
    ticket.refresh_from_db()
    assert ticket.sla_state == SlaState.BREACHED


def test_resolved_in_time_is_met(acme, platinum_contract, seeded, tech):
    monday_10 = MONDAY_0900_ROME + timedelta(hours=1)
    ticket = ticket_create(tenant=seeded, client=acme, subject="m", priority="P3", now=monday_10)
    comment_add(ticket, author=tech.user, body="Done", now=monday_10 + timedelta(minutes=30))
    ticket_update(ticket, status=TicketStatus.RESOLVED, now=monday_10 + timedelta(minutes=40), notify=False)
    assert ticket.sla_state == SlaState.MET and ticket.sla_breach_at is None


def test_default_contract_rule(seeded):
    client = ClientFactory(tenant=seeded)
    assert contract_default_for(client=client) is None
    break_fix = ContractFactory(tenant=seeded, client=client, kind=ContractKind.BREAK_FIX)
    assert contract_default_for(client=client) == break_fix
    managed = ContractFactory(tenant=seeded, client=client)
    assert contract_default_for(client=client) == managed
    prepaid = ContractFactory(tenant=seeded, client=client, kind=ContractKind.PREPAID_HOURS)
    assert contract_default_for(client=client) == managed  # no hours left
    type(prepaid).unscoped.filter(pk=prepaid.pk).update(balance_minutes=600)
    assert contract_default_for(client=client) == prepaid


def test_links_of_another_client_or_tenant_are_refused(acme, seeded):
    other_client = ClientFactory(tenant=seeded)
    foreign = TenantFactory()
    with pytest.raises(ValidationError) as exc:
        ticket_create(
            tenant=seeded,
            client=acme,
            subject="x",
            contract=ContractFactory(tenant=seeded, client=other_client),
        )
    assert "contract" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        ticket_create(tenant=seeded, client=acme, subject="x", asset=AssetFactory(tenant=foreign))
    assert "asset" in exc.value.error_dict
    assert not Ticket.unscoped.exists()
