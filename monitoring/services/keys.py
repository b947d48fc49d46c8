"""Ingest keys: created with their secret shown once, edited, revoked (kept, for the record)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from monitoring.models import IngestKey

EDITABLE = ("name", "format", "client", "create_assets", "asset_label", "field_map")


def field_map_errors(value) -> list[str]:
    """What is wrong with a generic webhook's field mapping: a JSON object naming, for each
    message field, where it is in the tool's JSON (a dotted path), or a table translating
    the tool's values (its severities, say) into ours."""
    if not isinstance(value, dict):
        return [_('The field mapping must be a JSON object, e.g. {"hostname": "agent.hostname"}.')]
    errors = []
    for name, where in value.items():
        if not str(name).strip():
            errors.append(_("A field name is empty."))
        elif isinstance(where, str):
            if not where.strip():
                errors.append(_("%(field)s: say where it is, as a dotted path.") % {"field": name})
        elif isinstance(where, dict):
            if not all(isinstance(v, str) for v in where.values()):
                errors.append(_("%(field)s: a translation table maps texts to texts.") % {"field": name})
        else:
            errors.append(
                _("%(field)s: a dotted path (text) or a translation table (an object).") % {"field": name}
            )
    return errors


def _check(key: IngestKey) -> None:
    errors: dict[str, list[str]] = {}
    if key.create_assets and key.client_id is None:
        errors["create_assets"] = [_("Name the client whose assets the key may create.")]
    if problems := field_map_errors(key.field_map):
        errors["field_map"] = problems
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def ingest_key_create(*, tenant, created_by=None, **fields) -> tuple[IngestKey, str]:
    """A new key and its secret: the secret is not stored (only its digest), so say it now."""
    secret, prefix, digest = IngestKey.new_secret()
    key = IngestKey(tenant=tenant, created_by=created_by, prefix=prefix, digest=digest, **fields)
    key.full_clean(exclude=["tenant", "digest", "prefix", "created_by"])
    _check(key)
    key.save()
    return key, secret


@transaction.atomic
def ingest_key_update(*, key: IngestKey, **fields) -> IngestKey:
    """Change how a key's tool is read (its format, label, mapping) or whom it serves."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(key, name, value)
    key.full_clean(exclude=["tenant", "digest", "prefix", "created_by"])
    _check(key)
    key.save(update_fields=list(fields))
    return key


def ingest_key_revoke(key: IngestKey) -> IngestKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key
