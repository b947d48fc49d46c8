"""The in-process side of the runner, against one database: fixtures, query counts, the SLA
sweep timing, and the bookkeeping of the draw-down lines.

Django binds one DATABASES per process, so ``bench.run`` starts one probe per database
(``python -m bench.probe`` with that database's ``DATABASE_URL``) and talks to it in JSON
lines: one request ``{"op": ..., **args}`` on stdin, one answer on stdout. The functions are
plain and importable too: tests/bench calls them in-process on the test database.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import timedelta

from bench import ingest, monitoring_data

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


def fixtures() -> dict:
    """Ids and logins on the generated main tenant; issues a fresh API token for the technician."""
    from django.db import connection
    from django.db.models import Count

    from assets.selectors import asset_counts_by_kind
    from bench.generate import MAIN_SLUG, OFFER_CLIENT, PASSWORD, SUBJECT_NOUNS
    from contracts.choices import ContractKind
    from contracts.models import Contract
    from msp.models import ApiToken, Client, Membership, Tenant
    from msp.roles import Role
    from msp.scoping import tenant_scope
    from sales.models import Offer
    from tickets.choices import OPEN_STATUSES
    from tickets.models import Ticket

    tenant = Tenant.objects.filter(slug=MAIN_SLUG).first()
    if tenant is None:
        raise SystemExit("No generated data: run `manage.py generate_bench_data --scale ...` first.")
    members = Membership.unscoped.filter(tenant=tenant).select_related("user").order_by("pk")
    tech = members.filter(role=Role.TECHNICIAN).first()
    client = members.filter(role=Role.CLIENT).first()
    owner = members.filter(role=Role.OWNER).first()
    tickets = Ticket.unscoped.filter(tenant=tenant)
    ticket = tickets.filter(status__in=OPEN_STATUSES).order_by("pk").first()
    # The prepaid contract with the longest ledger is the honest worst case for the ledger lines.
    contract = (
        Contract.unscoped.filter(tenant=tenant, kind=ContractKind.PREPAID_HOURS)
        .annotate(rows=Count("ledger"))
        .order_by("-rows", "pk")
        .first()
    )
    offer_client = Client.unscoped.filter(tenant=tenant).order_by("pk")[OFFER_CLIENT]
    offer = Offer.unscoped.filter(client=offer_client).order_by("pk").first()
    with tenant_scope(tenant):
        inventory = asset_counts_by_kind(client=offer_client)
    invoice = _invoices(tenant)
    report = _report(tenant)
    portal_report = _portal_report(client)
    token, key = ApiToken.issue(tech)  # revoked again at the end of the run (``revoke``)
    ingest_key_id, ingest_key = ingest.key_create(tenant)  # deleted with the token
    # The fleet kept reporting since the data set was generated (its pages show it so).
    caught_up = monitoring_data.catch_up(tenant)
    return {
        "vendor": _vendor(connection),
        "tech": tech.user.username,
        "client": client.user.username,
        "owner": owner.user.username,
        "password": PASSWORD,
        "token": key,
        "token_id": token.pk,
        "tenant_id": tenant.pk,
        "ingest_key": ingest_key,
        "ingest_key_id": ingest_key_id,
        "fleet": ingest.plan(tenant),
        "caught_up": caught_up,
        "ticket": ticket.pk,
        "contract": contract.pk,
        "ledger_rows": contract.rows,
        "offer": offer.pk if offer else 0,
        "offer_client": offer_client.pk,
        "offer_assets": sum(inventory.values()),
        "offer_inventory": inventory,
        "draw_tickets": draw_tickets(tenant),
        "tickets": tickets.count(),
        "open_tickets": tickets.filter(status__in=OPEN_STATUSES).count(),
        # What integrations filter by: the client with most tickets, the technician, a ticket
        # number ("#4242", URL-encoded), a word of the generated subjects, a host name's stem.
        "busy_client": tickets.values("client").annotate(n=Count("pk")).order_by("-n", "client")[0]["client"],
        "assignee": tech.user_id,
        "ticket_search": "%234242",
        "ticket_word": SUBJECT_NOUNS[2],
        "asset_search": "host0001",
        "invoice": invoice.pk,
        "report": report.pk,
        "portal_report": portal_report.pk,
        # The monitoring pages: the client with most open alerts, the asset with most alerts.
        **_monitoring(tenant),
    }


def _monitoring(tenant) -> dict:
    from django.db.models import Count

    from monitoring.models import Alert

    alerts = Alert.unscoped.filter(tenant=tenant)
    client = alerts.filter(status="open").values("client").annotate(n=Count("pk")).order_by("-n", "client")
    asset = alerts.values("asset").annotate(n=Count("pk")).order_by("-n", "asset")
    return {"alert_client": client[0]["client"], "alerted_asset": asset[0]["asset"]}


def _invoices(tenant):
    """Last month billed (issued) once for the main tenant, so the invoice pages have a month of
    invoices; the invoice with most lines is the one the invoice lines open."""
    from django.db.models import Count
    from django.utils import timezone

    from billing.models import BillingSettings, Invoice
    from billing.periods import Period
    from billing.services.run import billing_run
    from msp.scoping import tenant_scope

    with tenant_scope(tenant):
        if not Invoice.objects.exists():
            # A steady month: the MSP bills here from last month on (its history was billed
            # before), every invoice issued.
            last_month = Period.of(timezone.localdate()).previous()
            BillingSettings.objects.update_or_create(
                tenant=tenant, defaults={"auto_issue": True, "billing_starts": last_month.start}
            )
            billing_run(tenant=tenant, period=last_month)
        return Invoice.objects.annotate(n=Count("lines")).order_by("-n", "pk").first()


def _report_client(tenant, period):
    """The main tenant's client with the most tickets opened in `period`: the honest worst
    case of one report (its month has the most to count and draw)."""
    from django.db.models import Count, Q

    from msp.models import Client
    from msp.scoping import tenant_scope
    from reports.figures.queries import month_bounds
    from reports.services import tenant_zone

    start, end = month_bounds(period, tenant_zone(tenant))
    with tenant_scope(tenant):
        busiest = (
            Client.objects.annotate(
                n=Count("tickets", filter=Q(tickets__created_at__gte=start, tickets__created_at__lt=end))
            )
            .order_by("-n", "pk")
            .select_related("tenant")
            .first()
        )
    return busiest


def _report(tenant):
    """Last month's report of the busiest client, stored once (with its PDF), so the report
    page has one to open."""
    from django.utils import timezone

    from billing.periods import Period
    from reports.services import generate_report

    period = Period.of(timezone.localdate()).previous()
    return generate_report(_report_client(tenant, period), period)


def _portal_report(membership):
    """Last month's report of the portal user's client (two years of history behind it:
    bench.generate.PORTAL_CLIENT), for the client's own report page."""
    from django.utils import timezone

    from billing.periods import Period
    from msp.models import Client
    from reports.models import MonthlyReport, ReportStatus
    from reports.services import generate_report

    client = Client.unscoped.select_related("tenant").get(pk=membership.client_id)
    report = generate_report(client, Period.of(timezone.localdate()).previous())
    # The portal shows sent reports only; marked sent without e-mailing anyone (the bench's
    # contacts are not real people, and the line measures the page, not the sending).
    MonthlyReport.unscoped.filter(pk=report.pk, status=ReportStatus.DRAFT).update(
        status=ReportStatus.SENT, sent_at=timezone.now()
    )
    return report


