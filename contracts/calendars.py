"""National holidays for SLA calendars, from the `holidays` package (no network: the rules
ship with it), and the country a time zone is in (from the tz database's zone.tab)."""

from __future__ import annotations

import functools
from datetime import date
from importlib import resources
from pathlib import Path

import holidays
from django.utils import translation


@functools.cache
def supported_countries() -> list[tuple[str, str]]:
    """(two-letter code, English name) of every country the package knows, by name."""
    from holidays.registry import COUNTRIES

    pairs = []
    for _module, (class_name, code, *_rest) in COUNTRIES.items():
        name = "".join(f" {c}" if c.isupper() and i else c for i, c in enumerate(class_name))
        pairs.append((code, f"{name} ({code})"))
    return sorted(pairs, key=lambda pair: pair[1])


def _zone_table() -> str:
    try:
        return resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text()
    except (ModuleNotFoundError, FileNotFoundError):
        path = Path("/usr/share/zoneinfo/zone.tab")
        return path.read_text() if path.exists() else ""


@functools.cache
def _countries_by_zone() -> dict[str, str]:
    table = {}
    for line in _zone_table().splitlines():
        if line and not line.startswith("#"):
            parts = line.split("\t")
            if len(parts) >= 3:
                table[parts[2]] = parts[0]
    return table


def country_for_timezone(zone: str) -> str:
    """ "Europe/Rome" -> "IT"; "" when the zone names no country the package knows."""
    code = _countries_by_zone().get(zone, "")
    return code if code in dict(supported_countries()) else ""


def _language() -> str | None:
    return (translation.get_language() or "en").replace("-", "_")


def national_holidays(country: str, years) -> dict[date, str]:
    """The country's national holidays in `years`, named in the active language when the
    package has it (else in the country's own)."""
    if not country:
        return {}
    years = [years] if isinstance(years, int) else list(years)
    calendar = holidays.country_holidays(country, years=years)
    wanted = _language()
    supported = getattr(calendar, "supported_languages", ()) or ()
    language = next(
        (lang for lang in supported if lang == wanted or lang.split("_")[0] == wanted.split("_")[0]), None
    )
    if language:
        calendar = holidays.country_holidays(country, years=years, language=language)
    return dict(sorted(calendar.items()))
