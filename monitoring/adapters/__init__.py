"""Adapters: each turns one monitoring tool's payload into ``monitoring.messages.Message``s.

The ingestion service (``monitoring.services.ingest``) files what they return; an adapter
only reads. Each validates its whole payload before anything is filed, so a refused request
writes nothing, and raises DRF's ``ValidationError`` naming what it could not read.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from monitoring.choices import Severity

# The severities tools send, by the name they use (compared in lower case). Anything else
# is filed as a warning and said so in the message: refusing it would lose the alert (and
# Alertmanager retries a refused request forever).
SEVERITY_WORDS = {
    **dict.fromkeys(
        ["critical", "crit", "page", "error", "err", "high", "emergency", "fatal", "disaster"],
        Severity.CRITICAL,
    ),
    **dict.fromkeys(["warning", "warn", "medium", "average"], Severity.WARNING),
    **dict.fromkeys(["info", "information", "informational", "none", "notice", "low"], Severity.INFO),
}

# Tools render a value they do not have as one of these (Tactical RMM: "None").
EMPTY = frozenset({"", "none", "null", "nil", "undefined"})

# A timestamp before this is a tool's "not set" (Alertmanager's firing alerts end at year 1).
EPOCH = datetime(1970, 1, 2, tzinfo=UTC)


def text(value) -> str:
    """A scalar as text; None and the tools' renderings of "nothing" as ""."""
    if value is None or isinstance(value, dict | list):
        return ""
    if isinstance(value, bool):
        value = "true" if value else "false"
    value = str(value).strip()
    return "" if value.lower() in EMPTY else value


def instant(value) -> datetime | None | bool:
    """A moment from ISO 8601 text (or Unix seconds or milliseconds); None when absent or
    "not set"; False when it cannot be read. A moment without a zone is in the current zone."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return datetime.fromtimestamp(seconds, tz=UTC) if seconds > EPOCH.timestamp() else None
        except (OverflowError, OSError, ValueError):
            return False
    raw = text(value)
    if not raw:
        return None
    try:
        moment = parse_datetime(raw)
    except ValueError:
        return False
    if moment is None:
        return False
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return None if moment < EPOCH else moment
