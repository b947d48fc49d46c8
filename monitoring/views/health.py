"""Client health: per client, then per asset, what needs a technician's eye."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from monitoring.selectors import (
    PROBLEMS,
    client_health,
    client_health_assets,
    clients_with_assets_count,
    health_limits,
    monitoring_settings,
)
from monitoring.sweeps import WARRANTY_WINDOW
from monitoring.views.tabs import TabsMixin
from msp.models import Client
from msp.views.base import MemberRequiredMixin

CLIENTS_PER_PAGE = 25
ASSETS_PER_PAGE = 50

# The problems a row counts, in the order a person reads them: (key, label, chart tone).
COLUMNS = (
    ("critical", _("Critical alerts"), "danger"),
    ("offline", _("Offline"), "warning"),
    ("disks", _("Disks nearly full"), "amber"),
    ("patches", _("Missing patches"), "info"),
    ("warranties", _("Warranties ending"), "muted"),
)


@dataclass
class Segment:
    key: str
    label: str
    tone: str
    value: int
    x: int = 0
    width: int = 0


def stacked_bars(rows, *, track: int = 260) -> list[dict]:
    """Each row's problems as segments of one bar, lengths relative to the worst row."""
    top = max((sum(row[key] for key, _label, _tone in COLUMNS) for row in rows), default=0)
    bars = []
    for row in rows:
        x, segments = 0, []
        for key, label, tone in COLUMNS:
            value = row[key]
            width = round(value * track / top) if top else 0
            if value and width < 2:
                width = 2
            segments.append(Segment(key, str(label), tone, value, x, width))
            x += width
        bars.append({"row": row, "segments": segments, "total": sum(s.value for s in segments)})
    return bars


class ClientHealthView(TabsMixin, MemberRequiredMixin, TemplateView):
    """One row per client, worst first; each count leads to the list that shows it."""

    permission_required = "alert.view"
    tab = "health"
    template_name = "monitoring/health.html"

    def get_context_data(self, **kwargs):
        tenant = self.request.membership.tenant
        settings = monitoring_settings(tenant)
        limits = health_limits(tenant=tenant, settings=settings)
        paginator = Paginator(client_health(limits=limits), CLIENTS_PER_PAGE)
        paginator.count = clients_with_assets_count()  # not a COUNT over the whole aggregation
        page = paginator.get_page(self.request.GET.get("page"))
        rows = list(page.object_list)
        return super().get_context_data(
            page_obj=page,
            rows=rows,
            bars=stacked_bars(rows),
            chart_height=max(len(rows), 1) * 26,
            columns=COLUMNS,
            settings=settings,
            warranty_days=WARRANTY_WINDOW,
            **kwargs,
        )


class ClientHealthDetailView(TabsMixin, MemberRequiredMixin, TemplateView):
    """One client's assets with the same flags, worst first (``?problem=`` narrows)."""

    permission_required = "alert.view"
    tab = "health"
    template_name = "monitoring/health_client.html"

    def get_context_data(self, **kwargs):
        client = get_object_or_404(Client.objects.all(), pk=self.kwargs["client_pk"])
        tenant = self.request.membership.tenant
        settings = monitoring_settings(tenant)
        limits = health_limits(tenant=tenant, settings=settings)
        problem = self.request.GET.get("problem", "")
        problem = problem if problem in PROBLEMS else ""
        summary = client_health(limits=limits, client_id=client.pk).first()
        empty = {key: 0 for key, _label, _tone in COLUMNS} | {"assets": 0, "monitored_count": 0}
        assets = client_health_assets(client_id=client.pk, limits=limits, problem=problem).select_related(
            "site"
        )
        page = Paginator(assets, ASSETS_PER_PAGE).get_page(self.request.GET.get("page"))
        return super().get_context_data(
            client=client,
            summary=summary or empty,
            columns=COLUMNS,
            problem=problem,
            problems=[(key, label) for key, label, _tone in PROBLEM_FILTERS],
            page_obj=page,
            assets=page.object_list,
            settings=settings,
            warranty_days=WARRANTY_WINDOW,
            **kwargs,
        )


PROBLEM_FILTERS = (
    ("critical", _("Critical alerts"), ""),
    ("offline", _("Offline"), ""),
    ("disk", _("Disks nearly full"), ""),
    ("patches", _("Missing patches"), ""),
    ("warranty", _("Warranties ending"), ""),
)
