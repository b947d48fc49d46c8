"""The row-level security fence's cost on the monthly billing run, measured in CPU seconds.

    DEBUG=1 DATABASE_URL=postgres://.../bench_l python -m bench.fence_ab --pairs 3

Runs ``bench.probe.billing_once`` (every tenant's run for a month nobody billed, rolled back)
with the fence off and on, alternately, in one process and one connection. "Off" makes the
backend's wanted fence the login role's (``msp.db.postgresql.base._wanted``), which is what
the stock backend does; "on" is the backend as it is. Besides the wall time it records the
CPU time of this process and of the PostgreSQL backend serving it (``/proc/<pid>/stat``), which
other work on a shared machine barely moves: the fence's cost is the on/off ratio of those.
The database server must run on this machine (its backend's /proc is read).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def backend_cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3, help="off/on pairs, after one warm-up of each")
    args = parser.parse_args()

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msp.settings")
    django.setup()
    from django.db import connection

    from bench.probe import billing_once
    from msp.db.postgresql import base

    fenced = base._wanted  # noqa: SLF001 - the switch this measurement flips

    def unfenced():
        return base._BYPASS  # noqa: SLF001

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    samples: dict[str, list[tuple[float, float, float]]] = {"off": [], "on": []}
    for index in range(args.pairs + 1):
        for label, wanted in (("off", unfenced), ("on", fenced)):
            base._wanted = wanted  # noqa: SLF001
            began, cpu, db = time.perf_counter(), time.process_time(), backend_cpu_seconds(backend)
            result = billing_once()
            sample = (time.perf_counter() - began, time.process_time() - cpu, backend_cpu_seconds(backend) - db)
            base._wanted = fenced  # noqa: SLF001
            print(
                f"{'warm-up' if index == 0 else f'pair {index}'} {label}: wall {sample[0]:.1f} s, "
                f"python CPU {sample[1]:.1f} s, PostgreSQL CPU {sample[2]:.1f} s "
                f"({result['invoices']} invoices, {result['queries']} queries)",
                flush=True,
            )
            if index:
                samples[label].append(sample)
    print("\n| fence | wall s | python CPU s | PostgreSQL CPU s | CPU total s |\n|---|---:|---:|---:|---:|")
    medians = {}
    for label, rows in samples.items():
        wall, python, db = (statistics.median(column) for column in zip(*rows, strict=True))
        total = statistics.median(p + d for _, p, d in rows)
        medians[label] = (wall, python, db, total)
        print(f"| {label} | {wall:.1f} | {python:.1f} | {db:.1f} | {total:.1f} |")
    off, on = medians["off"], medians["on"]
    print(
        f"| on/off | {on[0] / off[0]:.3f} | {on[1] / off[1]:.3f} | {on[2] / off[2]:.3f} | {on[3] / off[3]:.3f} |"
    )


if __name__ == "__main__":
    main()