def _vendor(connection) -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]} ({connection.settings_dict['NAME']})"
    import sqlite3

    return f"{connection.vendor} {sqlite3.sqlite_version}"


def draw_tickets(tenant, count: int = 4) -> list[int]:
    """Open tickets on distinct prepaid contracts, auto-renewing ones first (they never run dry),
    one per concurrent client of the draw-down lines; fewer contracts are reused in turn."""
    from contracts.choices import ContractKind
    from tickets.choices import OPEN_STATUSES
    from tickets.models import Ticket

    chosen: dict[int, int] = {}
    rows = (
        Ticket.unscoped.filter(
            tenant=tenant, status__in=OPEN_STATUSES, contract__kind=ContractKind.PREPAID_HOURS
        )
        .order_by("-contract__auto_renew", "contract_id", "pk")
        .values_list("contract_id", "pk")
    )
    for contract_id, ticket_id in rows.iterator():
        chosen.setdefault(contract_id, ticket_id)
        if len(chosen) == count:
            break
    tickets = list(chosen.values())
    if not tickets:
        raise SystemExit("No open ticket on a prepaid contract: the draw-down lines need one.")
    return [tickets[i % len(tickets)] for i in range(count)]


def query_counts(requests: list[dict], fx: dict) -> dict[str, int]:
    """Queries per request, in-process (test Client, real logins); -status when not 2xx."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    clients = logged_in_clients(fx)
    counts = {}
    for spec in requests:
        client = clients[spec["who"]]
        # Warm caches the way a running server would have them (with the spec's own warm-up
        # request where sending the same one twice would not be the same: the fleet's).
        send(client, spec.get("warm", spec))
        with CaptureQueriesContext(connection) as ctx:
            response = send(client, spec)
        counts[spec["name"]] = len(ctx) if 200 <= response.status_code < 300 else -response.status_code
    return counts


def logged_in_clients(fx: dict) -> dict:
    """Django test Clients per line's ``who``: real logins, so a session carries the tenant as
    in HTTP, the run's API token and its ingest key."""
    from django.test import Client

    clients = {}
    for who in ("tech", "client", "owner"):
        clients[who] = Client(HTTP_HOST="127.0.0.1")
        response = clients[who].post("/login/", {"username": fx[who], "password": fx["password"]})
        assert response.status_code == 302, f"in-process login as {who}: HTTP {response.status_code}"
    clients["api"] = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {fx['token']}")
    clients["ingest"] = Client(HTTP_HOST="127.0.0.1", HTTP_X_INGEST_KEY=fx["ingest_key"])
    return clients


