"""Benchmark runner (issue 5): real HTTP against gunicorn on loopback, on generated data.

    .venv/bin/python manage.py generate_bench_data --scale 0.1 --seed 42   # once per database
    .venv/bin/python -m bench.run [--requests 30] [--workers 4] [--check]
    .venv/bin/python -m bench.run --db small=postgres://…/bench_s --db large=postgres://…/bench_l --check

Without ``--db`` it measures the database of the environment (``DATABASE_URL``, else SQLite in
``MSP_VAR_DIR``). With several ``--db LABEL=URL`` it measures them in one run, interleaved
(for each line: every database in turn), so noise hits them alike, and adds the ratio
p50(last)/p50(first): pages should stay near 1, the sweep grows with the open tickets.

Per database: one gunicorn (``-w --workers`` sync workers, ``DEBUG=true``: no collectstatic and
no secure-only cookies over plain HTTP; DEBUG also records the queries of each request, a
small overhead the figures include) and one ``bench.probe`` process for what runs in-process:
fixtures, query counts (Django test Client and ``CaptureQueriesContext``), the SLA sweep
timing, and removing the draw-down lines' rows at the end. The 4-client draw-down line needs
``--workers`` ≥ 4, hence the default; with fewer, requests queue in gunicorn.

The lines and budgets are in ``bench/lines.py``; ``--check`` exits 1 when one misses.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from bench import ingest
from bench.http import ROOT, Gunicorn, Session
from bench.lines import LINES, Line, verdict

WARM_UP = 3
# Set when the run is stopped (SIGTERM, Ctrl-C): concurrent clients finish the request in
# flight and stop, so the clean-up that follows runs with no writer beside it.
STOP = threading.Event()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def summary(times: list[float], seconds: float, statuses: set[int]) -> dict:
    bad = sorted(s for s in statuses if not 200 <= s < 300)
    return {
        "p50": statistics.median(times),
        "p95": pct(times, 0.95),
        "rps": len(times) / seconds,
        "status": bad[0] if bad else min(statuses),
        "status_ok": not bad,
        "times": times,
        "seconds": seconds,
        "statuses": statuses,
    }


def merge(rounds: list[dict]) -> dict:
    """One line's rounds as one sample: p50/p95 over every request of every round."""
    times = [t for r in rounds for t in r["times"]]
    return summary(times, sum(r["seconds"] for r in rounds), set().union(*(r["statuses"] for r in rounds)))


class Database:
    """One measured database: its probe process, its gunicorn, its logged-in sessions."""

    def __init__(self, label: str, url: str | None, env: dict, workers: int):
        self.label = label
        self.env = {**env, **({"DATABASE_URL": url} if url else {})}
        self.workers = workers
        self.probe = subprocess.Popen(
            [sys.executable, "-m", "bench.probe"],
            cwd=ROOT,
            env=self.env,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # Out of the runner's process group: a signal to the group (`timeout`, Ctrl-C) stops
            # the runner, which then asks the probe to clean up; the probe ends when its stdin
            # closes, also when the runner is killed outright.
            start_new_session=True,
        )
        self.server: Gunicorn | None = None
        self.fx: dict = {}
        self.sessions: dict[str, Session] = {}
        self.fleet_sent: dict[int, int] = {}  # per ingest client: the next position of its stream

    def ask(self, op: str, **args):
        self.probe.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self.probe.stdin.flush()
        line = self.probe.stdout.readline()
        if not line:
            raise SystemExit(f"[{self.label}] the probe died during {op!r} (see stderr)")
        answer = json.loads(line)
        if "error" in answer:
            raise SystemExit(f"[{self.label}] {answer['error']}")
        return answer["ok"]

    def start(self) -> None:
        self.fx = self.ask("fixtures")
        self.server = Gunicorn(self.env, self.workers)
        for who in ("tech", "client", "owner"):
            self.sessions[who] = Session(self.server.port)
            self.sessions[who].login(self.fx[who], self.fx["password"])
        self.sessions["api"] = self.api_session()
        self.sessions["ingest"] = self.api_session("ingest")

    def api_session(self, who: str = "api") -> Session:
        """A new connection with the API token, or with the run's ingest key (an agent)."""
        session = Session(self.server.port)
        if who == "ingest":
            session.headers["X-Ingest-Key"] = self.fx["ingest_key"]
        else:
            session.headers["Authorization"] = f"Token {self.fx['token']}"
        return session

    def fleet_request(self, line: Line, client: int) -> dict:
        """An ingest line's next request for one client: its stream goes on where it stopped."""
        start = self.fleet_sent.get(client, 0)
        self.fleet_sent[client] = start + line.messages
        return line.request(self.fx, client, start)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
        if self.probe.poll() is None:
            if self.fx:
                self.ask(
                    "revoke",
                    token_id=self.fx["token_id"],
                    tenant_id=self.fx["tenant_id"],
                    ingest_key_id=self.fx["ingest_key_id"],
                )
            self.probe.stdin.close()
            self.probe.wait(timeout=20)


