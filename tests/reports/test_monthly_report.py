"""The monthly client report: a known October gives exactly known figures, and the HTML and
the PDF made from them say them; nothing of another client or MSP gets in."""

import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from djmoney.money import Money
from pypdf import PdfReader

from msp.models import Client
from msp.scoping import tenant_scope
from reports.figures import (
    AlertCount,
    BreakFix,
    ContractHours,
    Forecast,
    InvoiceRef,
    KeyCount,
    MonthBalance,
    MonthFigures,
    Party,
    PatchCount,
    Share,
    SlaBreach,
    SlaTarget,
    Warranty,
    WeekTickets,
    WorkTypeMinutes,
    month_figures,
)
from reports.render import report_html, report_pdf
from tests.factories import ClientFactory
from tests.reports.monthly_scenario import AFTER, OCTOBER, at, build_october

pytestmark = pytest.mark.django_db


@pytest.fixture
def october():
    return build_october()


def expected_figures(world) -> MonthFigures:
    """Acme's October, worked out by hand (see tests/reports/monthly_scenario.py)."""
    t = world["tickets"]
    daily = (
        [630, 630]  # 1-2: the balance brought forward
        + [750, 750]  # 3: a 2 h block bought
        + [690] * 7  # 5: 60 minutes used (50, in 15-minute steps)
        + [585] * 3  # 12: 105 used
        + [555] * 5  # 15: the September block's last 30 minutes expire
        + [855] * 5  # 20: 300 used takes it under 5 h, and a 10 h block renews it
        + [787]  # 25: 68 used (45 at 1.5 after hours)
        + [757]  # 26: 30 used ...
        + [787] * 5  # 27: ... and given back
    )
    return MonthFigures(
        period="2026-10",
        start=date(2026, 10, 1),
        end=date(2026, 10, 31),
        as_of=datetime(2026, 10, 31, 23, 0, tzinfo=UTC),  # midnight in Rome
        timezone="Europe/Rome",
        language="en",
        currency="EUR",
        tenant_id=world["tenant"].pk,
        client_id=world["client"].pk,
        client=Party(name="Acme"),
        msp=Party(name="Alpha MSP S.r.l.", address="Via Roma 1\n00100 Roma", vat="IT01234567890"),
        contracts=(
            ContractHours(
                contract_id=world["contract"].pk,
                name="Acme prepaid hours",
                auto_renew=True,
                threshold_minutes=300,
                renew_block_minutes=600,
                balance_start_minutes=630,  # 600 + 90 bought in September, 60 used
                bought_minutes=720,
                renewed_minutes=600,
                blocks_bought=2,
                renewals=1,
                used_minutes=533,  # 60 + 105 + 300 + 68 + 30 - 30
                expired_minutes=30,
                balance_end_minutes=787,
                daily_balance=tuple(daily),
                month_ends=(MonthBalance("2026-09", 630), MonthBalance("2026-10", 787)),
                # 487 minutes above the threshold at 533 a month of 31 days: 28.3 days.
                forecast=Forecast("date", date(2026, 11, 29), 120),
            ),
        ),
        tickets_opened=5,
        tickets_closed=4,
        by_priority=(
            KeyCount("P1", 1, 1),
            KeyCount("P2", 2, 1),
            KeyCount("P3", 1, 2),
            KeyCount("P4", 1, 0),
        ),
        by_source=(
            KeyCount("portal", 2, 0),
            KeyCount("phone", 1, 1),
            KeyCount("email", 1, 1),
            KeyCount("monitoring", 1, 2),
            KeyCount("technician", 0, 0),
        ),
        by_week=(
            WeekTickets(date(2026, 10, 1), date(2026, 10, 7), (0, 1, 0, 0)),
            WeekTickets(date(2026, 10, 8), date(2026, 10, 14), (0, 0, 1, 0)),
            WeekTickets(date(2026, 10, 15), date(2026, 10, 21), (0, 0, 0, 0)),
            WeekTickets(date(2026, 10, 22), date(2026, 10, 28), (1, 0, 0, 1)),
            WeekTickets(date(2026, 10, 29), date(2026, 10, 31), (0, 1, 0, 0)),
        ),
        sla_response=SlaTarget(met=3, breached=2),
        sla_resolution=SlaTarget(met=3, breached=1),
        breaches=(
            SlaBreach(t["t5"].pk, "Disk nearly full", "P3", "resolution", at(1, 18), at(2, 9), 15 * 60),
            SlaBreach(t["t2"].pk, "Mailbox migration", "P3", "response", at(12, 12), at(12, 14, 15), 135),
            # Due at 11:00 on the 31st and not answered by midnight: 13 hours so far.
            SlaBreach(t["t6"].pk, "VPN refuses to connect", "P2", "response", at(31, 11), None, 13 * 60),
        ),
        breaches_total=3,
        proactive=Share(tickets=1, minutes=40),
        reactive=Share(tickets=4, minutes=470),
        alerts_opened=3,
        alerts_resolved=3,
        alerts_with_ticket=1,
        alerts_by_severity=(AlertCount("critical", 2, 2), AlertCount("warning", 1, 1)),
        alerts_by_check=(
            AlertCount("disk_usage", 1, 1),
            AlertCount("offline", 1, 1),
            AlertCount("patch_missing", 1, 0),
            AlertCount("cpu", 0, 1),
        ),
        assets_total=3,
        patches=(
            PatchCount("missing", 1, 4),
            PatchCount("up_to_date", 1, 0),
            PatchCount("unknown", 1, 0),
        ),
        warranties=(Warranty(world["server"].pk, "Server01", "server", date(2026, 12, 30)),),
        warranties_total=1,
        worked_minutes=510,  # raw minutes: 50 + 100 + 290 + 30 + 40
        work_types=(
            WorkTypeMinutes("Remote support", 370, 360),
            WorkTypeMinutes("On-site", 100, 105),
            WorkTypeMinutes("After hours", 40, 68),
        ),
        break_fix=BreakFix(
            rate=Money("120.00", "EUR"),
            rate_source="tenant",
            billable_minutes=533,
            cost=Money("1066.00", "EUR"),  # 533 minutes at 120.00 an hour
            invoiced=Money("900.00", "EUR"),  # 1,000.00 less the 100.00 credit note
            invoices=(
                InvoiceRef(world["invoice"].pk, world["invoice"].number, "invoice", Money("1000.00", "EUR")),
                InvoiceRef(world["credit"].pk, world["credit"].number, "credit_note", Money("100.00", "EUR")),
            ),
        ),
    )


