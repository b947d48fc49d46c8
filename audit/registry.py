"""Which models' changes are recorded, and the signal receivers that record them.

An app registers its money- and hours-moving models in its AppConfig.ready (``track``): the
audit app sits below them and never imports them. A tracked instance keeps what it was loaded
with (post_init), so an update's "before" costs no query: the services load the row they
change (under a lock), change it and save. Bulk writes (``QuerySet.update``,
``bulk_create``) send no signals: the services that make them call ``audit.services``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models.signals import post_delete, post_init, post_save
from django.utils import timezone
from djmoney.models.fields import MoneyField

from audit.models import AuditAction
from audit.services import entries_record


@dataclass(frozen=True)
class Tracked:
    fields: tuple[str, ...]  # model field names; a MoneyField is one field (amount and currency)
    contract: str | None = None  # the attribute holding the contract's id (its history page)
    invoice: str | None = None  # the same for the invoice
    tier: str | None = None  # and for the service tier


REGISTRY: dict[type, Tracked] = {}
_SNAPSHOT = "_audit_loaded"


def track(
    model, *, fields, contract: str | None = None, invoice: str | None = None, tier: str | None = None
) -> None:
    REGISTRY[model] = Tracked(tuple(fields), contract, invoice, tier)
    uid = f"audit:{model._meta.label}"
    post_init.connect(_loaded, sender=model, dispatch_uid=uid)
    post_save.connect(_saved, sender=model, dispatch_uid=uid)
    post_delete.connect(_deleted, sender=model, dispatch_uid=uid)


def _value(instance, name: str):
    """A field's value as JSON: money as [amount, currency], dates as ISO text, a foreign key
    as its id. KeyError when the field was not loaded (``.only()``)."""
    field = instance._meta.get_field(name)
    if isinstance(field, MoneyField):
        if name not in instance.__dict__:
            raise KeyError(name)
        amount = getattr(instance, name)  # djmoney's descriptor pairs it with its currency
        if amount is None:
            return None
        # At the column's scale: 900 assigned and 900.00 loaded are no change.
        places = Decimal(1).scaleb(-field.decimal_places)
        return [str(Decimal(amount.amount).quantize(places)), str(amount.currency)]
    value = instance.__dict__[field.attname]
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = value.astimezone(datetime.UTC)  # the same moment typed in another zone is no change
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def values(instance, fields) -> dict:
    found = {}
    for name in fields:
        try:
            found[name] = _value(instance, name)
        except KeyError:
            continue
    return found


def _loaded(sender, instance, **kwargs):
    # A shallow copy of the loaded state, diffed on save (no query then).
    loaded = instance.__dict__.copy()
    loaded.pop(_SNAPSHOT, None)
    instance.__dict__[_SNAPSHOT] = loaded


def _before(instance, fields) -> dict:
    loaded = instance.__dict__.get(_SNAPSHOT)
    if loaded is None:
        return {}
    shadow = object.__new__(type(instance))
    shadow.__dict__.update(loaded)
    return values(shadow, fields)


def _owners(instance, spec: Tracked) -> dict:
    return {
        "contract_id": getattr(instance, spec.contract) if spec.contract else None,
        "invoice_id": getattr(instance, spec.invoice) if spec.invoice else None,
        "tier_id": getattr(instance, spec.tier) if spec.tier else None,
    }


def _saved(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw:
        return  # fixtures loading
    spec = REGISTRY[sender]
    fields = spec.fields if update_fields is None else [f for f in spec.fields if f in update_fields]
    after = values(instance, fields)
    if created:
        changes = {name: [None, value] for name, value in after.items() if value not in (None, "", [])}
        action = AuditAction.CREATE
    else:
        before = _before(instance, fields)
        changes = {
            name: [before[name], value]
            for name, value in after.items()
            if name in before and before[name] != value
        }
        action = AuditAction.UPDATE
    _loaded(sender, instance)  # the next save diffs against this one
    if changes or created:
        entries_record([(instance, action, changes, _owners(instance, spec))])


def _deleted(sender, instance, **kwargs):
    spec = REGISTRY[sender]
    before = _before(instance, spec.fields) or values(instance, spec.fields)
    changes = {name: [value, None] for name, value in before.items() if value not in (None, "", [])}
    entries_record([(instance, AuditAction.DELETE, changes, _owners(instance, spec))])


def created_record(instances) -> None:
    """The creation of rows a service inserted with ``bulk_create`` (no signals), at once."""
    items = []
    for instance in instances:
        spec = REGISTRY[type(instance)]
        after = values(instance, spec.fields)
        changes = {name: [None, value] for name, value in after.items() if value not in (None, "", [])}
        items.append((instance, AuditAction.CREATE, changes, _owners(instance, spec)))
    entries_record(items)
