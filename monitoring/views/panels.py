"""Monitoring's panel on the asset page (registered with assets.hooks): its alerts and its
heartbeats of the last 30 days, in a fixed number of queries."""

from __future__ import annotations

from django.utils import timezone

from monitoring.selectors import HEARTBEAT_DAYS, asset_alerts, heartbeat_history
from monitoring.strip import heartbeat_strip
from msp.selectors import time_zone_for


def asset_monitoring_panel(request, asset):
    membership = getattr(request, "membership", None)
    if membership is None or not membership.has_perm("alert.view"):
        return None
    # Heartbeat days are the tenant's days (the ingestion files them so): so is the chart.
    zone = time_zone_for(tenant=membership.tenant) or timezone.get_current_timezone()
    today = timezone.localtime(timezone.now(), zone).date()
    days = heartbeat_history(asset, today=today)
    return (
        "monitoring/_asset_panel.html",
        {
            "alerts": asset_alerts(asset),
            "days": days,
            "strip": heartbeat_strip(days, zone=zone),
            "heard_days": sum(1 for day in days if day.heard),
            "history_days": HEARTBEAT_DAYS,
            "zone": zone,
        },
    )