def test_every_figure_of_a_known_month_is_exact(october):
    figures = month_figures(october["client"], OCTOBER, now=AFTER)

    expected = expected_figures(october)
    for field in MonthFigures.__dataclass_fields__:  # one field at a time: a failure names it
        assert getattr(figures, field) == getattr(expected, field), field
    assert figures == expected
    assert figures.break_fix.saving == Money("166.00", "EUR")
    assert figures.sla_response.percent == 60 and figures.sla_resolution.percent == 75
    hours = figures.contracts[0]
    assert hours.balance_end_minutes == hours.daily_balance[-1] == hours.month_ends[-1].balance_minutes
    assert hours.balance_end_minutes == hours.balance_start_minutes + hours.bought_minutes - (
        hours.used_minutes + hours.expired_minutes
    )


def test_the_figures_survive_json_and_generating_again_gives_the_same(october):
    figures = month_figures(october["client"], OCTOBER, now=AFTER)

    stored = json.loads(json.dumps(figures.to_json()))  # what a JSONField keeps
    assert MonthFigures.from_json(stored) == figures
    assert stored["break_fix"]["cost"] == {"amount": "1066.00", "currency": "EUR"}
    assert stored["contracts"][0]["forecast"]["on"] == "2026-11-29"
    again = month_figures(october["client"], OCTOBER, now=datetime(2027, 3, 1, tzinfo=UTC))
    assert again == figures
    assert report_html(again) == report_html(figures)


def test_a_month_still_running_is_read_up_to_now(october):
    figures = month_figures(october["client"], OCTOBER, now=at(20, 12))

    hours = figures.contracts[0]
    assert figures.as_of == at(20, 12)
    assert len(hours.daily_balance) == 20
    assert hours.balance_end_minutes == 855 and hours.used_minutes == 465  # 60 + 105 + 300
    assert figures.tickets_opened == 2  # T1 and T2
    # T6's response is due on the 31st: not yet breached on the 20th.
    assert figures.sla_response == SlaTarget(met=1, breached=1)
    assert figures.worked_minutes == 440  # 50 + 100 + 290


