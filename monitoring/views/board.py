"""The alerts board (open alerts by client and severity, then the list) and an alert's page."""

from __future__ import annotations

from monitoring.choices import AlertStatus, Severity
from monitoring.filtersets import AlertFilterSet
from monitoring.models import Alert
from monitoring.selectors import (
    alert_list,
    open_alert_totals,
    open_alerts_by_client,
    unknown_pending_count,
)
from monitoring.views.tabs import TabsMixin
from msp.models import Client
from msp.views.base import TenantDetailView, TenantListView

HISTORY_ROWS = 10  # an alert page's earlier alerts of the same asset and check


class AlertBoardView(TabsMixin, TenantListView):
    """Open alerts unless the filter says otherwise (``?status=`` empty: any status)."""

    model = Alert
    tab = "board"
    template_name = "monitoring/board.html"
    partial_template_name = "monitoring/_alerts.html"

    def get_queryset(self):
        data = self.request.GET.copy()
        data.setdefault("status", AlertStatus.OPEN)
        self.filterset = AlertFilterSet(data, queryset=alert_list(), request=self.request)
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        cleaned = getattr(self.filterset.form, "cleaned_data", {})
        client = cleaned.get("client")
        params = {
            "status": cleaned.get("status", ""),
            "severity": [str(s) for s in cleaned.get("severity") or []],
            "client": client.pk if client is not None else "",
            "check": cleaned.get("check") or "",
            "asset": cleaned["asset"].pk if cleaned.get("asset") is not None else "",
        }
        filtered = (
            bool(params["severity"] or params["client"] or params["check"] or params["asset"])
            or params["status"] != AlertStatus.OPEN
        )
        context = {"params": params, "filtered": filtered}
        if not self.request.htmx:  # the summary and the toolbar are not part of the partial
            context.update(
                summary=open_alerts_by_client(),
                totals=open_alert_totals(),
                clients=list(Client.objects.order_by("name").values_list("pk", "name")),
                statuses=AlertStatus.choices,
                severities=Severity.choices[::-1],  # critical first
                unknown_count=unknown_pending_count(),
                can_review=self.has_perm("alert.review"),
            )
        return super().get_context_data(**context, **kwargs)


class AlertDetailView(TabsMixin, TenantDetailView):
    model = Alert
    tab = "board"
    template_name = "monitoring/alert.html"

    def get_queryset(self):
        return super().get_queryset().select_related("client", "asset", "ticket", "key")

    def get_context_data(self, **kwargs):
        alert = self.object
        earlier = (
            Alert.objects.filter(asset_id=alert.asset_id, check_name=alert.check_name)
            .exclude(pk=alert.pk)
            .select_related("ticket")
            .order_by("-last_seen_at", "-pk")[:HISTORY_ROWS]
        )
        return super().get_context_data(earlier=list(earlier), **kwargs)
