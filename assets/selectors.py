from django.db.models import Count, QuerySet

from assets.choices import AssetKind
from assets.models import Asset


def asset_counts_by_kind(*, client) -> dict[str, int]:
    """How many assets of each kind a client has (every kind present, zeros included)."""
    counts = dict.fromkeys(AssetKind.values, 0)
    rows = Asset.objects.filter(client=client).values("kind").annotate(n=Count("pk")).order_by()
    counts.update({row["kind"]: row["n"] for row in rows})
    return counts


def asset_list() -> QuerySet[Asset]:
    """The assets in the active scope, with what a list shows joined in (one query a page)."""
    return (
        Asset.objects.select_related("client", "site", "assigned_contact")
        .tenant_on("client")
        .order_by("client__name", "name", "pk")
    )


def asset_serial_taken(*, serial: str, exclude_pk: int | None = None) -> bool:
    """Whether another asset of the tenant already carries this serial number."""
    serial = serial.strip()
    return bool(serial) and Asset.objects.filter(serial=serial).exclude(pk=exclude_pk).exists()