def test_nothing_of_another_client_or_msp_gets_in(october):
    figures = month_figures(october["client"], OCTOBER, now=AFTER)
    html = report_html(figures)

    for leak in ("Bravo", "Zulu", "secret outage", "vault", "noise_check", "5,000"):
        assert leak not in html
    bravo = Client.unscoped.get(name="Bravo")
    theirs = month_figures(bravo, OCTOBER, now=AFTER)
    assert theirs.tickets_opened == 1 and theirs.worked_minutes == 100 and not theirs.contracts
    assert theirs.break_fix.invoiced == Money("5000.00", "EUR")
    with tenant_scope(october["tenant"], client=october["client"]):
        with pytest.raises(RuntimeError):
            month_figures(bravo, OCTOBER, now=AFTER)  # asked for inside Acme's contact's scope
    zulu = Client.unscoped.get(name="Zulu")
    with tenant_scope(october["tenant"]), pytest.raises(RuntimeError):
        month_figures(zulu, OCTOBER, now=AFTER)  # another MSP's client inside Alpha's scope


def test_the_html_and_the_pdf_show_the_figures(october):
    figures = month_figures(october["client"], OCTOBER, now=AFTER)

    html = report_html(figures)
    assert html.startswith("<!DOCTYPE html>")
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html and "<script" not in html and 'src="/' not in html
    assert html.count("<svg") == 8  # 2 burn-downs, tickets by week, 2 gauges, 3 bar charts
    pdf = report_pdf(report_html(figures, for_pdf=True))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    text = " ".join(text.split())
    for shown in (
        "Alpha MSP S.r.l.",
        "Acme",
        "October 2026",
        "8:53 h",  # hours used
        "13:07 h",  # balance at the month's end
        "−0:30 h",  # expired
        "around 29 Nov 2026",  # the forecast
        "3 targets missed",
        "Mailbox migration",
        "2 h 15 min",
        "VPN refuses to connect",
        "60%",
        "75%",
        "Server01",
        "30 Dec 2026",
        "€1,066.00",  # at the break/fix rate
        "€900.00",  # invoiced
        "€166.00",  # the saving
        "INV-2026-0001",
    ):
        assert shown in text, shown


def test_the_report_is_written_in_the_clients_language(october):
    Client.unscoped.filter(pk=october["client"].pk).update(language="it")
    client = Client.unscoped.get(pk=october["client"].pk)
    figures = month_figures(client, OCTOBER, now=AFTER)

    assert figures.language == "it"
    html = report_html(figures)
    assert 'lang="it"' in html
    assert "ottobre 2026" in html
    assert "Ore usate" in html and "Hours used" not in html
    assert "1.066,00" in html  # money in the Italian style


def test_a_client_without_anything_this_month_gets_a_report_of_zeros(tenant):
    client = ClientFactory(tenant=tenant, name="Quiet")
    figures = month_figures(client, OCTOBER, now=AFTER)

    assert figures.contracts == () and figures.tickets_opened == 0 and figures.worked_minutes == 0
    assert figures.sla_response.percent is None and figures.breaches == ()
    assert figures.break_fix == BreakFix(None, "", 0, None, Money(0, client.currency), ())
    assert figures.break_fix.saving is None
    assert MonthFigures.from_json(figures.to_json()) == figures
    assert "No time was logged this month." in report_html(figures)
    assert report_pdf(report_html(figures, for_pdf=True)).startswith(b"%PDF")


def test_the_break_fix_rate_is_the_clients_break_fix_contract_s_when_it_has_one(tenant):
    from contracts.choices import ContractKind
    from tests.factories import ContractFactory

    client = ClientFactory(tenant=tenant, currency="EUR")
    ContractFactory(
        tenant=tenant,
        client=client,
        kind=ContractKind.BREAK_FIX,
        tier=None,
        hourly_rate=Money(Decimal("95.00"), "EUR"),
        start_date=date(2026, 1, 1),
    )
    with tenant_scope(tenant):
        figures = month_figures(client, OCTOBER, now=AFTER)  # the MSP's scope is fine
    assert figures.break_fix.rate == Money("95.00", "EUR")
    assert figures.break_fix.rate_source == "contract"
    assert figures.break_fix.cost == Money("0.00", "EUR")