def measure_http(db: Database, line: Line, n: int) -> dict:
    session, spec = db.sessions[line.who], line.request(db.fx)
    statuses, times = set(), []
    # Warm-ups per worker: gunicorn hands each request to any of its workers, and each worker
    # has its own fragment cache and lazy imports, as on a server that has been up a while.
    for _ in range(WARM_UP * db.workers):
        session.send(spec)
    began = time.perf_counter()
    for _ in range(n):
        t0 = time.perf_counter()
        status, _body = session.send(spec)
        times.append((time.perf_counter() - t0) * 1000)
        statuses.add(status)
    return summary(times, time.perf_counter() - began, statuses)


def measure_draw(db: Database, line: Line, n: int) -> dict:
    """``line.clients`` threads, each with its own connection and its own ticket (a draw-down)
    or share of the fleet (ingestion), N POSTs each."""
    sessions = [db.api_session(line.who) for _ in range(line.clients)]
    if line.kind == "ingest":

        def spec(i: int) -> dict:
            return db.fleet_request(line, i)  # the next part of client i's stream
    else:
        specs = [line.request(db.fx, i) for i in range(line.clients)]

        def spec(i: int) -> dict:
            return specs[i]

    # Warm-ups as for pages, spread over the clients: every worker has drawn once (lazy
    # imports, its database connection's catalog caches for the tables a draw writes).
    for i in range(WARM_UP * db.workers):
        sessions[i % len(sessions)].send(spec(i % len(sessions)))
    times: list[float] = []
    statuses: set[int] = set()
    lock, began = threading.Lock(), []
    barrier = threading.Barrier(line.clients, action=lambda: began.append(time.perf_counter()))

    def work(session: Session, client: int) -> None:
        barrier.wait()
        mine = []
        for _ in range(n):
            if STOP.is_set():
                break
            request = spec(client)  # an ingest body is built before its clock starts
            t0 = time.perf_counter()
            status, _body = session.send(request)
            mine.append(((time.perf_counter() - t0) * 1000, status))
        with lock:
            times.extend(t for t, _s in mine)
            statuses.update(s for _t, s in mine)

    threads = [threading.Thread(target=work, args=(session, i)) for i, session in enumerate(sessions)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    finally:
        for thread in threads:  # stopped while waiting: let them finish first
            thread.join(timeout=60)
    return summary(times, time.perf_counter() - began[0], statuses)


# Kinds timed inside the probe, not over HTTP.
IN_PROCESS = {"sweep", "billing", "pdf", "ingest_queries", "report", "report_month", "einvoice", "einvoice_zip"}
CONCURRENT = {"draw", "ingest"}  # kinds measured by ``measure_draw``


def measure_sweeps(dbs: list[Database], line: Line, repeat: int) -> dict[str, dict]:
    """An in-process line (the SLA sweep, the monthly billing run, an invoice PDF, the ingestion
    queries): one warm-up, then `repeat` runs per database, median."""
    runs: dict[str, list[dict]] = {db.label: [] for db in dbs}
    for db in dbs:
        db.ask(line.kind, all_due=line.all_due)  # warm-up: imports, translations, the plan cache
    for _ in range(repeat):
        for db in dbs:
            runs[db.label].append(db.ask(line.kind, all_due=line.all_due))
    results = {}
    for label, samples in runs.items():
        ms = [s["ms"] for s in samples]
        results[label] = {
            **samples[-1],
            "p50": statistics.median(ms),
            "p95": pct(ms, 0.95),
            "rps": None,
            "samples": [round(m) for m in ms],
        }
    return results


def counted_request(db: Database, line: Line) -> dict:
    """The request whose queries the probe counts (after one warm-up request: the same one,
    or for an ingest line the one before it in the stream, as sending it twice would be a
    repeat of a new problem)."""
    if line.kind != "ingest":
        return line.request(db.fx)
    warm = db.fleet_request(line, 0)
    return {**db.fleet_request(line, 0), "warm": warm}


def parse_dbs(values: list[str]) -> list[tuple[str, str | None]]:
    if not values:
        return [("default", None)]
    dbs = []
    for value in values:
        label, sep, url = value.partition("=")
        if not sep or not re.fullmatch(r"[\w.-]+", label):
            raise SystemExit(f"--db wants LABEL=URL, got {value!r}")
        dbs.append((label, url))
    return dbs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the app over real HTTP.")
    parser.add_argument(
        "--db",
        action="append",
        default=[],
        metavar="LABEL=URL",
        help="a database to measure (repeat; smallest first); default: the environment's",
    )
    parser.add_argument("--rounds", type=int, default=3, help="times every line is measured, interleaved")
    parser.add_argument(
        "--requests", type=int, default=20, help="timed requests per line and round (and per draw client)"
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers per database (≥ 4)")
    parser.add_argument("--sweeps", type=int, default=5, help="timed SLA sweeps per database")
    parser.add_argument("--only", default="", help="measure only the lines whose name contains this")
    parser.add_argument("--check", action="store_true", help="exit 1 when a line misses its budget")
    parser.add_argument("--scale", help=argparse.SUPPRESS)  # old label; sizes are now read from the data
    args = parser.parse_args(argv)
    # A run stopped with SIGTERM (timeout, kill) still removes what its writes added and
    # revokes its token and key: the `finally` blocks below run on SystemExit, not on a signal.
    def stop(signum, frame):
        STOP.set()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    env = {
        **os.environ,
        "DEBUG": "true",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "DJANGO_SETTINGS_MODULE": "msp.settings",
    }
    env.setdefault("SECRET_KEY", "bench-not-secret")
    env.setdefault("LOG_LEVEL", "WARNING")
    if args.db:
        # Tasks the measured requests enqueue (low-balance checks) go to a throwaway
        # filesystem broker: no worker of another database may ever consume them.
        env.pop("REDIS_URL", None)
        env["MSP_VAR_DIR"] = tempfile.mkdtemp(prefix="msp-bench-")
        atexit.register(shutil.rmtree, env["MSP_VAR_DIR"], True)
    lines = [line for line in LINES if args.only.lower() in line.name.lower()]
    dbs = [Database(label, url, env, args.workers) for label, url in parse_dbs(args.db)]
    results: dict[str, dict[str, dict]] = {line.name: {} for line in lines}
    extra: dict[str, dict] = {db.label: {} for db in dbs}
    try:
        for db in dbs:
            db.start()
        draws = any(line.kind == "draw" for line in lines)
        marks = {db.label: db.ask("draw_mark", tickets=db.fx["draw_tickets"]) for db in dbs} if draws else {}
        ingests = any(line.kind == "ingest" for line in lines)
        fleet_marks = (
            {db.label: db.ask("ingest_mark", tenant_id=db.fx["tenant_id"], fleet=db.fx["fleet"]) for db in dbs}
            if ingests
            else {}
        )
        try:
            # Rounds: every line on every database, then again. The machine is shared, and a
            # neighbour's burst then lands on a share of every line instead of on one line.
            rounds: dict[str, dict[str, list[dict]]] = {
                line.name: {db.label: [] for db in dbs} for line in lines
            }
            for _round in range(args.rounds):
                for line in lines:
                    if line.kind in IN_PROCESS:
                        continue
                    for db in dbs:
                        measure = measure_draw if line.kind in CONCURRENT else measure_http
                        rounds[line.name][db.label].append(measure(db, line, args.requests))
            for line in lines:
                if line.kind in IN_PROCESS:
                    results[line.name] = measure_sweeps(dbs, line, args.sweeps)
                else:
                    results[line.name] = {label: merge(runs) for label, runs in rounds[line.name].items()}
            for db in dbs:
                specs = [
                    counted_request(db, line) for line in lines if line.kind not in IN_PROCESS
                ]
                for name, count in db.ask("counts", requests=specs, fx=db.fx).items():
                    results[name][db.label]["queries"] = count
        finally:
            for db in dbs:  # no request may still be writing while the clean-up runs
                if db.server is not None:
                    db.server.stop()
            for db in dbs:
                if db.label in marks:
                    extra[db.label]["draw"] = db.ask("draw_verify", mark=marks[db.label])
                    extra[db.label]["cleanup"] = db.ask("draw_cleanup", mark=marks[db.label])
                if db.label in fleet_marks:
                    extra[db.label]["ingest"] = {
                        "sent": ingest.tally(db.fx["fleet"], db.fleet_sent),
                        **db.ask("ingest_verify", mark=fleet_marks[db.label]),
                        "cleanup": db.ask("ingest_cleanup", mark=fleet_marks[db.label]),
                    }
    finally:
        for db in dbs:
            db.stop()

    failed = report(args, dbs, lines, results, extra)
    return 1 if args.check and failed else 0


def _cell(value, fmt: str) -> str:
    return "–" if value is None else format(value, fmt)


def report(args, dbs: list[Database], lines: list[Line], results: dict, extra: dict) -> bool:
    """Print the run as Markdown (pastes into BENCHMARKS.md as is); True when a budget was missed."""
    argv = [re.sub(r"//([^:/@]+):[^@]+@", r"//\1:***@", a) for a in sys.argv[1:]]  # no passwords
    command = " ".join(["python -m bench.run", *map(shlex.quote, argv)])
    print(f"\n**bench.run**, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: `{command}`\n")
    for db in dbs:
        fx = db.fx
        print(
            f"- **{db.label}**: {fx['vendor']}; main tenant {fx['tickets']:,} tickets ({fx['open_tickets']:,} open); "
            f"ledger contract {fx['ledger_rows']} rows; offer client {fx['offer_assets']} assets"
        )
    print(
        f"- gunicorn -w {args.workers} (sync), DEBUG=true, {args.rounds} rounds of {args.requests} requests per line, each after {WARM_UP}× workers "
        f"warm-ups (draw-down: {args.requests} per client), SLA sweep {args.sweeps}× per database (median), "
        "all times in ms"
    )
    print(
        "- budgets: pages/API p50 < 50, p95 < 150, ≤ 15 queries; draw-down p50 < 30 (p95 < 150, ≤ 15 queries); "
        "SLA sweep < 2000 at full size (≥ 20,000 open tickets); monitoring ingestion ≥ 500 messages/s in "
        "batches of 100, ≥ 100 single-message requests/s, equal queries for batches of 10 and 100\n"
    )
    labels = [db.label for db in dbs]
    head = ["line"] + [f"{label} {col}" for label in labels for col in ("p50", "p95", "req/s", "queries")]
    head += ["ratio"] if len(dbs) > 1 else []
    head += ["verdict"]
    print("| " + " | ".join(head) + " |")
    print("|---|" + "---:|" * (len(head) - 2) + "---|")
    open_tickets = {db.label: db.fx["open_tickets"] for db in dbs}
    failed = False
    for line in lines:
        row = results[line.name]
        cells = [line.name]
        for label in labels:
            r = row[label]
            cells += [
                _cell(r["p50"], ".1f"),
                _cell(r["p95"], ".1f"),
                _cell(r.get("rps"), ".1f"),
                _cell(r.get("queries"), "d"),
            ]
        if len(dbs) > 1:
            cells.append(f"{row[labels[-1]]['p50'] / row[labels[0]]['p50']:.2f}")
        outcome = verdict(line, row, open_tickets)
        failed |= outcome.startswith("FAIL")
        cells.append(outcome)
        print("| " + " | ".join(cells) + " |")
    print()
    for line in lines:
        if line.kind == "billing":
            for label, r in results[line.name].items():
                print(
                    f"- {line.name}, {label}: runs {r['samples']} ms after one warm-up; {r['clients']:,} clients "
                    f"with a contract in all tenants, {r['invoices']:,} invoices of {r['lines']:,} lines; "
                    f"{r['queries']:,} queries ({r['per_invoice']} per invoice); no PDFs; rolled back each time"
                )
        if line.kind == "ingest":
            for label, r in results[line.name].items():
                print(
                    f"- {line.name}, {label}: {r['rps'] * line.messages:,.0f} messages/s "
                    f"({r['rps']:.1f} requests/s of {line.messages}, "
                    + (f"{line.clients} agents at once)" if line.clients > 1 else "one agent)")
                )
        if line.kind == "ingest_queries":
            for label, r in results[line.name].items():
                sizes = r["sizes"]
                print(
                    f"- {line.name}, {label}: {r['queries_small']} queries for {sizes[0]} heartbeats and repeats, "
                    f"{r['queries']} for {sizes[-1]} ({r['results']}); rolled back each time"
                )
        if line.kind == "report":
            for label, r in results[line.name].items():
                print(
                    f"- {line.name}, {label}: runs {r['samples']} ms; {r['client']}, {r['queries']} queries, "
                    f"HTML {r['html_bytes']:,} bytes, PDF {r['bytes']:,} bytes; nothing stored"
                )
        if line.kind == "report_month":
            for label, r in results[line.name].items():
                print(
                    f"- {line.name}, {label}: runs {r['samples']} ms after one warm-up; {r['reports']:,} reports "
                    f"for {r['clients']:,} clients of the main tenant ({r['per_report_ms']} ms and "
                    f"{r['per_report_queries']} queries each, {r['failed']} failed); no PDFs; rolled back each time"
                )
        if line.kind == "pdf":
            for label, r in results[line.name].items():
                print(f"- {line.name}, {label}: runs {r['samples']} ms; {r['lines']} lines, {r['bytes']:,} bytes")
        if line.kind == "einvoice":
            for label, r in results[line.name].items():
                print(
                    f"- {line.name}, {label}: runs {r['samples']} ms; {r['lines']} lines, {r['bytes']:,} bytes, "
                    f"{r['queries']} queries; rolled back each time"
                )
        if line.kind == "einvoice_zip":
            for label, r in results[line.name].items():
                print(
                    f"- {line.name}, {label}: runs {r['samples']} ms; {r['files']:,} files made in {r['made_ms']:,} ms "
                    f"({r['per_invoice_ms']} ms each, from {r['invoices']:,} invoices), zipped in {r['zip_ms']:,} ms "
                    f"({r['zip_bytes']:,} bytes); rolled back each time"
                )
        if line.kind != "sweep":
            continue
        for label, r in results[line.name].items():
            print(
                f"- {line.name}, {label}: runs {r['samples']} ms after one warm-up; {r['open']:,} open tickets "
                f"(all tenants), {r['candidates']:,} with a running SLA (ok or at risk); claimed {r['breached']:,} breached and {r['at_risk']:,} at risk; {r['emails']:,} emails; "
                f"{r['queries']} queries; rolled back each time"
            )
    for label, info in extra.items():
        if "ingest" in info:
            i, c = info["ingest"], info["ingest"]["cleanup"]
            sent = i["sent"]
            print(
                f"- ingestion, {label}: {sum(sent.values()):,} messages sent ({sent['heartbeat']:,} heartbeats, "
                f"{sent['repeat']:,} repeats, {sent['problem']:,} new problems, {sent['recovery']:,} recoveries); "
                f"{i['opened']:,} alerts opened ({i['with_ticket']:,} with a ticket, {i['tickets']:,} new tickets, "
                f"{i['urgent']:,} of them P1/P2: {i['emails']:,} e-mails and {i['notifications']:,} notifications "
                f"queued), {i['recovered']:,} recovered; repeats counted on the open alerts "
                f"{i['repeats_counted']:,}; {i['heard']:,} machines heard; removed afterwards: {c['alerts']:,} "
                f"alerts, {c['tickets']:,} tickets, {c['notes']:,} notes, {c['days']:,} heartbeat days, "
                f"{c['emails']:,} e-mails, {c['notifications']:,} notifications (the rest restored)"
            )
        if "draw" in info:
            d, c = info["draw"], info["cleanup"]
            print(
                f"- draw-down, {label}: {d['entries']} entries created, {d['drawing']} drew hours "
                f"({d['drawn_minutes']} min, {d['debit_rows']} debit ledger rows on {d['entries_with_debits']} "
                f"entries, {d['renewals']} auto-renewals); removed afterwards: {c['entries']} entries, "
                f"{c['ledger_rows']} ledger rows, {c['blocks']} blocks, {c['warnings']} balance warnings"
            )
    sys.stdout.flush()
    return failed


if __name__ == "__main__":
    sys.exit(main())
