"""Smoke test of the benchmark runner's pieces, in-process on the test database.

The runner itself serves the app with gunicorn against a real database, which the test
database (in memory on SQLite, inside a transaction on PostgreSQL) cannot be for another
process. So this runs what it runs in-process, on a tiny generated data set: the fixtures,
every registered line through Django's test Client (all must answer 2xx), the draw-down
line with its verification and clean-up, the SLA sweep timing (rolled back), and the
verdict and report logic.
"""

from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client

from audit.models import AuditEntry
from bench import ingest, probe
from bench import lines as bench_lines
from bench.generate import generate
from bench.lines import DRAW, LINES, PAGE, SWEEP, Budget, Line, verdict
from bench.run import IN_PROCESS, report
from billing.models import Invoice
from contracts.models import Contract, LedgerEntry
from sales.models import Offer
from tickets.models import Ticket
from timetracking.models import TimeEntry

SCALE = 0.002


def test_registry_is_well_formed():
    names = [line.name for line in LINES]
    assert len(names) == len(set(names))
    assert {line.kind for line in LINES} == {
        "http",
        "draw",
        "sweep",
        "billing",
        "pdf",
        "ingest",
        "ingest_queries",
        "report",
        "report_month",
        "einvoice",
        "einvoice_zip",
    }
    assert {line.who for line in LINES} <= {"tech", "client", "owner", "api", "ingest"}
    assert [line.clients for line in LINES if line.kind == "draw"] == [1, 4, 4]
    # Each ingest client sends its own share of the fleet: at most as many as there are shares.
    ingest_lines = [line for line in LINES if line.kind == "ingest"]
    assert {(line.messages, line.clients) for line in ingest_lines} == {(100, 4), (100, 1), (1, 4), (1, 1)}
    assert all(line.who == "ingest" and line.clients <= ingest.FLEET_CLIENTS for line in ingest_lines)


@pytest.mark.django_db
def test_runner_pieces_on_generated_data():
    summary = generate(scale=SCALE, seed=11, quiet=True)
    fx = probe.fixtures()
    assert fx["offer"] == summary["tenants"][0]["offer_id"] == Offer.unscoped.get().pk
    assert fx["offer_assets"] == 10  # half the 20 assets below scale 0.04; 200 from there up
    assert len(fx["draw_tickets"]) == 4

    # Every line answers 2xx in-process, within the query budget's order of magnitude.
    mark = probe.draw_mark(fx["draw_tickets"])
    audit_before = AuditEntry.unscoped.count()
    fleet_mark = ingest.mark(fx["tenant_id"], fx["fleet"])
    tickets_before = Ticket.unscoped.count()
    ledger_before = LedgerEntry.unscoped.count()
    requests = [line.request(fx) for line in LINES if line.kind not in IN_PROCESS]
    counts = probe.query_counts(requests, fx)
    assert set(counts) == {spec["name"] for spec in requests}
    # A batch of 100 monitoring messages opens two alerts and their tickets (its queries are
    # judged by the in-process 10-vs-100 line instead).
    ingesting = {line.name for line in LINES if line.kind == "ingest" and line.messages > 1}
    assert all(0 < n <= 25 for name, n in counts.items() if name not in ingesting), counts
    assert all(0 < counts[name] <= 60 for name in ingesting), counts

    # The draw-down line's request through the API: it drew, and the clean-up removes all of it.
    api = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {fx['token']}")
    draw = next(line for line in LINES if line.kind == "draw")
    response = probe.send(api, draw.request(fx, index=1))
    assert response.status_code == 201, response.content
    assert response.json()["drawn_minutes"] == 15
    checked = probe.draw_verify(mark)
    # Each draw line is counted in-process twice (warm-up and measured), plus the one above.
    created = 2 * sum(line.kind == "draw" for line in LINES) + 1
    assert checked["entries"] == checked["drawing"] == checked["entries_with_debits"] == created
    assert checked["debit_rows"] >= created
    removed = probe.draw_cleanup(mark)
    assert removed["entries"] == created and removed["ledger_rows"] >= created
    assert LedgerEntry.unscoped.count() == ledger_before
    assert removed["audit"] > 0 and AuditEntry.unscoped.count() == audit_before  # the audit trail too
    assert not TimeEntry.unscoped.filter(pk__gt=mark["entry"]).exists()
    for contract in Contract.unscoped.filter(pk__in=mark["contracts"]).annotate(total=Sum("ledger__minutes")):
        assert contract.balance_minutes == contract.total == mark["balances"][contract.pk]

    # The ingest lines' alerts and tickets go too.
    assert Ticket.unscoped.count() > tickets_before
    assert ingest.cleanup(fleet_mark)["tickets"] > 0 and Ticket.unscoped.count() == tickets_before

    # The sweep is timed and rolled back: the next run finds the same backlog.
    before = list(Ticket.unscoped.order_by("pk").values_list("sla_state", "at_risk_notified_at"))
    first, second = probe.sweep_once(), probe.sweep_once()
    assert (
        first["ms"] > 0 and first["open"] == 40 + 20 * 2
    )  # 20 % open: 200 tickets in the main tenant, 10 in each small one
    assert (first["breached"], first["at_risk"]) == (second["breached"], second["at_risk"])
    assert list(Ticket.unscoped.order_by("pk").values_list("sla_state", "at_risk_notified_at")) == before
    # The billing run is timed and rolled back; the fixtures billed last month once.
    invoices = Invoice.unscoped.count()
    assert invoices > 0 and fx["invoice"]
    run = probe.billing_once()
    assert run["invoices"] > 0 and run["lines"] >= run["invoices"] and run["per_invoice"] < 40
    assert Invoice.unscoped.count() == invoices
    assert probe.pdf_once()["bytes"] > 1000
    # A monthly report is made and nothing stored; the month is made and rolled back.
    from reports.models import MonthlyReport

    # Last month's, for the report pages: the busiest client's (the MSP's page) and the portal
    # client's, sent (the client's own page shows sent reports only).
    assert {fx["report"], fx["portal_report"]} == set(MonthlyReport.unscoped.values_list("pk", flat=True))
    assert MonthlyReport.unscoped.get(pk=fx["portal_report"]).status == "sent"
    assert probe.report_once()["bytes"] > 1000
    month = probe.report_month_once()
    assert month["reports"] == month["clients"] > 0 and month["failed"] == 0
    assert MonthlyReport.unscoped.count() == len({fx["report"], fx["portal_report"]})
    # E-invoicing: one FatturaPA file, and 1,000 made and zipped; rolled back, nothing left.
    from billing.models import EInvoice

    one = probe.einvoice_once()
    assert one["bytes"] > 1000 and one["queries"] > 0
    batch = probe.einvoice_zip_once()
    assert batch["files"] == 1000 and batch["zip_bytes"] > 1000
    assert not EInvoice.unscoped.exists()
    assert probe.revoke(fx["token_id"], fx["tenant_id"], fx["ingest_key_id"]) == 1


