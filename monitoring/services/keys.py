"""Ingest keys: created with their secret shown once, edited, revoked (kept, for the record)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from monitoring.models import IngestKey

EDITABLE = ("name", "format", "client", "create_assets", "asset_label", "field_map")


def _check(key: IngestKey) -> None:
    # The field mapping is checked where it is typed (the API's serializer, the browser's
    # form: monitoring.adapters.webhook.field_map_problems); a wrong one saved another way
    # reads as the adapter's defaults, never an error at ingestion.
    if key.create_assets and key.client_id is None:
        raise ValidationError({"create_assets": [_("Name the client whose assets the key may create.")]})


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