def send(client, spec: dict):
    """A resolved request spec through Django's test Client."""
    headers = {"HX-Request": "true"} if spec.get("htmx") else {}
    if spec["method"] == "GET":
        return client.get(spec["path"], headers=headers)
    if spec.get("json"):
        return client.post(spec["path"], data=json.dumps(spec["body"]), content_type="application/json")
    return client.post(spec["path"], data=spec["body"], headers=headers)


def sweep_once(all_due: bool = False) -> dict:
    """Time ``tickets.tasks.sla_sweep`` once, inside a transaction that is rolled back (so every
    repetition finds the same backlog, and the e-mails it queued are never sent). Counts come
    from the result.

    ``all_due``: the worst case first: every open ticket of the data set with a running SLA
    whose 80 % point has just passed (set, untimed, inside the same rolled-back transaction),
    so the sweep claims and e-mails all of them at once."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.utils import timezone

    from msp.models import OutboundEmail
    from tickets.choices import OPEN_STATUSES, SlaState
    from tickets.models import Ticket
    from tickets.tasks import sla_sweep

    open_tickets = Ticket.unscoped.filter(status__in=OPEN_STATUSES).count()
    running = Ticket.unscoped.filter(
        sla_state__in=[SlaState.OK, SlaState.AT_RISK], sla_breach_at__isnull=False
    )
    with override_settings(EMAIL_BACKEND=LOCMEM), transaction.atomic():
        if all_due:
            now = timezone.now()
            Ticket.unscoped.filter(status__in=OPEN_STATUSES).exclude(status="waiting_on_client").update(
                sla_state=SlaState.OK,
                sla_warn_at=now - timedelta(minutes=1),
                sla_breach_at=now + timedelta(hours=1),
                at_risk_notified_at=None,
                breached_notified_at=None,
            )
        candidates = running.count()
        queued_before = OutboundEmail.unscoped.count()
        with CaptureQueriesContext(connection) as ctx:
            began = time.perf_counter()
            result = sla_sweep()
            ms = (time.perf_counter() - began) * 1000
        emails = OutboundEmail.unscoped.count() - queued_before  # queued; the worker sends them
        transaction.set_rollback(True)
    return {
        "ms": ms,
        "queries": len(ctx),
        "open": open_tickets,
        "candidates": candidates,
        "emails": emails,
        **result,
    }


def billing_once(all_due: bool = False) -> dict:
    """Time the monthly run of every tenant for a month nobody billed yet, inside a
    transaction that is rolled back (every repetition bills the same month; no PDFs)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from billing.models import Invoice, InvoiceLine
    from billing.periods import Period
    from billing.services.run import billing_run
    from msp.models import Tenant

    period = Period.of(timezone.localdate())
    for _ in range(2):  # a month after anything the fixtures billed
        period = Period(period.year + period.month // 12, period.month % 12 + 1)
    queries = [0]

    def count(execute, sql, params, many, context):
        # Counted, not logged: a run of 1,000 invoices overflows Django's 9,000-query log.
        queries[0] += 1
        return execute(sql, params, many, context)

    with transaction.atomic():
        lines_before = InvoiceLine.unscoped.count()
        clients = invoices = 0
        with connection.execute_wrapper(count):
            began = time.perf_counter()
            for tenant in Tenant.objects.order_by("pk"):
                result = billing_run(tenant=tenant, period=period)
                clients += result.clients
                invoices += len(result.invoices)
            ms = (time.perf_counter() - began) * 1000
        lines = InvoiceLine.unscoped.count() - lines_before
        made = Invoice.unscoped.count()
        transaction.set_rollback(True)
    return {
        "ms": ms, "queries": queries[0], "clients": clients, "invoices": invoices, "lines": lines,
        "per_invoice": round(queries[0] / max(invoices, 1), 1), "total_invoices": made,
    }


def pdf_once(all_due: bool = False) -> dict:
    """Render an invoice to PDF once (HTML and WeasyPrint), nothing stored: the invoice of
    median length, or with ``all_due`` (the worst case) the longest."""
    from django.conf import settings
    from django.db.models import Count
    from weasyprint import HTML

    from billing.models import Invoice
    from billing.pdf import render_invoice_html

    invoices = Invoice.unscoped.annotate(n=Count("lines")).order_by("-n", "pk").select_related("client__tenant")
    invoice = invoices.first() if all_due else invoices[invoices.count() // 2]
    began = time.perf_counter()
    data = HTML(string=render_invoice_html(invoice), base_url=str(settings.BASE_DIR)).write_pdf()
    ms = (time.perf_counter() - began) * 1000
    return {"ms": ms, "queries": None, "bytes": len(data), "lines": invoice.n}


def _main_tenant():
    from bench.generate import MAIN_SLUG
    from msp.models import Tenant

    return Tenant.objects.get(slug=MAIN_SLUG)


def _counting(queries: list):
    def count(execute, sql, params, many, context):
        queries[0] += 1
        return execute(sql, params, many, context)

    return count


def report_once(all_due: bool = False) -> dict:
    """One client's monthly report made from the data, nothing stored: its figures (the
    database), its HTML with the SVG charts (screen and print) and its PDF (WeasyPrint), as
    reports.services.generate_report makes them; the busiest client of the main tenant, last
    month."""
    from django.db import connection
    from django.utils import timezone

    from billing.periods import Period
    from reports.figures import month_figures
    from reports.render import report_html, report_pdf

    tenant = _main_tenant()
    period = Period.of(timezone.localdate()).previous()
    client = _report_client(tenant, period)
    queries = [0]
    with connection.execute_wrapper(_counting(queries)):
        began = time.perf_counter()
        figures = month_figures(client, period)
        html = report_html(figures)
        data = report_pdf(report_html(figures, for_pdf=True))
        ms = (time.perf_counter() - began) * 1000
    return {
        "ms": ms,
        "queries": queries[0],
        "bytes": len(data),
        "html_bytes": len(html),
        "client": client.name,
    }


def report_month_once(all_due: bool = False) -> dict:
    """Every report of a month for the main tenant's clients, without PDFs, as the beat task
    on the 1st makes them (reports.services.generate_month, nothing sent), inside a
    transaction rolled back: every repetition makes the same month. The month before last,
    any report of it deleted first (untimed), so each run makes them all."""
    from django.db import connection, transaction
    from django.utils import timezone

    from billing.periods import Period
    from msp.scoping import tenant_scope
    from reports.models import MonthlyReport
    from reports.services import generate_month

    tenant = _main_tenant()
    period = Period.of(timezone.localdate()).previous().previous()
    queries = [0]
    with transaction.atomic():
        with tenant_scope(tenant):
            MonthlyReport.objects.filter(period=str(period)).delete()
        with connection.execute_wrapper(_counting(queries)):
            began = time.perf_counter()
            run = generate_month(tenant, period, pdf=False, send=False)
            ms = (time.perf_counter() - began) * 1000
        transaction.set_rollback(True)
    made = len(run.generated)
    return {
        "ms": ms,
        "queries": queries[0],
        "clients": run.clients,
        "reports": made,
        "failed": len(run.failed),
        "per_report_ms": round(ms / max(made, 1), 1),
        "per_report_queries": round(queries[0] / max(made, 1), 1),
    }


def einvoice_once(all_due: bool = False) -> dict:
    """One FatturaPA file made as issuing makes it (bench.einvoices), rolled back."""
    from bench import einvoices

    return einvoices.einvoice_once(_main_tenant(), all_due=all_due)


def einvoice_zip_once(all_due: bool = False) -> dict:
    """The FatturaPA files of 1,000 invoices made and zipped (bench.einvoices), rolled back."""
    from bench import einvoices

    return einvoices.einvoice_zip_once(_main_tenant())


# --- Draw-down bookkeeping: mark before, verify and remove after ----------------------------


def _draw_contracts(ticket_ids: list[int]) -> list[int]:
    from tickets.models import Ticket

    return sorted(set(Ticket.unscoped.filter(pk__in=ticket_ids).values_list("contract_id", flat=True)))


def draw_mark(ticket_ids: list[int]) -> dict:
    """The high-water marks before the draw-down lines: everything above them is theirs."""
    from django.db.models import Max

    from audit.models import AuditEntry
    from contracts.models import BalanceWarning, Contract, HourBlock, LedgerEntry
    from timetracking.models import TimeEntry

    contracts = _draw_contracts(ticket_ids)

    def top(model, **filters) -> int:
        return model.unscoped.filter(**filters).aggregate(top=Max("pk"))["top"] or 0

    return {
        "tickets": ticket_ids,
        "contracts": contracts,
        "entry": top(TimeEntry),
        "ledger": top(LedgerEntry, contract__in=contracts),
        "block": top(HourBlock, contract__in=contracts),
        "warning": top(BalanceWarning, contract__in=contracts),
        "audit": top(AuditEntry),
        "balances": dict(Contract.unscoped.filter(pk__in=contracts).values_list("pk", "balance_minutes")),
    }


def draw_verify(mark: dict) -> dict:
    """How the entries the lines created were booked: each must have drawn, with ledger rows."""
    from django.db.models import Sum

    from contracts.models import HourBlock, LedgerEntry
    from timetracking.models import TimeEntry
    from timetracking.services import SOURCE_KIND

    entries = TimeEntry.unscoped.filter(pk__gt=mark["entry"], ticket_id__in=mark["tickets"])
    ids = list(entries.values_list("pk", flat=True))
    debits = LedgerEntry.unscoped.filter(
        contract__in=mark["contracts"],
        pk__gt=mark["ledger"],
        kind="debit",
        source_kind=SOURCE_KIND,
        source_id__in=ids,
    )
    return {
        "entries": len(ids),
        "drawing": entries.filter(drawn_minutes__gt=0).count(),
        "drawn_minutes": entries.aggregate(total=Sum("drawn_minutes"))["total"] or 0,
        "debit_rows": debits.count(),
        "entries_with_debits": debits.values("source_id").distinct().count(),
        "renewals": HourBlock.unscoped.filter(contract__in=mark["contracts"], pk__gt=mark["block"]).count(),
    }


def draw_cleanup(mark: dict) -> dict:
    """Remove exactly what the draw-down lines added, so runs do not grow the data set.

    The ledger is append-only by design (``LedgerEntry.delete`` raises, and the service's own
    undo, ``time_entry_delete``, appends reversal rows, which would grow the ledger on every
    run). The bench alone therefore deletes its rows with raw SQL: ledger rows, balance
    warnings and renewal blocks above the marks on the draw-down contracts, the new time
    entries on the draw-down tickets, and restores the contracts' balances.
    """
    from django.db import connection, transaction

    from contracts.models import BalanceWarning, Contract, HourBlock, LedgerEntry
    from timetracking.models import TimeEntry

    contracts = mark["contracts"]
    with transaction.atomic():
        warnings, _ = BalanceWarning.unscoped.filter(contract__in=contracts, pk__gt=mark["warning"]).delete()
        marks = ", ".join(["%s"] * len(contracts))
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {LedgerEntry._meta.db_table} WHERE contract_id IN ({marks}) AND id > %s",  # noqa: S608
                [*contracts, mark["ledger"]],
            )
            ledger = cursor.rowcount
        entries, _ = TimeEntry.unscoped.filter(pk__gt=mark["entry"], ticket_id__in=mark["tickets"]).delete()
        blocks, _ = HourBlock.unscoped.filter(contract__in=contracts, pk__gt=mark["block"]).delete()
        for pk, balance in mark["balances"].items():
            Contract.unscoped.filter(pk=pk).update(balance_minutes=balance)
        audit = _audit_cleanup(mark["audit"])
    return {"ledger_rows": ledger, "entries": entries, "blocks": blocks, "warnings": warnings, "audit": audit}


def _audit_cleanup(above: int) -> int:
    """The audit trail of the draw-down lines' writes (and of the clean-up's deletes above).
    It is append-only too, and on PostgreSQL a trigger refuses DELETE: the bench alone lifts
    it, inside this transaction (the ALTER is transactional), for its own rows."""
    from django.db import connection

    from audit.models import AuditEntry

    table = AuditEntry._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The clean-up's own audit rows have deferred foreign-key checks pending, which
            # an ALTER TABLE refuses to run beside: check them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER audit_entry_append_only")
        cursor.execute(f"DELETE FROM {table} WHERE id > %s", [above])  # noqa: S608
        removed = cursor.rowcount
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER audit_entry_append_only")
    return removed


def revoke(token_id: int, tenant_id: int | None = None, ingest_key_id: int | None = None) -> int:
    """Delete the run's API token and ingest key, so runs do not pile them up in the bench
    database."""
    from msp.models import ApiToken

    if ingest_key_id is not None:
        ingest.key_delete(tenant_id, ingest_key_id)
    return ApiToken.objects.filter(pk=token_id).delete()[0]


def serve() -> None:
    """The JSON-lines loop (``python -m bench.probe``): stdout carries only the answers."""
    out, sys.stdout = sys.stdout, sys.stderr  # anything the app prints goes to stderr
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msp.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("createcachetable")  # the throttles and sessions use the database cache
    state: dict = {}  # the fixtures, for the in-process lines that need them

    def fixtures_kept() -> dict:
        state["fx"] = fixtures()
        return state["fx"]

    ops = {
        "fixtures": lambda a: fixtures_kept(),
        "counts": lambda a: query_counts(a["requests"], a["fx"]),
        "sweep": lambda a: sweep_once(all_due=a.get("all_due", False)),
        "billing": lambda a: billing_once(),
        "pdf": lambda a: pdf_once(all_due=a.get("all_due", False)),
        "report": lambda a: report_once(),
        "report_month": lambda a: report_month_once(),
        "einvoice": lambda a: einvoice_once(all_due=a.get("all_due", False)),
        "einvoice_zip": lambda a: einvoice_zip_once(),
        "draw_mark": lambda a: draw_mark(a["tickets"]),
        "draw_verify": lambda a: draw_verify(a["mark"]),
        "draw_cleanup": lambda a: draw_cleanup(a["mark"]),
        "revoke": lambda a: revoke(a["token_id"], a.get("tenant_id"), a.get("ingest_key_id")),
        "ingest_queries": lambda a: ingest.queries_once(state["fx"]["fleet"], state["fx"]["ingest_key"]),
        "ingest_mark": lambda a: ingest.mark(a["tenant_id"], a["fleet"]),
        "ingest_verify": lambda a: ingest.verify(a["mark"]),
        "ingest_cleanup": lambda a: ingest.cleanup(a["mark"]),
    }
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer = {"ok": ops[request.pop("op")](request)}
        except SystemExit as exc:
            answer = {"error": str(exc)}
        out.write(json.dumps(answer, default=str) + "\n")
        out.flush()


if __name__ == "__main__":
    serve()
