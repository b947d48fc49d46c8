"""The row-level security fence's cost, measured in CPU time: on the page and API lines of
``bench.lines``, or on the monthly billing run.

    DATABASE_URL=postgres://.../bench_l python -m bench.fence_ab --line "API assets" --seconds 3
    DATABASE_URL=postgres://.../bench_l python -m bench.fence_ab --pairs 3

With ``--line``, each GET line whose name holds one of the texts is sent through Django's
test Client, in-process, with real logins and the run's API token, for about ``--seconds``
each way: fenced and not in turn (off, on, on, off, ...), each request timed on its own, the
garbage collected between requests. Without it, ``bench.probe.billing_once`` (every tenant's
run for a month nobody billed, rolled back) runs ``--pairs`` times each way. One process, one
connection: "off" makes the backend's wanted fence the login role's
(``msp.db.postgresql.base._wanted``), which is what the stock backend does; "on" is the
backend as it is. Besides the wall time it records the CPU time of this process and of the
PostgreSQL backend serving it (``/proc/<pid>/schedstat``, ``/proc/<pid>/stat``), which other
work on a shared machine moves less: the fence's cost is the on/off ratio of those medians.
The database server must run on this machine (its backend's /proc is read).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from collections.abc import Callable


def backend_cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _alternate(work: Callable[[], object], pairs: int, backend: int, say: Callable[[str], None]) -> dict:
    """Samples of ``work`` with the fence off and on: {label: [(wall, python CPU, PostgreSQL CPU)]},
    after one warm-up of each."""
    from msp.db.postgresql import base

    fenced = base._wanted  # noqa: SLF001 - the switch this measurement flips

    def unfenced():
        return base._BYPASS  # noqa: SLF001

    samples: dict[str, list[tuple[float, float, float]]] = {"off": [], "on": []}
    for index in range(pairs + 1):
        order = (("off", unfenced), ("on", fenced))
        for label, wanted in order if index % 2 == 0 else order[::-1]:
            base._wanted = wanted  # noqa: SLF001
            try:
                began, cpu, db = time.perf_counter(), time.process_time(), backend_cpu_seconds(backend)
                result = work()
                sample = (
                    time.perf_counter() - began,
                    time.process_time() - cpu,
                    backend_cpu_seconds(backend) - db,
                )
            finally:
                base._wanted = fenced  # noqa: SLF001
            say(
                f"{'warm-up' if index == 0 else f'pair {index}'} {label}: wall {sample[0]:.3f} s, "
                f"python CPU {sample[1]:.3f} s, PostgreSQL CPU {sample[2]:.3f} s ({result})"
            )
            if index:
                samples[label].append(sample)
    return samples


def _medians(rows: list[tuple[float, float, float]]) -> tuple[float, float, float, float]:
    wall, python, db = (statistics.median(column) for column in zip(*rows, strict=True))
    return wall, python, db, statistics.median(p + d for _, p, d in rows)


def _billing(pairs: int, backend: int) -> None:
    from bench.probe import billing_once

    def once():
        result = billing_once()
        return f"{result['invoices']} invoices, {result['queries']} queries"

    samples = _alternate(once, pairs, backend, lambda text: print(text, flush=True))
    print("\n| fence | wall s | python CPU s | PostgreSQL CPU s | CPU total s |\n|---|---:|---:|---:|---:|")
    medians = {label: _medians(rows) for label, rows in samples.items()}
    for label, (wall, python, db, total) in medians.items():
        print(f"| {label} | {wall:.1f} | {python:.1f} | {db:.1f} | {total:.1f} |")
    off, on = medians["off"], medians["on"]
    print(
        f"| on/off | {on[0] / off[0]:.3f} | {on[1] / off[1]:.3f} | {on[2] / off[2]:.3f} | {on[3] / off[3]:.3f} |"
    )


def cpu_ns(pid: int) -> int:
    """Time a process other than this one has run on a CPU, in ns (the scheduler's count, exact
    for a process asleep, as the backend is between queries; /proc/<pid>/stat counts 10 ms
    ticks). This process's own is ``time.process_time_ns()``: the scheduler's count of the
    running process lags by up to a tick."""
    with open(f"/proc/{pid}/schedstat") as schedstat:
        return int(schedstat.read().split()[0])


def _line(line, client, fx: dict, seconds: float, backend: int) -> str:
    """One line's row of the table: its request sent with the fence off and on in turn (off,
    on, on, off, ...: a drift of the machine weighs on both alike), each timed on its own."""
    from bench.probe import send
    from msp.db.postgresql import base

    fenced = base._wanted  # noqa: SLF001 - the switch this measurement flips

    def unfenced():
        return base._BYPASS  # noqa: SLF001

    spec = line.request(fx)
    send(client, spec)  # lazy imports and caches, before timing one
    began = time.perf_counter()
    send(client, spec)
    requests = max(20, round(seconds / (time.perf_counter() - began)))
    times: dict[str, list[tuple[float, float]]] = {"off": [], "on": []}
    gc.disable()  # collected between requests instead: a pause falls on no request
    try:
        for index in range(2 * requests + 4):
            label = "off" if (index + index // 2) % 2 == 0 else "on"
            if index % 20 == 0:
                gc.collect()
            base._wanted = fenced if label == "on" else unfenced  # noqa: SLF001
            try:
                wall, cpu = time.perf_counter(), time.process_time_ns() + cpu_ns(backend)
                status = send(client, spec).status_code
                sample = (time.perf_counter() - wall, (time.process_time_ns() + cpu_ns(backend) - cpu) / 1e9)
            finally:
                base._wanted = fenced  # noqa: SLF001
            if status != 200:
                raise SystemExit(f"{spec['name']}: HTTP {status}")
            if index >= 4:  # one warm-up of each, twice
                times[label].append(sample)
    finally:
        gc.enable()
    (off_wall, off_cpu), (on_wall, on_cpu) = (
        (statistics.median(column) * 1000 for column in zip(*times[label], strict=True))
        for label in ("off", "on")
    )
    return (
        f"| {line.name} | {requests} | {off_wall:.2f} | {on_wall:.2f} | {on_wall / off_wall:.3f} "
        f"| {off_cpu:.2f} | {on_cpu:.2f} | {on_cpu / off_cpu:.3f} |"
    )


def _lines(texts: list[str], seconds: float, backend: int) -> None:
    from bench.lines import LINES
    from bench.probe import fixtures, logged_in_clients, revoke

    chosen = [
        line
        for line in LINES
        if line.kind == "http" and line.method == "GET" and any(text in line.name for text in texts)
    ]
    if not chosen:
        raise SystemExit(f"No GET line's name holds any of {texts!r}.")
    fx = fixtures()
    try:
        clients = logged_in_clients(fx)
        print(
            f"Each line's request about {seconds} s each way, fenced and not in turn; medians per request, ms "
            "(wall, and CPU = this process + its PostgreSQL backend):\n\n"
            "| line | requests each way | wall off | wall on | wall on/off | CPU off | CPU on | CPU on/off |\n"
            "|---|---:|---:|---:|---:|---:|---:|---:|",
            flush=True,
        )
        for line in chosen:
            print(_line(line, clients[line.who], fx, seconds, backend), flush=True)
    finally:
        revoke(fx["token_id"], fx["tenant_id"], fx["ingest_key_id"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pairs", type=int, default=3, help="billing run: off/on pairs, after one warm-up of each"
    )
    parser.add_argument(
        "--line",
        action="append",
        default=[],
        metavar="TEXT",
        help="measure the GET lines whose name holds TEXT (repeatable) instead of the billing run",
    )
    parser.add_argument(
        "--seconds", type=float, default=3.0, help="lines: about how long each is sent each way"
    )
    args = parser.parse_args()

    import django

    # As bench.run's servers: DEBUG (plain-HTTP cookies, any host), whose query log both sides pay.
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("SECRET_KEY", "bench-not-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msp.settings")
    django.setup()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    if args.line:
        _lines(args.line, args.seconds, backend)
    else:
        _billing(args.pairs, backend)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        if cursor.fetchone()[0] != backend:
            raise SystemExit(
                "The connection changed during the measurement: its CPU figures are not its own."
            )


if __name__ == "__main__":
    main()
