from django.db.models import Count, QuerySet

from assets.choices import AssetKind
from assets.models import Asset
from msp.search import search_terms


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


ASSET_CHOICES = 50  # a pick list shows at most this many; the search narrows it


def asset_choices(
    *, client_id: int | None, search: str = "", keep_pk: int | None = None
) -> list[tuple[int, str]]:
    """A client's assets to pick from, matching ``search`` (name, host name or serial), at most
    ``ASSET_CHOICES`` of them (a client may have 10,000), plus ``keep_pk`` (the one already
    chosen) when it is the client's: ``(pk, label)`` rows, one query (two to keep one)."""
    if not client_id:
        return []
    queryset = Asset.objects.filter(client_id=client_id).search(*search_terms(search))
    rows = list(queryset.order_by("name", "pk").values_list("pk", "name", "hostname")[:ASSET_CHOICES])
    if keep_pk and all(pk != keep_pk for pk, _name, _host in rows):
        rows[:0] = Asset.objects.filter(client_id=client_id, pk=keep_pk).values_list("pk", "name", "hostname")
    return [(pk, f"{name} ({host})" if host and host != name else name) for pk, name, host in rows]
