"""The client contact's assets: its company's inventory with each machine's health (open
alerts, online or not, patches) and warranty, worst first; and one asset's page.

The flags are monitoring's own (monitoring.selectors.client_health_assets): the same
judgement the MSP's client-health page makes, by the MSP's sweep settings. A fixed number of
queries a page whatever the number of assets, alerts or tickets."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404
from django.views.generic import TemplateView

from assets.models import Asset
from monitoring.choices import AlertStatus
from monitoring.models import Alert
from monitoring.selectors import (
    ASSET_OPEN_ROWS,
    PROBLEMS,
    client_health,
    client_health_assets,
    health_limits,
    monitoring_settings,
)
from monitoring.sweeps import WARRANTY_WINDOW
from msp.roles import PORTAL
from msp.scoping import scope_of
from msp.search import search_terms
from msp.views.base import MemberRequiredMixin
from tickets.models import Ticket

ASSETS_PER_PAGE = 50
ASSET_TICKETS = 10  # an asset page's latest tickets
HEALTH_COUNTS = ("assets", "monitored_count", "offline", "disks", "warranties", "patches", "critical")


class PortalAssetMixin(MemberRequiredMixin):
    """Client contacts only (PORTAL); the scope limits them to their own company's assets."""

    permission_required = (PORTAL, "asset.view")
    model = Asset

    def limits(self):
        tenant = self.request.membership.tenant
        # The MSP's sweep settings: its own row, which a client contact's scope does not read.
        with scope_of(tenant.pk):
            settings = monitoring_settings(tenant)
        return settings, health_limits(tenant=tenant, settings=settings)


class PortalAssetListView(PortalAssetMixin, TemplateView):
    template_name = "portal/assets/list.html"

    def get_context_data(self, **kwargs):
        client_id = self.request.membership.client_id
        settings, limits = self.limits()
        problem = self.request.GET.get("problem", "")
        problem = problem if problem in PROBLEMS else ""
        search = self.request.GET.get("q", "").strip()
        assets = client_health_assets(client_id=client_id, limits=limits, problem=problem).select_related(
            "site"
        )
        if terms := search_terms(search):
            assets = assets.search(*terms)
        page = Paginator(assets, ASSETS_PER_PAGE).get_page(self.request.GET.get("page"))
        summary = client_health(limits=limits, client_id=client_id).first() or {}
        return super().get_context_data(
            summary={key: summary.get(key) or 0 for key in HEALTH_COUNTS},
            problem=problem,
            search=search,
            page_obj=page,
            assets=page.object_list,
            settings=settings,
            warranty_days=WARRANTY_WINDOW,
            **kwargs,
        )


class PortalAssetDetailView(PortalAssetMixin, TemplateView):
    template_name = "portal/assets/detail.html"

    def get_context_data(self, **kwargs):
        settings, limits = self.limits()
        asset = get_object_or_404(
            client_health_assets(client_id=self.request.membership.client_id, limits=limits).select_related(
                "site", "assigned_contact"
            ),
            pk=self.kwargs["pk"],
        )
        alerts = list(
            Alert.objects.filter(asset=asset, status=AlertStatus.OPEN)
            .select_related("ticket")
            .order_by("-last_seen_at", "-pk")[:ASSET_OPEN_ROWS]
        )
        tickets = list(
            Ticket.objects.filter(asset=asset)
            .only("id", "subject", "status", "priority", "sla_state", "created_at")
            .order_by("-created_at", "-pk")[: ASSET_TICKETS + 1]
        )
        return super().get_context_data(
            asset=asset,
            alerts=alerts,
            tickets=tickets[:ASSET_TICKETS],
            more_tickets=len(tickets) > ASSET_TICKETS,
            settings=settings,
            warranty_days=WARRANTY_WINDOW,
            **kwargs,
        )
