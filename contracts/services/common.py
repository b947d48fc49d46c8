"""Rules the catalogue and contracts share: amounts, currencies, and refusing a delete clearly."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _

from msp.scoping import scope_of

MAX_AMOUNT = Decimal("999999999999.99")


class Errors(dict):
    def add(self, field: str, message) -> None:
        self.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self:
            raise ValidationError(dict(self))


def amount_error(amount) -> str | None:
    if amount < 0:
        return _("An amount cannot be negative.")
    if amount > MAX_AMOUNT:
        return _("This amount is too large.")
    return None


def currency_error(currency) -> str | None:
    if currency not in settings.CURRENCIES:
        return _("%(currency)s is not one of the currencies billed here (%(choices)s).") % {
            "currency": currency or "—",
            "choices": ", ".join(settings.CURRENCIES),
        }
    return None


def delete_blockers(obj) -> str:
    """What stops `obj` from being deleted (rows pointing at it through PROTECT), as text; "" when nothing.

    Counted relation by relation rather than through Django's deletion Collector, whose
    cascade walk would report rows protecting *other* objects it meant to delete. Counted in
    the object's tenant's whole scope: rows protecting it are its tenant's, all of them.
    """
    parts = []
    with scope_of(obj.tenant_id):
        for relation in obj._meta.related_objects:
            if relation.on_delete is not models.PROTECT:
                continue
            model = relation.related_model
            count = model._default_manager.filter(**{relation.field.name: obj}).count()
            if count:
                name = model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural
                parts.append(f"{count} {name}")
    return ", ".join(parts)


def delete_or_explain(obj, message: str) -> None:
    blockers = delete_blockers(obj)
    if blockers:
        raise ValidationError(message % {"name": obj, "what": blockers}, code="protected")
    try:
        with transaction.atomic():
            obj.delete()
    except (ProtectedError, RestrictedError) as exc:  # a row added since the check
        raise ValidationError(message % {"name": obj, "what": "…"}, code="protected") from exc
