"""The dashboards' figures, checked against data built for them: every widget of the
technician's, the owner's and the client contact's dashboard, at a fixed moment."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money

from contracts.choices import ContractKind
from contracts.services import sla_seed
from contracts.services.hours import block_purchase
from msp.roles import Role
from msp.scoping import scope_of, unscoped
from reports import selectors
from reports.templatetags.charts import bar_chart, gauge
from tests.factories import (
    AssetFactory,
    ClientFactory,
    ContractFactory,
    MembershipFactory,
    OfferFactory,
    TicketFactory,
    TimeEntryFactory,
)
from tickets.choices import SlaState, TicketStatus
from tickets.models import Ticket
from timetracking.models import TimeEntry, Timer

pytestmark = pytest.mark.django_db

# Tuesday 17 November 2026, 11:00 in Rome: the week began on Monday the 16th.
NOW = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)


@pytest.fixture
def shop(tenant, make_member):
    """A tenant with a technician's tickets, time, contracts, warranties and offers."""
    sla_seed(tenant=tenant)
    tech = make_member(tenant, Role.TECHNICIAN, username="anna", first_name="Anna", last_name="Rossi")
    other_tech = make_member(tenant, Role.TECHNICIAN, username="bruno")
    acme = ClientFactory(tenant=tenant, name="Acme")

    def ticket(priority, *, age, assignee=tech.user, state=None, status=None):
        t = TicketFactory(tenant=tenant, client=acme, priority=priority, assignee=assignee, now=NOW - age)
        changes = {"sla_state": state} if state else {}
        if status:
            changes["status"] = status
        if changes:
            Ticket.unscoped.filter(pk=t.pk).update(**changes)
        return t

    tickets = {
        "p1_new": ticket("P1", age=timedelta(hours=2)),
        "p1_risk": ticket("P1", age=timedelta(days=2), state=SlaState.AT_RISK, status=TicketStatus.OPEN),
        "p3_breached": ticket("P3", age=timedelta(days=10), state=SlaState.BREACHED),
        "p2_old": ticket("P2", age=timedelta(days=40), assignee=other_tech.user),  # October: not this month
        "p4_done": ticket("P4", age=timedelta(days=5), status=TicketStatus.RESOLVED),
    }
    # Time: 45 min today, 30 min on Monday (not billable), 60 min last week.
    for minutes, started, billable, who in (
        (45, NOW - timedelta(hours=1), True, tech),
        (30, NOW - timedelta(days=1), False, tech),
        (60, NOW - timedelta(days=7), True, tech),
        (90, NOW - timedelta(days=3), True, other_tech),
    ):
        entry = TimeEntryFactory(
            ticket=tickets["p1_new"], technician=who.user, minutes=minutes, billable=billable
        )
        TimeEntry.unscoped.filter(pk=entry.pk).update(
            started_at=started, ended_at=started + timedelta(minutes=minutes)
        )
    Timer.unscoped.create(tenant=tenant, technician=tech.user, ticket=tickets["p1_risk"], started_at=NOW)

    # Prepaid hours: one contract at 2 h left (below the 5 h threshold), one full.
    low = ContractFactory(tenant=tenant, client=acme, kind=ContractKind.PREPAID_HOURS, tier=None, name="Low")
    full = ContractFactory(
        tenant=tenant, client=acme, kind=ContractKind.PREPAID_HOURS, tier=None, name="Full"
    )
    for contract in (low, full):
        block_purchase(contract=contract, minutes=600, price=Money(Decimal("900"), "EUR"))
    low_ticket = TicketFactory(tenant=tenant, client=acme, contract=low, subject="Draws hours", now=NOW)
    entry = TimeEntryFactory(ticket=low_ticket, technician=tech.user, minutes=480)
    started = NOW - timedelta(days=2)  # Sunday 15 November: this month, last week
    TimeEntry.unscoped.filter(pk=entry.pk).update(started_at=started, ended_at=started + timedelta(hours=8))

    today = timezone.localdate()
    ending = ContractFactory(
        tenant=tenant,
        client=acme,
        kind=ContractKind.BREAK_FIX,
        tier=None,
        name="Ending",
        end_date=today + timedelta(days=30),
        start_date=today - timedelta(days=300),
    )
    ContractFactory(
        tenant=tenant,
        client=acme,
        kind=ContractKind.BREAK_FIX,
        tier=None,
        name="Later",
        end_date=today + timedelta(days=90),
        start_date=today - timedelta(days=300),
    )
    soon = AssetFactory(tenant=tenant, client=acme, name="NAS", warranty_expires=today + timedelta(days=20))
    AssetFactory(tenant=tenant, client=acme, name="Later box", warranty_expires=today + timedelta(days=100))
    AssetFactory(tenant=tenant, client=acme, name="Expired box", warranty_expires=today - timedelta(days=1))
    sent = OfferFactory(tenant=tenant, client=acme, title="Upgrade to Gold", status="sent")
    OfferFactory(tenant=tenant, client=acme, title="Still a draft", status="draft")
    return {
        "tenant": tenant,
        "tech": tech,
        "other_tech": other_tech,
        "acme": acme,
        "tickets": tickets,
        "low": low,
        "full": full,
        "ending": ending,
        "soon": soon,
        "sent": sent,
    }


