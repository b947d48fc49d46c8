"""Writing the audit trail: one INSERT for any number of changes.

The model signals (audit.registry) record single saves; a service that changes many rows
at once with ``QuerySet.update`` calls ``changes_record`` with what it changed, so a bulk
write costs one more query, not one per row.
"""

from __future__ import annotations

from collections.abc import Iterable

from audit.models import AuditAction, AuditEntry
from msp.actors import current_actor


def _entry(instance, action: str, changes: dict, owners: dict, actor) -> AuditEntry:
    return AuditEntry(
        tenant_id=instance.tenant_id,
        action=action,
        object_type=instance._meta.label_lower,
        object_id=instance.pk,
        changes=changes,
        user_id=actor.user_id,
        membership_id=actor.membership_id,
        actor_name=actor.name[:300],
        channel=actor.channel,
        via=actor.via,
        ip=actor.ip,
        **owners,
    )


def entries_record(items: Iterable[tuple]) -> list[AuditEntry]:
    """(instance, action, changes, {"contract_id": .., "invoice_id": ..}) -> the rows, inserted at once."""
    actor = current_actor()
    rows = [_entry(instance, action, changes, owners, actor) for instance, action, changes, owners in items]
    if rows:
        AuditEntry.objects.bulk_create(rows)
    return rows


def changes_record(model, rows: Iterable[tuple[int, int, dict, dict]]) -> list[AuditEntry]:
    """What a bulk ``update`` changed: (tenant_id, object id, {field: [before, after]},
    owners) per row, in one INSERT."""
    actor = current_actor()
    entries = []
    for tenant_id, pk, changes, owners in rows:
        if not changes:
            continue
        stand_in = model(pk=pk, tenant_id=tenant_id)
        entries.append(_entry(stand_in, AuditAction.UPDATE, changes, owners, actor))
    if entries:
        AuditEntry.objects.bulk_create(entries)
    return entries
