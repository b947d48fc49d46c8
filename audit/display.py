"""Audit entries as people read them: field labels, money and minutes formatted, the person's
name, in the reader's language and time zone. For the pages and the API alike.

A page of entries costs one query more (the names of the rows its changes point to: a time
entry's technician, a contract's client and tier), whatever its length and whatever kinds
they are: a change reads "Acme S.r.l." rather than "Client #7". A row the reader's scope does
not show (deleted since, or named by its id alone) keeps "Client #7".
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db.models import TextField, Value
from django.db.models.functions import Cast
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from djmoney.models.fields import MoneyField

from audit.models import AuditAction, AuditEntry
from msp.actors import Channel
from msp.money import format_money
from msp.people import display_name_expression

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


def _format(model_field, name: str, value, names: dict) -> str:
    if value is None or value == "":
        return DASH
    if isinstance(model_field, MoneyField):
        return format_money(value[0], value[1])
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if model_field is not None and model_field.is_relation:
        related = model_field.related_model
        if related is get_user_model():
            return names.get((related, value), f"#{value}")
        return names.get((related, value), f"{capfirst(related._meta.verbose_name)} #{value}")
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


def _names(entries) -> dict[tuple[type, int], str]:
    """What the changes' foreign keys point to, as the pages name it: people by their names,
    rows with a label column (``CHOICE_LABEL``: clients, tiers, assets, ...) by it; in one
    query, each kind through its scoped manager."""
    wanted: dict[type, set[int]] = {}
    User = get_user_model()
    for entry in entries:
        model = _model(entry.object_type)
        for name, pair in entry.changes.items():
            try:
                model_field = model._meta.get_field(name) if model else None
            except FieldDoesNotExist:
                continue
            if model_field is None or not model_field.is_relation:
                continue
            related = model_field.related_model
            if related is User or getattr(related, "CHOICE_LABEL", None):
                wanted.setdefault(related, set()).update(value for value in pair if isinstance(value, int))
    parts = []
    for related, ids in wanted.items():
        if not ids:
            continue
        label = display_name_expression() if related is User else Cast(related.CHOICE_LABEL, TextField())
        rows = related.objects.filter(pk__in=ids).order_by()
        parts.append(rows.values_list(Value(related._meta.label_lower), "pk", label))
    if not parts:
        return {}
    models = {related._meta.label_lower: related for related in wanted}
    # One query whatever the kinds: a page's cost must not depend on what its changes name.
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return {(models[kind], pk): label for kind, pk, label in rows}


def describe(entries) -> list[Row]:
    entries = list(entries)
    names = _names(entries)
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
                    _format(model_field, name, before, names),
                    _format(model_field, name, after, names),
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
