"""A generic JSON webhook as monitoring messages, read through the ingest key's field mapping.

Many tools (RMMs, uptime checkers, backup software) post JSON of their own shape, often a
body the MSP writes as a template in the tool. The key's ``field_map`` says where each
message field is, as a dotted path (``alert.severity``; a number indexes a list; ``a|b``
takes the first that is there), how the tool's words translate (``severity_map``,
``status_map``, ``check_map``), and for a tool that batches, where the list of alerts is
(``items``; a top-level JSON list is a batch too, each element one alert).

What the key does not say, the defaults say: they read the body this project documents for
Tactical RMM's alert webhooks (README, Monitoring), in which TRMM renders a value it does
not have as ``None`` and a false one too (``{{alert.resolved}}`` is ``None`` while failing).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.utils.translation import gettext as _
from rest_framework import serializers

from monitoring.adapters import SEVERITY_WORDS, instant, text
from monitoring.choices import CPU, DISK_USAGE, OFFLINE, MessageStatus, Severity
from monitoring.messages import ALERT, MAX_BATCH, Message

PATH_FIELDS = ("hostname", "serial", "check", "severity", "status", "value", "message", "occurred_at")
ITEMS = "items"
MAPS = ("severity_map", "status_map", "check_map")
MAP_TARGETS = {"severity_map": Severity.values, "status_map": MessageStatus.values, "check_map": None}
PATH_MAX = 200
MAP_MAX = 200
CHECK_MAX = 64
MESSAGE_MAX = 4000

DEFAULT_PATHS = {
    "hostname": "agent.hostname",
    "serial": "agent.serial",
    "check": "alert.check_name|alert.task_name|alert.type",
    "severity": "alert.severity",
    "status": "alert.status",
    "value": "alert.value",
    "message": "alert.message",
    "occurred_at": "alert.resolved_on|alert.time",
}
DEFAULT_MAPS = {
    "severity_map": dict(SEVERITY_WORDS),
    "status_map": {
        **dict.fromkeys(["ok", "true", "resolved", "recovered", "up", "closed"], MessageStatus.OK),
        **dict.fromkeys(
            ["problem", "false", "firing", "failing", "failed", "triggered", "down", "open", "alert"],
            MessageStatus.PROBLEM,
        ),
    },
    # Tactical RMM's alert types and check types, as the checks with tuned priorities.
    "check_map": {"availability": OFFLINE, "diskspace": DISK_USAGE, "cpuload": CPU},
}


@dataclass(frozen=True)
class Mapping:
    paths: dict[str, str]
    maps: dict[str, dict[str, str]]
    items: str


def mapping_for(field_map: dict | None) -> Mapping:
    """The key's mapping over the defaults (a map's entries add to the default words). What
    the key's mapping gets wrong (saved before it was checked) is left to the defaults."""
    field_map = field_map if isinstance(field_map, dict) else {}
    paths = {
        name: field_map[name] if _is_path(field_map.get(name)) else default
        for name, default in DEFAULT_PATHS.items()
    }
    maps = {}
    for name in MAPS:
        given = field_map.get(name)
        given = given if isinstance(given, dict) else {}
        maps[name] = {**DEFAULT_MAPS[name], **{str(k).strip().lower(): v for k, v in given.items()}}
    items = field_map.get(ITEMS)
    return Mapping(paths=paths, maps=maps, items=items if _is_path(items) else "")


def field_map_problems(field_map) -> list[str]:
    """What is wrong with a key's field mapping (empty: nothing), said for its author."""
    if field_map in (None, ""):
        return []
    if not isinstance(field_map, dict):
        return [_('The field mapping is a JSON object: {"hostname": "agent.hostname", ...}.')]
    problems = []
    known = (*PATH_FIELDS, ITEMS, *MAPS)
    for name, value in field_map.items():
        if name not in known:
            problems.append(
                _("%(name)s is not a field it can map; it maps %(known)s.")
                % {"name": name, "known": ", ".join(known)}
            )
        elif name in MAPS:
            problems += _map_problems(name, value)
        elif not _is_path(value):
            problems.append(
                _("%(name)s: a path is text such as alert.severity (a|b: the first that is there).")
                % {"name": name}
            )
    return problems


def _is_path(value) -> bool:
    if not isinstance(value, str) or not value.strip() or len(value) > PATH_MAX:
        return False
    return all(
        alternative.strip() and all(part for part in alternative.strip().split("."))
        for alternative in value.split("|")
    )


