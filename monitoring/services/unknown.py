"""The review of unknown machines: make one an asset, link it to an asset, or discard it.

A machine a tool reports that matches no asset waits in the review list (the ingestion keeps
it there, never drops it). Once it is an asset with its hostname and serial, its next
messages find that asset and are filed normally; what it sent before stays in the review row.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from assets.models import Asset
from monitoring.choices import UnknownState
from monitoring.models import UnknownSource
from msp.locking import lock_row
from msp.scoping import scoped_by


def _pending(unknown: UnknownSource) -> UnknownSource:
    """The row, locked, if it still waits for review (two people may act on it at once)."""
    row = UnknownSource.objects.select_for_update().filter(pk=unknown.pk).first()
    if row is None or row.state != UnknownState.PENDING:
        raise ValidationError(_("This machine was already dealt with."))
    return row


def _close(row: UnknownSource, *, state: str, asset: Asset | None = None) -> UnknownSource:
    row.state = state
    row.asset = asset
    row.save(update_fields=["state", "asset"])
    return row


@scoped_by("unknown")
@transaction.atomic
def unknown_create_asset(*, unknown: UnknownSource, client, kind: str, name: str) -> Asset:
    """A new asset of `client` for the machine, with its hostname and serial, monitored."""
    row = _pending(unknown)
    asset = Asset(
        tenant_id=row.tenant_id,
        client=client,
        kind=kind,
        name=name.strip(),
        hostname=row.hostname,
        serial=row.serial,
        monitored=True,
        last_seen=row.last_seen_at,
    )
    asset.full_clean()  # a serial another asset already has is refused here (tenant included)
    asset.save()
    _close(row, state=UnknownState.LINKED, asset=asset)
    return asset


@scoped_by("unknown")
@transaction.atomic
def unknown_link(*, unknown: UnknownSource, asset: Asset) -> Asset:
    """The machine is `asset`: it takes the machine's hostname and serial where it has none.

    An asset that already has another hostname or serial is refused: it is a different
    machine, or its inventory is wrong, and a person must say which."""
    row = _pending(unknown)
    asset = lock_row(Asset.objects, pk=asset.pk)
    errors = []
    if row.hostname and asset.hostname and asset.hostname.strip().lower() != row.hostname.strip().lower():
        errors.append(
            _("%(asset)s already has the hostname %(hostname)s.")
            % {"asset": asset.name, "hostname": asset.hostname}
        )
    if row.serial and asset.serial and asset.serial.strip() != row.serial.strip():
        errors.append(
            _("%(asset)s already has the serial number %(serial)s.")
            % {"asset": asset.name, "serial": asset.serial}
        )
    if errors:
        raise ValidationError({"asset": errors})
    fields = ["monitored"]
    asset.monitored = True
    if row.hostname and not asset.hostname:
        asset.hostname = row.hostname
        fields.append("hostname")
    if row.serial and not asset.serial:
        asset.serial = row.serial
        fields.append("serial")
    if row.last_seen_at and (asset.last_seen is None or asset.last_seen < row.last_seen_at):
        asset.last_seen = row.last_seen_at
        fields.append("last_seen")
    if "serial" in fields:
        asset.validate_constraints()  # another asset of the tenant may carry this serial already
    asset.save(update_fields=[*fields, "updated_at"])
    _close(row, state=UnknownState.LINKED, asset=asset)
    return asset


@scoped_by("unknown")
@transaction.atomic
def unknown_discard(*, unknown: UnknownSource) -> UnknownSource:
    """Not a machine the MSP looks after: off the list (its next message lists it again)."""
    return _close(_pending(unknown), state=UnknownState.DISCARDED)
