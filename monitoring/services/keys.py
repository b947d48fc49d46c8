"""Ingest keys: created with their secret shown once, revoked (kept, for the record)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from monitoring.models import IngestKey


@transaction.atomic
def ingest_key_create(*, tenant, created_by=None, **fields) -> tuple[IngestKey, str]:
    """A new key and its secret: the secret is not stored (only its digest), so say it now."""
    secret, prefix, digest = IngestKey.new_secret()
    key = IngestKey(tenant=tenant, created_by=created_by, prefix=prefix, digest=digest, **fields)
    key.full_clean(exclude=["tenant", "digest", "prefix", "created_by"])
    key.save()
    return key, secret


def ingest_key_revoke(key: IngestKey) -> IngestKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key