def _map_problems(name: str, value) -> list[str]:
    if not isinstance(value, dict) or len(value) > MAP_MAX:
        return [
            _("%(name)s: an object from the tool's word to ours, at most %(max)d.")
            % {"name": name, "max": MAP_MAX}
        ]
    allowed = MAP_TARGETS[name]
    problems = []
    for word, ours in value.items():
        if not isinstance(ours, str) or not ours.strip():
            problems.append(_("%(name)s: %(word)s must map to text.") % {"name": name, "word": word})
        elif allowed is not None and ours not in allowed:
            problems.append(
                _("%(name)s: %(word)s maps to %(ours)s, which is not one of %(allowed)s.")
                % {"name": name, "word": word, "ours": ours, "allowed": ", ".join(allowed)}
            )
        elif allowed is None and len(ours) > CHECK_MAX:
            problems.append(
                _("%(name)s: %(word)s maps to a name over 64 characters.") % {"name": name, "word": word}
            )
    return problems


def messages_from(payload, *, field_map: dict | None = None) -> list[Message]:
    """The payload's alerts as messages, in order; raises ValidationError naming each item's
    missing or unreadable field and the path it was looked for at. Nothing is partial."""
    mapping = mapping_for(field_map)
    items, batched = _items(payload, mapping)
    messages, errors = [], {}
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors[str(index)] = {"detail": [_("Each alert is a JSON object.")]}
            continue
        message, problems = _message(item, mapping)
        if problems:
            errors[str(index)] = problems
        else:
            messages.append(message)
    if errors:
        raise serializers.ValidationError({ITEMS: errors} if batched else errors["0"])
    return messages


def _items(payload, mapping: Mapping) -> tuple[list, bool]:
    if mapping.items:
        items = lookup(payload, mapping.items) if isinstance(payload, dict) else None
        if not isinstance(items, list):
            raise serializers.ValidationError(
                {ITEMS: [_("No list of alerts at %(path)s.") % {"path": mapping.items}]}
            )
    elif isinstance(payload, list):
        items = payload
    elif isinstance(payload, dict):
        return [payload], False
    else:
        raise serializers.ValidationError({"detail": [_("Send a JSON object, or a list of them.")]})
    if not items:
        raise serializers.ValidationError({ITEMS: [_("The list of alerts is empty.")]})
    if len(items) > MAX_BATCH:
        raise serializers.ValidationError(
            {ITEMS: [_("A request carries at most %(max)d alerts.") % {"max": MAX_BATCH}]}
        )
    return items, True


def lookup(data, path: str):
    """The value at a dotted path (the first alternative of ``a|b`` that is there), or None."""
    for alternative in path.split("|"):
        value = data
        for part in alternative.strip().split("."):
            if isinstance(value, dict):
                value = value.get(part)
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                value = None
            if value is None:
                break
        if isinstance(value, dict | list) or text(value):
            return value
    return None


def _message(item: dict, mapping: Mapping) -> tuple[Message | None, dict]:
    paths, maps = mapping.paths, mapping.maps
    found = {name: lookup(item, path) for name, path in paths.items()}
    problems = {}
    hostname, serial = text(found["hostname"]), text(found["serial"])
    if not (hostname or serial):
        problems["hostname"] = [
            _("No machine at %(hostname)s (nor a serial at %(serial)s).")
            % {"hostname": paths["hostname"], "serial": paths["serial"]}
        ]
    check = text(found["check"])
    check = text(maps["check_map"].get(check.lower(), check))
    if not check:
        problems["check"] = [_("No check name at %(path)s.") % {"path": paths["check"]}]
    word = text(found["status"])
    status = maps["status_map"].get(word.lower(), MessageStatus.PROBLEM if not word else None)
    if status not in MessageStatus.values:  # a mapping saved before it was checked, too
        problems["status"] = [
            _("%(word)s (at %(path)s) is neither a problem nor a recovery: say which in status_map.")
            % {"word": word[:50], "path": paths["status"]}
        ]
    occurred = instant(found["occurred_at"])
    if occurred is False:
        problems["occurred_at"] = [
            _("%(value)s (at %(path)s) is not a date and time.")
            % {"value": text(found["occurred_at"])[:50], "path": paths["occurred_at"]}
        ]
    if problems:
        return None, problems
    severity, note = _severity(text(found["severity"]), maps["severity_map"], paths["severity"])
    lines = [_free_text(found["message"])]
    if note and status == MessageStatus.PROBLEM:
        lines.append(note)
    return (
        Message(
            type=ALERT,
            hostname=hostname[:255],
            serial=serial[:100],
            check=" ".join(check.split())[:CHECK_MAX],
            severity=severity,
            status=status,
            value=_free_text(found["value"])[:100],
            message="\n".join(line for line in lines if line)[:MESSAGE_MAX],
            occurred_at=occurred,
            raw={"payload": item},
        ),
        {},
    )


def _severity(word: str, words: dict, path: str) -> tuple[str, str]:
    severity = words.get(word.lower())
    if severity in Severity.values:
        return severity, ""
    if not word:
        return Severity.WARNING, _("(No severity at %(path)s: filed as a warning.)") % {"path": path}
    return Severity.WARNING, _(
        "(Severity %(word)s is not one this PSA knows: filed as a warning; map it in severity_map.)"
    ) % {"word": word[:50]}


def _free_text(value) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text(value)
