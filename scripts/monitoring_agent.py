#!/usr/bin/env python3
"""A small monitoring agent for the PSA: run it from cron (or Task Scheduler) every few minutes.

Each run sends one request with two messages: a heartbeat (the machine's hostname and OS,
which keeps its "last seen" and tells the PSA it is not offline) and the ``disk_usage`` check
of its fullest disk: a problem at or above the thresholds, else its recovery. It keeps no
state: a recovery when nothing is open is answered ``not_open`` and changes nothing, and a
problem sent again while open counts as a repeat, never a second ticket.

    PSA_URL=https://psa.example.com/api/v1/monitoring/alerts/ PSA_INGEST_KEY=mk_... \\
        python3 monitoring_agent.py --path / --path /srv --warning 85 --critical 95

Python 3.8 or newer, standard library only; Linux, Windows and macOS.
Exit status: 0 sent, 1 the PSA refused it or could not be reached, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import sys
import urllib.error
import urllib.request

TIMEOUT_SECONDS = 20


def operating_system() -> str:
    system = platform.system()
    if system == "Linux":
        try:
            return platform.freedesktop_os_release()["PRETTY_NAME"]
        except (AttributeError, OSError, KeyError):  # Python < 3.10, or no os-release
            return f"Linux {platform.release()}"
    if system == "Windows":
        return f"Windows {platform.release()} ({platform.version()})"
    if system == "Darwin":
        return f"macOS {platform.mac_ver()[0]}"
    return f"{system} {platform.release()}".strip()


def default_paths() -> list[str]:
    return [os.environ.get("SystemDrive", "C:") + "\\"] if platform.system() == "Windows" else ["/"]


def disk_check(hostname: str, paths: list[str], warning: float, critical: float) -> dict:
    """The disk_usage message for the fullest of `paths`."""
    usages = []
    for path in paths:
        usage = shutil.disk_usage(path)
        usages.append((100.0 * usage.used / usage.total if usage.total else 0.0, path, usage))
    percent, path, usage = max(usages)
    free_gb = usage.free / 1024**3
    message = f"{path} is {percent:.0f}% full ({free_gb:.1f} GB free)"
    if len(usages) > 1:
        others = ", ".join(f"{p} {pc:.0f}%" for pc, p, _u in sorted(usages, reverse=True)[1:])
        message += f"; also {others}"
    body = {
        "hostname": hostname,
        "check": "disk_usage",
        "value": f"{percent:.0f}%",
        "message": message,
    }
    if percent >= critical:
        body.update(status="problem", severity="critical")
    elif percent >= warning:
        body.update(status="problem", severity="warning")
    else:
        body.update(status="ok")
    return body


def send(url: str, key: str, messages: list[dict]) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(messages).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Ingest-Key": key,
            "User-Agent": "psa-monitoring-agent/1",
        },
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        return json.loads(response.read() or b"{}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", action="append", help="a disk to watch (repeatable; default / or C:\\)")
    parser.add_argument("--warning", type=float, default=85, help="percent full for a warning (default 85)")
    parser.add_argument("--critical", type=float, default=95, help="percent full for a critical (default 95)")
    parser.add_argument(
        "--hostname",
        default=os.environ.get("PSA_HOSTNAME") or socket.gethostname(),
        help="the machine's name as the PSA knows it (default: PSA_HOSTNAME, else this machine's)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print what would be sent, send nothing")
    args = parser.parse_args(argv)
    if not 0 <= args.warning <= args.critical <= 100:
        parser.error("thresholds: 0 <= --warning <= --critical <= 100")

    messages = [
        {"type": "heartbeat", "hostname": args.hostname, "os": operating_system()},
        disk_check(args.hostname, args.path or default_paths(), args.warning, args.critical),
    ]
    if args.dry_run:
        print(json.dumps(messages, indent=2))
        return 0
    url, key = os.environ.get("PSA_URL"), os.environ.get("PSA_INGEST_KEY")
    if not url or not key:
        parser.error("set PSA_URL (…/api/v1/monitoring/alerts/) and PSA_INGEST_KEY")
    try:
        answer = send(url, key, messages)
    except urllib.error.HTTPError as error:
        print(
            f"the PSA refused the report ({error.code}): {error.read().decode(errors='replace')}",
            file=sys.stderr,
        )
        return 1
    except (urllib.error.URLError, OSError) as error:
        print(f"could not reach {url}: {error}", file=sys.stderr)
        return 1
    results = [r.get("result") for r in answer.get("results", [])]
    print(
        f"{args.hostname}: {messages[1]['check']} {messages[1]['status']} ({messages[1]['value']}): {results}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
