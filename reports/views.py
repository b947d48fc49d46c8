"""The dashboard, per role: a technician's day, the MSP's health for owners and admins, and
the client contact's portal home. Every figure comes from reports.selectors (a fixed number
of queries whatever the data); the view only picks the widgets the member may see."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from msp.roles import ANY_MEMBER
from msp.views.base import MemberRequiredMixin
from reports import selectors
from reports.charts import Series
from reports.models import MonthlyReport
from reports.selectors import AGE_BUCKETS, Bar, HourForecast, next_month_ends
from reports.services import as_period, month_label
from reports.templatetags.charts import render_line_chart
from tickets.choices import Priority

HOME_MONTHS = 8  # the portal home's burn-down: the balance at the end of each of the last 8 months
FORECAST_MONTHS = 3  # and its dashed forecast, up to the renewal threshold or this many months ahead
# (8 + now + 3: the chart then writes every one of its 12 x labels)
PRIORITY_TONES = {Priority.P1: "danger", Priority.P2: "warning", Priority.P3: "info", Priority.P4: "muted"}


def priority_bars(figures: selectors.TicketFigures) -> list[Bar]:
    tickets = reverse("tickets:list")
    return [
        Bar(
            label,
            figures.mine_by_priority[value],
            href=f"{tickets}?mine=1&priority={value}",
            tone=PRIORITY_TONES[value],
        )
        for value, label in Priority.choices
    ]


def age_bars(figures: selectors.TicketFigures) -> list[Bar]:
    return [
        Bar(str(label), figures.by_age[key], tone="danger" if key == "older" else "")
        for key, label, *_rest in AGE_BUCKETS
    ]


def hours(minutes: int) -> Decimal:
    """Minutes as hours to a tenth, for a chart's axis (the figures beside it write h:mm)."""
    return (Decimal(minutes) / 60).quantize(Decimal("0.1"), ROUND_HALF_UP)


def burn_down_chart(forecast: HourForecast) -> SafeString:
    """A prepaid contract's balance at each month's end and now; dashed, the balance expected
    at the next months' ends at the last 30 days' pace until it reaches the renewal threshold;
    and the threshold."""
    shown = forecast.shown_history
    labels = [_("Now") if point.now else date_format(point.day, "M y") for point in shown]
    actual = [hours(point.minutes) for point in shown]
    threshold = hours(forecast.threshold_minutes)
    ahead = []
    if forecast.reaches_threshold_on is not None:
        for end in next_month_ends(forecast.today, FORECAST_MONTHS):
            labels.append(date_format(end, "M y"))
            if end >= forecast.reaches_threshold_on:
                ahead.append(threshold)
                break
            ahead.append(hours(forecast.projected(end)))
    series = [Series(_("Balance at the month's end"), actual + [None] * len(ahead), tone="success")]
    if ahead:
        series.append(
            Series(
                _("Forecast"), [None] * (len(actual) - 1) + [actual[-1], *ahead], tone="muted", dashed=True
            )
        )
    series.append(Series(_("Renewal threshold"), [threshold] * len(labels), tone="warning", dashed=True))
    name = forecast.contract.name or _("Prepaid hours")
    return render_line_chart(
        series, _("%(name)s: balance over the last months") % {"name": name}, labels, y_unit=" h", height=240
    )


def latest_report(membership) -> MonthlyReport | None:
    """The last report sent to the client contact's company, its month named (one query)."""
    report = (
        selectors.reports_visible(membership)
        .only("id", "period", "sent_at", "client__id", "client__name")
        .order_by("-period", "-pk")
        .first()
    )
    if report is not None:
        report.month = month_label(as_period(report.period))
    return report


def utilisation_bars(rows: list[selectors.Utilisation]) -> list[Bar]:
    return [
        Bar(row.name, row.percent, text=f"{row.percent} %", tone="success" if row.percent >= 60 else "")
        for row in rows
    ]


class DashboardView(MemberRequiredMixin, TemplateView):
    permission_required = ANY_MEMBER

    def get_template_names(self):
        if self.request.membership.is_client:
            return ["portal/home.html"]  # the client portal's home (portal/)
        return ["reports/dashboard.html"]

    def get_context_data(self, **kwargs):
        membership = self.request.membership
        if membership.is_client:
            return super().get_context_data(client=membership.client, **self.client_widgets(), **kwargs)
        return super().get_context_data(**self.staff_widgets(), **kwargs)

    def client_widgets(self) -> dict:
        tickets = selectors.open_tickets()
        return {
            "balances": [
                {"forecast": forecast, "chart": burn_down_chart(forecast)}
                for forecast in selectors.hour_forecasts(months=HOME_MONTHS)
            ],
            "open_tickets": tickets[: selectors.LIST_SIZE],
            "more_tickets": len(tickets) > selectors.LIST_SIZE,
            "offers": selectors.offers_to_decide(),
            "latest_report": latest_report(self.request.membership),
        }

    def staff_widgets(self) -> dict:
        """A technician's (or account manager's) day; for owners and admins the MSP's health
        instead (their own tickets are one click away: My tickets)."""
        membership, user, now = self.request.membership, self.request.user, timezone.now()
        manager = membership.has_perm("dashboard.tenant")
        figures = selectors.ticket_figures(user=user, now=now, tenant_wide=manager)
        context = {
            "figures": figures,
            "manager": manager,
            "can_add_client": membership.has_perm("client.add"),
        }
        if not context["manager"]:
            time = selectors.my_time(user=user, now=now)
            context.update(
                priority_bars=priority_bars(figures),
                attention=selectors.tickets_needing_attention(user=user, now=now),
                timer=selectors.running_timer(user=user),
                my_time=time,
            )
        overview = selectors.client_overview(with_failed_emails=membership.has_perm("outboundemail.view"))
        context.update(
            counts=overview.counts, recent_clients=overview.newest, failed_emails=overview.failed_emails
        )
        if context["manager"]:
            available = selectors.available_minutes_this_month(now=now)
            utilisation = selectors.utilisation_per_technician(
                tenant=membership.tenant, available_minutes=available, now=now
            )
            context.update(
                age_bars=age_bars(figures),
                available_minutes=available,
                utilisation=utilisation,
                utilisation_bars=utilisation_bars(utilisation),
                low_on_hours=selectors.clients_low_on_hours(),
                contracts_expiring=selectors.contracts_expiring(),
                warranties_expiring=selectors.warranties_expiring(),
                offers_awaiting=selectors.offers_awaiting(),
                expiring_days=selectors.EXPIRING_DAYS,
            )
        return context
