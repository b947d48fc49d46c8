"""The owner's dashboard across clients (issue 12), for owners and admins: every figure from
reports.owner (a fixed number of queries whatever the number of clients); the view turns them
into charts and picks the SLA table's order."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView
from djmoney.money import Money

from contracts.choices import ContractKind, ContractStatus
from msp.views.base import MemberRequiredMixin
from reports import owner
from reports.charts import Column, Series

# Who sees it: the whole MSP's figures, revenue included (msp/roles.py: owners and admins).
PERMISSION = "dashboard.tenant"


def _month_label(period) -> str:
    return formats.date_format(period.start, "M")


def hours_series(months: list[owner.HoursMonth]) -> list[Series]:
    return [
        Series(_("Sold"), [owner.hours(m.sold_minutes) for m in months], tone="success"),
        Series(_("Used"), [owner.hours(m.used_minutes) for m in months]),
    ]


def sla_series(months: list[owner.MonthSla]) -> list[Series]:
    return [
        Series(_("First response"), [m.counts.response_percent for m in months]),
        Series(_("Resolution"), [m.counts.resolution_percent for m in months], tone="success"),
    ]


def week_series(weeks: list[owner.WeekTickets]) -> list[Series]:
    return [
        Series(_("Opened"), [w.opened for w in weeks], tone="warning"),
        Series(_("Resolved"), [w.resolved for w in weeks], tone="success"),
    ]


def revenue_tables(last: list[owner.Revenue], this: list[owner.Revenue], month) -> list[dict]:
    """Per currency: a row per contract kind with last month's revenue (invoices, invoiced,
    credited, net) and this month's so far (net), the totals, and last month's columns."""
    tables = []
    for currency in sorted({r.currency for r in last} | {r.currency for r in this}):
        before = {r.kind: r for r in last if r.currency == currency}
        now = {r.kind: r for r in this if r.currency == currency}
        zero = Money(0, currency)
        rows = [
            {"kind": kind, "label": owner.kind_label(kind), "last": before.get(kind), "this": now.get(kind)}
            for kind in owner.KIND_ORDER
            if kind in before or kind in now
        ]
        tables.append(
            {
                "currency": currency,
                "rows": rows,
                "invoiced": sum((r.invoiced for r in before.values()), zero),
                "credited": sum((r.credited for r in before.values()), zero),
                "net": sum((r.net for r in before.values()), zero),
                "this_net": sum((r.net for r in now.values()), zero),
                **revenue_columns([row for row in rows if row["last"] is not None]),
            }
        )
    return tables


def revenue_columns(rows: list[dict]) -> dict:
    """Last month's net revenue per kind as columns, in whole units, or in thousands once a
    column passes 10,000 (the axis has room for five digits; the table has the exact amounts)."""
    amounts = [row["last"].net.amount for row in rows]
    thousands = any(abs(amount) >= 10_000 for amount in amounts)
    step = Decimal("0.1") if thousands else Decimal("1")
    values = [(amount / 1000 if thousands else amount).quantize(step, ROUND_HALF_UP) for amount in amounts]
    return {
        "columns": [Column(row["label"], (value,)) for row, value in zip(rows, values, strict=True)],
        "chart_unit": " k" if thousands else "",
    }


class OwnerDashboardView(MemberRequiredMixin, TemplateView):
    """Hours sold and used, clients near their renewal threshold, SLA compliance by client and
    by month, tickets by week and revenue by contract kind, for the whole MSP."""

    permission_required = PERMISSION
    template_name = "reports/owner_dashboard.html"

    def get_context_data(self, **kwargs):
        now = timezone.now()
        order = self.request.GET.get("sla", "")
        order = order if order in owner.SLA_ORDERS else owner.SLA_ORDERS[0]
        all_sla = self.request.GET.get("all") == "sla"
        figures = owner.owner_dashboard(
            now=now,
            sla_order=order,
            sla_limit=None if all_sla else owner.ROWS,
            past=owner.cached_history(now=now, refresh=self.request.GET.get("refresh") == "1"),
        )
        months = figures.hours_by_month
        prepaid = (
            reverse("contracts:list") + f"?kind={ContractKind.PREPAID_HOURS}&status={ContractStatus.ACTIVE}"
        )
        return super().get_context_data(
            figures=figures,
            month=figures.month,
            last_month=figures.month.previous(),
            hours_this_month=months[-1],
            hours_year={
                "sold": sum(m.sold_minutes for m in months),
                "used": sum(m.used_minutes for m in months),
            },
            hours_series=hours_series(months),
            month_labels=[_month_label(m.period) for m in months],
            contracts=figures.hours_by_contract[: owner.ROWS],
            more_contracts=len(figures.hours_by_contract) > owner.ROWS,
            near=figures.near_threshold[: owner.ROWS],
            more_near=len(figures.near_threshold) > owner.ROWS,
            near_days=owner.NEAR_DAYS,
            burn_days=owner.BURN_DAYS,
            prepaid_url=prepaid,
            sla_order=order,
            sla_orders=[
                ("breaches", _("Most breaches")),
                ("response", _("Worst first response")),
                ("resolution", _("Worst resolution")),
            ],
            sla_all=all_sla,
            sla_clients=figures.sla_by_client if all_sla else figures.sla_by_client[: owner.ROWS],
            more_sla=not all_sla and len(figures.sla_by_client) > owner.ROWS,
            sla_this_month=figures.sla_by_month[-1].counts,
            sla_series=sla_series(figures.sla_by_month),
            sla_decided=any(
                p is not None for series in sla_series(figures.sla_by_month) for p in series.points
            ),
            week_series=week_series(figures.tickets_by_week),
            week_labels=[formats.date_format(w.monday, "j M") for w in figures.tickets_by_week],
            revenue=revenue_tables(figures.revenue_last_month, figures.revenue_this_month, figures.month),
            history_at=figures.history_at,
            history_minutes=owner.HISTORY_SECONDS // 60,
            **kwargs,
        )
