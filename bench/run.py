"""Benchmark runner (issue 5): real HTTP against gunicorn on loopback, on generated data.

    .venv/bin/python -m bench.generate --scale 0.1 --seed 42   # once, into the database below
    .venv/bin/python -m bench.run --scale 0.1 [--requests 30] [--workers 2]

Uses the database of the environment (``DATABASE_URL``, else SQLite in ``MSP_VAR_DIR``).
gunicorn runs the app with ``DEBUG=true``: no collectstatic and no secure-only cookies over
plain HTTP on loopback. DEBUG keeps a list of executed queries per request, a small
overhead the figures include. Query counts come from a separate in-process pass with
Django's test Client and ``CaptureQueriesContext`` against the same database.

Each line of the table: N sequential requests from one client after 3 warm-up requests;
p50/p95 of the wall time per request; throughput = N / total seconds of that line.
To add a line, append to ``pages()`` (later capabilities add their own).
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Page:
    name: str
    path: str
    who: str  # "tech", "client" (session) or "api" (token)


def pages(ids: dict) -> list[Page]:
    return [
        Page("ticket queue (SLA sort)", "/tickets/", "tech"),
        Page("ticket queue filtered", "/tickets/?status=open&priority=P2", "tech"),
        Page("ticket page", f"/tickets/{ids['ticket']}/", "tech"),
        Page("timesheet week", "/time/", "tech"),
        Page("contract ledger page", f"/contracts/{ids['contract']}/", "tech"),
        Page("asset list", "/assets/", "tech"),
        Page("portal home", "/", "client"),
        Page("portal tickets", "/portal/tickets/", "client"),
        Page("API tickets/", "/api/v1/tickets/", "api"),
        Page("API time-entries/", "/api/v1/time-entries/", "api"),
        Page("API contracts/{id}/ledger/", f"/api/v1/contracts/{ids['contract']}/ledger/", "api"),
    ]


class Session:
    """A tiny HTTP client: one keep-alive-when-possible connection and a cookie jar."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.headers: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        all_headers = {"Host": f"127.0.0.1:{self.port}", **self.headers, **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            self.conn.request(method, path, body=body, headers=all_headers)
            response = self.conn.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            self.conn.close()
            self.conn.request(method, path, body=body, headers=all_headers)
            response = self.conn.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
        return response.status, data, response

    def login(self, username: str, password: str) -> None:
        status, body, _ = self.request("GET", "/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if status != 200 or not match:
            raise SystemExit(f"login page: HTTP {status}, no CSRF token")
        form = urlencode({"csrfmiddlewaretoken": match.group(1).decode(), "username": username, "password": password})
        status, body, response = self.request(
            "POST", "/login/", body=form,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Referer": f"http://127.0.0.1:{self.port}/login/"},
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"login as {username} failed: HTTP {status}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msp.settings")
    import django

    django.setup()


def _fixtures() -> dict:
    """Ids and logins on the generated main tenant; issues a fresh API token for the technician."""
    from django.db.models import Count

    from bench.generate import MAIN_SLUG, PASSWORD
    from contracts.choices import ContractKind
    from contracts.models import Contract
    from msp.models import ApiToken, Membership, Tenant
    from msp.roles import Role
    from tickets.choices import OPEN_STATUSES
    from tickets.models import Ticket

    tenant = Tenant.objects.filter(slug=MAIN_SLUG).first()
    if tenant is None:
        raise SystemExit("No generated data: run `python -m bench.generate --scale ...` first.")
    tech = Membership.unscoped.filter(tenant=tenant, role=Role.TECHNICIAN).select_related("user").order_by("pk").first()
    client = Membership.unscoped.filter(tenant=tenant, role=Role.CLIENT).select_related("user").first()
    ticket = Ticket.unscoped.filter(tenant=tenant, status__in=OPEN_STATUSES).order_by("pk").first()
    # The prepaid contract with the longest ledger is the honest worst case for the ledger lines.
    contract = (
        Contract.unscoped.filter(tenant=tenant, kind=ContractKind.PREPAID_HOURS)
        .annotate(rows=Count("ledger")).order_by("-rows", "pk").first()
    )
    _token, key = ApiToken.issue(tech)
    return {
        "tenant": tenant, "tech": tech.user, "client": client.user, "password": PASSWORD, "token": key,
        "ticket": ticket.pk, "contract": contract.pk, "ledger_rows": contract.rows,
        "tickets": Ticket.unscoped.filter(tenant=tenant).count(),
    }


def _query_counts(lines: list[Page], fx: dict) -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients = {"tech": Client(HTTP_HOST="127.0.0.1"), "client": Client(HTTP_HOST="127.0.0.1")}
    for who in ("tech", "client"):  # a real login, so the session carries the tenant as in HTTP
        response = clients[who].post("/login/", {"username": fx[who].username, "password": fx["password"]})
        assert response.status_code == 302, f"in-process login as {who}: HTTP {response.status_code}"
    api = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {fx['token']}")
    counts = {}
    for page in lines:
        client = api if page.who == "api" else clients[page.who]
        client.get(page.path)  # warm caches the way a running server would have them
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(page.path)
        counts[page.name] = len(ctx) if response.status_code == 200 else -response.status_code
    return counts


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Benchmark the app over real HTTP.")
    parser.add_argument("--scale", type=float, default=0.1, help="label only: the scale the data was generated at")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per line")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)

    os.environ["DEBUG"] = "true"
    os.environ.setdefault("SECRET_KEY", "bench-not-secret")
    os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    _setup_django()
    from django.core.management import call_command
    from django.db import connection

    call_command("createcachetable")  # the throttles and sessions use the database cache
    fx = _fixtures()
    lines = pages(fx)
    port = args.port or _free_port()
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "msp.wsgi:application", "-b", f"127.0.0.1:{port}",
         "-w", str(args.workers), "--log-level", "warning"],
        cwd=ROOT, env=os.environ.copy(), start_new_session=True,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        tech, client = Session(port), Session(port)
        tech.login(fx["tech"].username, fx["password"])
        client.login(fx["client"].username, fx["password"])
        api = Session(port)
        api.headers["Authorization"] = f"Token {fx['token']}"
        sessions = {"tech": tech, "client": client, "api": api}
        results = []
        for page in lines:
            session = sessions[page.who]
            for _ in range(3):
                status, _body, _ = session.request("GET", page.path)
            times = []
            began = time.perf_counter()
            for _ in range(args.requests):
                t0 = time.perf_counter()
                status, _body, _ = session.request("GET", page.path)
                times.append((time.perf_counter() - t0) * 1000)
            total = time.perf_counter() - began
            results.append((page, status, statistics.median(times), _pct(times, 0.95), args.requests / total))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)

    counts = _query_counts(lines, fx)
    print(f"\nbench.run: {connection.vendor}, scale {args.scale} ({fx['tickets']} tickets in the main tenant; "
          f"ledger page contract has {fx['ledger_rows']} rows), gunicorn -w {args.workers}, DEBUG=true, "
          f"{args.requests} requests per line, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    header = f"{'line':<30} {'HTTP':>4} {'p50 ms':>8} {'p95 ms':>8} {'req/s':>7} {'queries':>8}"
    print(header)
    print("-" * len(header))
    for page, status, p50, p95, rps in results:
        print(f"{page.name:<30} {status:>4} {p50:>8.1f} {p95:>8.1f} {rps:>7.1f} {counts[page.name]:>8}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