@pytest.mark.django_db
def test_management_command_generates(capsys):
    call_command("generate_bench_data", scale=SCALE, seed=2, quiet=True)
    out = capsys.readouterr().out
    assert "Main tenant bench-main" in out and "offer_client_assets 10" in out


def test_budgets_and_verdict():
    fast = {"p50": 20.0, "p95": 40.0, "queries": 7, "status": 200, "status_ok": True}
    slow = {**fast, "p50": 60.0, "queries": 16}
    page = Line("page", "/")
    assert PAGE.misses(fast, 0) == []
    assert PAGE.misses(slow, 0) == ["p50≥50", "queries>15"]
    assert PAGE.misses({**fast, "status": 500, "status_ok": False, "queries": -500}, 0) == [
        "HTTP 500",
        "HTTP 500",
    ]
    assert DRAW.misses({**fast, "p50": 30.0}, 0) == ["p50≥30"]
    assert verdict(page, {"default": fast}, {"default": 10}) == "pass"
    assert verdict(page, {"small": fast, "large": slow}, {"small": 1, "large": 2}) == (
        "FAIL large: p50≥50, queries>15"
    )
    # The sweep is judged at full size only (20,000 open tickets in the main tenant).
    sweep = Line("sweep", kind="sweep", budget=SWEEP)
    taking = {"p50": 2500.0, "p95": 2600.0, "queries": 4}
    assert verdict(sweep, {"small": taking}, {"small": 2_000}) == "–"
    assert verdict(sweep, {"large": taking}, {"large": bench_lines.FULL_SIZE_OPEN}) == "FAIL p50≥2000"
    assert Budget().misses(slow, 0) == []
    # Ingestion: judged on throughput, and on the same queries for 10 and 100 messages.
    assert bench_lines.INGEST_BATCHED.misses({**fast, "rps": 4.9}, 0) == ["req/s<5"]
    assert bench_lines.INGEST_SINGLE.misses({**fast, "rps": 140.0}, 0) == []
    queries = {"p50": 40.0, "p95": 50.0, "rps": None, "queries": 8, "queries_small": 8}
    assert bench_lines.INGEST_QUERIES.misses(queries, 0) == []
    assert bench_lines.INGEST_QUERIES.misses({**queries, "queries": 12}, 0) == ["queries 8≠12 (10 vs 100)"]