def test_ticket_figures(shop):
    with scope_of(shop["tenant"].pk):
        figures = selectors.ticket_figures(user=shop["tech"].user, now=NOW)
        attention = selectors.tickets_needing_attention(user=shop["tech"].user, now=NOW)
    assert figures.mine_by_priority == {"P1": 2, "P2": 0, "P3": 1, "P4": 0}
    assert figures.mine_attention == 2
    assert figures.open_total == 5  # four of the fixture's plus the prepaid one ("Draws hours")
    assert figures.by_age == {"day": 2, "days": 1, "week": 0, "month": 1, "older": 1}
    # Opened in November with an SLA: all but p2_old (October), one of them breached.
    assert (figures.month_with_sla, figures.month_breached) == (5, 1)
    assert figures.compliance_percent == 80
    assert {t.pk for t in attention} == {shop["tickets"]["p1_risk"].pk, shop["tickets"]["p3_breached"].pk}


def test_time_figures(shop, other_tenant):
    # Bruno also works for another MSP: that time is not this one's.
    with unscoped():
        MembershipFactory(tenant=other_tenant, user=shop["other_tech"].user, role=Role.TECHNICIAN)
        elsewhere = TicketFactory(tenant=other_tenant, client=ClientFactory(tenant=other_tenant), now=NOW)
        entry = TimeEntryFactory(ticket=elsewhere, technician=shop["other_tech"].user, minutes=200)
        TimeEntry.unscoped.filter(pk=entry.pk).update(started_at=NOW - timedelta(days=1))
    with scope_of(shop["tenant"].pk):
        mine = selectors.my_time(user=shop["tech"].user, now=NOW)
        timer = selectors.running_timer(user=shop["tech"].user)
        available = selectors.available_minutes_this_month(now=NOW)
        rows = selectors.utilisation_per_technician(
            tenant=shop["tenant"], available_minutes=available, now=NOW
        )
    assert (mine.today_minutes, mine.week_minutes, mine.week_billable_minutes) == (45, 75, 45)
    assert timer.ticket == shop["tickets"]["p1_risk"]
    # Mon-Fri 09:00-18:00 in Rome from 1 November: 11 whole days, then 09:00-11:00 today.
    assert available == 11 * 540 + 120
    by_name = {row.name: row for row in rows}
    assert set(by_name) == {"Anna Rossi", "bruno"}  # the owner logged nothing this month
    anna = by_name["Anna Rossi"]
    assert (anna.billable_minutes, anna.logged_minutes) == (45 + 60 + 480, 45 + 30 + 60 + 480)
    assert anna.percent == round(585 * 100 / available)
    assert by_name["bruno"].billable_minutes == 90
    assert by_name["bruno"].percent == round(90 * 100 / available)


def test_contract_asset_offer_lists(shop):
    with scope_of(shop["tenant"].pk):
        low = selectors.clients_low_on_hours()
        ending = selectors.contracts_expiring()
        warranties = selectors.warranties_expiring()
        offers = selectors.offers_awaiting()
    assert [c.pk for c in low] == [shop["low"].pk] and low[0].balance_minutes == 120
    assert [c.pk for c in ending] == [shop["ending"].pk]
    assert [a.pk for a in warranties] == [shop["soon"].pk]
    assert [o.pk for o in offers] == [shop["sent"].pk]


