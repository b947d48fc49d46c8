from django.db.models import Count

from assets.choices import AssetKind
from assets.models import Asset


def asset_counts_by_kind(*, client) -> dict[str, int]:
    """How many assets of each kind a client has (every kind present, zeros included)."""
    counts = dict.fromkeys(AssetKind.values, 0)
    rows = Asset.objects.filter(client=client).values("kind").annotate(n=Count("pk")).order_by()
    counts.update({row["kind"]: row["n"] for row in rows})
    return counts