def test_report_is_markdown_with_header_and_verdicts(capsys):
    fx = {"vendor": "sqlite 3", "tickets": 200, "open_tickets": 40, "ledger_rows": 9, "offer_assets": 10}
    dbs = [
        SimpleNamespace(label="small", fx=fx),
        SimpleNamespace(label="large", fx={**fx, "open_tickets": 20_000}),
    ]
    page, sweep = LINES[0], next(line for line in LINES if line.kind == "sweep")
    row = {"p50": 40.0, "p95": 60.0, "rps": 20.0, "queries": 7, "status": 200, "status_ok": True}
    swept = {
        "p50": 900.0,
        "p95": 950.0,
        "rps": None,
        "queries": 4,
        "samples": [900],
        "open": 20_000,
        "candidates": 50,
        "breached": 1,
        "at_risk": 2,
        "emails": 3,
    }
    results = {
        page.name: {"small": row, "large": {**row, "p50": 80.0}},
        sweep.name: {"small": {**swept, "p50": 90.0}, "large": swept},
    }
    args = SimpleNamespace(workers=4, requests=20, rounds=3, sweeps=5)
    failed = report(args, dbs, [page, sweep], results, {"small": {}, "large": {}})
    out = capsys.readouterr().out
    assert failed
    assert "**bench.run**, 20" in out and "sqlite 3" in out and "| ratio | verdict |" in out
    # The queue: judged at full size (p50 < 20) and on flatness (large/small < 1.3).
    assert (
        f"| {page.name} | 40.0 | 60.0 | 20.0 | 7 | 80.0 | 60.0 | 20.0 | 7 | 2.00 | FAIL large: p50≥20; ratio 2.00≥1.3 |"
        in out
    )
    assert "| 10.00 | pass |" in out  # the sweep: judged at full size only, within 2 s


def test_report_shows_the_ingestion_in_messages_and_what_it_did(capsys):
    fx = {"vendor": "sqlite 3", "tickets": 200, "open_tickets": 40, "ledger_rows": 9, "offer_assets": 10}
    dbs = [SimpleNamespace(label="small", fx=fx)]
    batch = next(
        line for line in LINES if line.kind == "ingest" and line.messages == 100 and line.clients == 4
    )
    queries = next(line for line in LINES if line.kind == "ingest_queries")
    results = {
        batch.name: {"small": {"p50": 90.0, "p95": 120.0, "rps": 4.0, "queries": 30, "status_ok": True}},
        queries.name: {
            "small": {
                "p50": 20.0,
                "p95": 21.0,
                "rps": None,
                "queries": 8,
                "queries_small": 9,
                "sizes": [10, 100],
                "results": {"heartbeat": 50, "repeat": 50},
            }
        },
    }
    sent = {"heartbeat": 48, "repeat": 49, "problem": 2, "recovery": 1}
    done = {
        "opened": 2,
        "with_ticket": 2,
        "tickets": 2,
        "urgent": 1,
        "emails": 6,
        "notifications": 6,
        "recovered": 1,
        "repeats_counted": 49,
        "heard": 48,
    }
    removed = {"alerts": 2, "tickets": 2, "notes": 1, "days": 0, "emails": 6, "notifications": 6}
    args = SimpleNamespace(workers=4, requests=20, rounds=3, sweeps=5)
    extra = {"small": {"ingest": {"sent": sent, **done, "cleanup": removed}}}
    failed = report(args, dbs, [batch, queries], results, extra)
    out = capsys.readouterr().out
    assert failed  # 400 messages/s, and 9 queries for 10 against 8 for 100
    assert f"| {batch.name} | 90.0 | 120.0 | 4.0 | 30 | FAIL req/s<5 |" in out
    assert "FAIL queries 9≠8 (10 vs 100)" in out
    assert "small: 400 messages/s (4.0 requests/s of 100, 4 agents at once)" in out
    assert "100 messages sent (48 heartbeats, 49 repeats, 2 new problems, 1 recoveries)" in out
    assert "1 of them P1/P2: 6 e-mails and 6 notifications queued" in out