def test_client_forecast(shop):
    """120 minutes left after 480 drawn in the last 30 days: 16 a day, so 7 more days."""
    with scope_of(shop["tenant"].pk):
        forecasts = {f.contract.pk: f for f in selectors.hour_forecasts()}
    low, full = forecasts[shop["low"].pk], forecasts[shop["full"].pk]
    assert (low.balance_minutes, low.used_minutes, low.minutes_per_week) == (120, 480, 112)
    assert low.runs_out_on == timezone.localdate() + timedelta(days=7)
    assert full.runs_out_on is None  # nothing used: no forecast


def test_owner_dashboard_shows_every_widget(shop, make_member, client):
    owner = make_member(shop["tenant"], Role.OWNER)
    client.force_login(owner.user)
    page = client.get(reverse("dashboard"))
    html = page.content.decode()
    assert page.status_code == 200 and page.context["manager"]
    for text in (
        "SLA compliance this month",
        "Open tickets by age",
        "Clients low on hours",
        "Offers awaiting an answer",
        "Upgrade to Gold",
        "NAS",
        "Ending",
        "Anna Rossi",
    ):
        assert text in html
    assert "Still a draft" not in html and "Later box" not in html and "Expired box" not in html
    assert 'role="img"' in html and "<title" in html
    assert "Running timer" not in html  # the technician's widgets are the technician's


def test_technician_dashboard_has_no_msp_figures(shop, client):
    client.force_login(shop["tech"].user)
    page = client.get(reverse("dashboard"))
    html = page.content.decode()
    assert not page.context["manager"]
    assert "SLA compliance this month" not in html and "Clients low on hours" not in html
    assert f"#{shop['tickets']['p1_risk'].pk}" in html  # the running timer and the SLA list
    assert [bar.value for bar in page.context["priority_bars"]] == [2, 0, 1, 0]
    assert 'data-figure="mine-attention">2<' in html


def test_portal_home(shop, make_member, client):
    contact = make_member(shop["tenant"], Role.CLIENT, client=shop["acme"])
    client.force_login(contact.user)
    html = client.get(reverse("dashboard")).content.decode()
    assert "Upgrade to Gold" in html and "Still a draft" not in html
    assert ">2:00<small>h</small>" in html  # the low contract's balance
    runs_out = timezone.localdate() + timedelta(days=7)
    assert "under the renewal threshold" in html and "the hours run out around" in html
    assert str(runs_out.year) in html
    assert "Draws hours" in html  # an open ticket
    assert "Clients low on hours" not in html


def test_charts_are_accessible_and_proportional():
    bars = [selectors.Bar("P1", 4), selectors.Bar("P2", 2), selectors.Bar("P3", 0)]
    chart = bar_chart(bars, "Open")
    lengths = [row["length"] for row in chart["rows"]]
    assert lengths[0] == chart["track"] and lengths[1] == chart["track"] // 2 and lengths[2] == 0
    assert gauge(None, "SLA")["percent"] is None
    assert gauge(75, "SLA")["tone"] == "danger" and gauge(97, "SLA")["tone"] == "success"
    assert gauge(150, "SLA")["percent"] == 100


def test_nothing_leaks_from_another_tenant(shop, other_tenant, make_member, client):
    with unscoped():
        stranger = ClientFactory(tenant=other_tenant, name="Stranger")
        OfferFactory(tenant=other_tenant, client=stranger, title="Their offer", status="sent")
        AssetFactory(tenant=other_tenant, client=stranger, name="Their NAS", warranty_expires=date.today())
    owner = make_member(shop["tenant"], Role.OWNER)
    client.force_login(owner.user)
    html = client.get(reverse("dashboard")).content.decode()
    assert "Their offer" not in html and "Their NAS" not in html


def test_dashboards_speak_italian(shop, make_member, client):
    owner = make_member(shop["tenant"], Role.OWNER, language="it")
    client.force_login(owner.user)
    html = client.get(reverse("dashboard")).content.decode()
    for text in ("Rispetto degli SLA questo mese", "Ticket aperti per anzianità", "Clienti con poche ore"):
        assert text in html
    client.force_login(shop["tech"].user)
    shop["tech"].user.language = "it"
    shop["tech"].user.save()
    html = client.get(reverse("dashboard")).content.decode()
    assert "I miei ticket aperti per urgenza" in html and "Timer in corso" in html
