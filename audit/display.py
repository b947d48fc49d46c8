"""Audit entries as people read them: field labels, money and minutes formatted, the person's
name, in the reader's language and time zone. For the pages and the API alike.

A page of entries costs one query more at most (the names of the people a change names,
e.g. a time entry's technician), whatever its length.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from djmoney.models.fields import MoneyField

from audit.models import AuditAction, AuditEntry
from msp.actors import Channel
from msp.money import format_money
from msp.people import display_name

DASH = "—"


@dataclass
class Change:
    field: str
    label: str
    before: str
    after: str


@dataclass
class Row:
    entry: AuditEntry
    what: str  # "Time entry #12"
    action: str
    who: str
    through: str
    changes: list[Change] = field(default_factory=list)


def format_minutes(value: int) -> str:
    """90 -> "1 h 30 min" (the contract pages' style, contracts.templatetags)."""
    hours, rest = divmod(int(value), 60)
    if hours and rest:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": rest}
    if hours:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(minutes)d min") % {"minutes": rest}


def _model(label: str):
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def _format(model_field, name: str, value, people: dict) -> str:
    if value is None or value == "":
        return DASH
    if isinstance(model_field, MoneyField):
        return format_money(value[0], value[1])
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if model_field is not None and model_field.is_relation:
        if model_field.related_model is get_user_model():
            return people.get(value, f"#{value}")
        return f"{capfirst(model_field.related_model._meta.verbose_name)} #{value}"
    if model_field is not None and model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, int) and (name == "minutes" or name.endswith("_minutes")):
        return format_minutes(value)
    if isinstance(value, str) and model_field is not None:
        internal = model_field.get_internal_type()
        if internal == "DateTimeField":
            moment = datetime.datetime.fromisoformat(value)
            return formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT")
        if internal == "DateField":
            return formats.date_format(datetime.date.fromisoformat(value), "DATE_FORMAT")
    return str(value)


def _people(entries) -> dict[int, str]:
    """Names of the users the changes name (a technician), in one query."""
    ids = set()
    for entry in entries:
        model = _model(entry.object_type)
        for name, pair in entry.changes.items():
            try:
                model_field = model._meta.get_field(name) if model else None
            except FieldDoesNotExist:
                continue
            if (
                model_field is not None
                and model_field.is_relation
                and model_field.related_model is get_user_model()
            ):
                ids.update(value for value in pair if isinstance(value, int))
    if not ids:
        return {}
    users = get_user_model().objects.filter(pk__in=ids).only("username", "first_name", "last_name")
    return {user.pk: display_name(user) for user in users}


def describe(entries) -> list[Row]:
    entries = list(entries)
    people = _people(entries)
    rows = []
    for entry in entries:
        model = _model(entry.object_type)
        noun = capfirst(model._meta.verbose_name) if model else entry.object_type
        changes = []
        for name, (before, after) in entry.changes.items():
            if entry.action == AuditAction.CREATE and (after is False or after == 0):
                continue  # a new row's "no" and zero settings are recorded, not worth a line each
            try:
                model_field = model._meta.get_field(name) if model else None
            except FieldDoesNotExist:
                model_field = None
            label = capfirst(str(model_field.verbose_name)) if model_field is not None else name
            changes.append(
                Change(
                    name,
                    label,
                    _format(model_field, name, before, people),
                    _format(model_field, name, after, people),
                )
            )
        who = entry.actor_name or str(Channel(entry.channel).label)
        through = str(Channel(entry.channel).label)
        if entry.via:
            through = f"{through} ({entry.via})"
        rows.append(
            Row(entry, f"{noun} #{entry.object_id}", entry.get_action_display(), who, through, changes)
        )
    return rows
