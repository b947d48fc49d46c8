"""The technician's timesheet, manual entries and the timer, in the browser."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from contracts.choices import ContractKind
from contracts.templatetags.contract_terms import hm
from msp.models import Membership
from msp.views.base import MemberRequiredMixin
from msp.views.once import OnceOnlyMixin
from tickets.models import Ticket
from timetracking.forms import TimeEntryForm
from timetracking.models import TimeEntry
from timetracking.selectors import timesheet_week
from timetracking.services import (
    time_entry_create,
    time_entry_delete,
    time_entry_update,
    timer_running,
    timer_start,
    timer_stop,
)


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _next_url(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _panel_or_redirect(request, ticket, default_url, *, log_form=None):
    """htmx from the ticket page: the refreshed Time panel (and messages); else a redirect.
    ``log_form``, a refused Log time form, stays open in the panel with what was typed."""
    if request.htmx and ticket is not None and request.POST.get("panel"):
        from timetracking.views.panels import ticket_time_panel

        html = ticket_time_panel(request, ticket, log_form=log_form) or ""
        html += render_to_string("timetracking/_messages_oob.html", request=request)
        return HttpResponse(html)
    if request.htmx and request.POST.get("button"):
        if hasattr(request, "_timer_ticket_id"):
            del request._timer_ticket_id
        html = render_to_string(
            "timetracking/_timer_button.html", {"ticket": ticket, "request": request}, request=request
        )
        html += render_to_string("timetracking/_messages_oob.html", request=request)
        return HttpResponse(html)
    return redirect(_next_url(request, default_url))


class TimesheetView(MemberRequiredMixin, TemplateView):
    permission_required = "timeentry.view"
    template_name = "timetracking/timesheet.html"

    def get_day(self) -> date:
        try:
            return date.fromisoformat(self.request.GET.get("date", ""))
        except ValueError:
            return timezone.localdate()

    def get_technician(self):
        membership = self.request.membership
        wanted = self.request.GET.get("technician", "")
        if wanted.isdigit() and membership.has_perm("timeentry.manage_all"):
            other = Membership.objects.select_related("user").filter(user_id=int(wanted)).first()
            if other is not None:
                return other.user
        return self.request.user

    def get_context_data(self, **kwargs):
        day = self.get_day()
        view = "day" if self.request.GET.get("view") == "day" else "week"
        technician = self.get_technician()
        sheet = timesheet_week(technician=technician, day=day, days=1 if view == "day" else 7)
        step = timedelta(days=1 if view == "day" else 7)
        membership = self.request.membership
        technicians = []
        if membership.has_perm("timeentry.manage_all"):
            technicians = list(
                Membership.objects.select_related("user").exclude(role="client").order_by("user__username")
            )
        return super().get_context_data(
            sheet=sheet,
            view=view,
            day=day,
            previous=(sheet.start - step).isoformat(),
            following=(sheet.start + step).isoformat(),
            technician=technician,
            technicians=technicians,
            own=technician.pk == self.request.user.pk,
            form=kwargs.pop("form", None) or TimeEntryForm(technician=self.request.user),
            timer=timer_running(technician=self.request.user, tenant=membership.tenant),
            can_add=membership.has_perm("timeentry.add"),
            can_change=membership.has_perm("timeentry.change"),
            can_delete=membership.has_perm("timeentry.delete"),
            **kwargs,
        )


def _own_entries(request):
    queryset = TimeEntry.objects.select_related("ticket__client", "ticket__contract", "work_type")
    if not request.membership.has_perm("timeentry.manage_all"):
        queryset = queryset.filter(technician=request.user)
    return queryset


class TimeEntryCreateView(MemberRequiredMixin, OnceOnlyMixin, View):
    permission_required = "timeentry.add"

    def post(self, request):
        in_panel = bool(request.htmx and request.POST.get("panel"))
        posted = str(request.POST.get("ticket", ""))
        panel_ticket = (
            Ticket.objects.filter(pk=int(posted)).first() if in_panel and posted.isdigit() else None
        )
        form = TimeEntryForm(request.POST, ticket=panel_ticket, technician=request.user)
        ticket = panel_ticket
        if form.is_valid():
            ticket = form.cleaned_data["ticket"]
            try:
                entry = time_entry_create(ticket=ticket, technician=request.user, **form.service_kwargs())
            except ValidationError as exc:
                form_add_errors(form, exc)
            else:
                messages.success(request, _entry_message(entry))
                request.once_created_url = (
                    entry.ticket.get_absolute_url()
                    if in_panel
                    else _next_url(request, reverse("timesheet:week"))
                )
                return _panel_or_redirect(request, ticket, reverse("timesheet:week"))
        if ticket is None and posted.isdigit():
            ticket = Ticket.objects.filter(pk=int(posted)).first()
        if in_panel and ticket is not None:
            # The panel keeps the form open, every typed value in place, each error by its field.
            return _panel_or_redirect(request, ticket, reverse("timesheet:week"), log_form=form)
        if not request.htmx:
            # The timesheet's form, shown again with what was typed and the errors by the fields.
            sheet = TimesheetView()
            sheet.setup(request)
            return render(request, sheet.template_name, sheet.get_context_data(form=form), status=400)
        messages.error(request, _form_errors(form))
        return _panel_or_redirect(request, ticket, reverse("timesheet:week"))


def form_add_errors(form, exc: ValidationError) -> None:
    """A service's refusal, beside the field it names (else above the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _form_errors(form) -> str:
    parts = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        parts.append(f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    return " ".join(parts)


def _warn_if_cut(request, entry) -> None:
    """A timer left running past 24 h logged only 24 h: say so, so the rest is not lost."""
    ran = getattr(entry, "timer_minutes", 0)
    if ran > entry.minutes:
        messages.warning(
            request,
            _(
                "The timer ran %(ran)s h but one entry holds at most 24 h, so %(logged)s h were logged on %(ticket)s. "
                "Log the rest as another entry if it was worked."
            )
            % {"ran": hm(ran), "logged": hm(entry.minutes), "ticket": entry.ticket},
        )


def _entry_message(entry) -> str:
    if entry.billable and entry.contract is not None and entry.contract.kind == ContractKind.PREPAID_HOURS:
        text = _("Logged %(minutes)d min: %(drawn)d min drawn from prepaid hours.") % {
            "minutes": entry.minutes,
            "drawn": entry.drawn_minutes,
        }
        if entry.overage_minutes:
            text += " " + _("%(overage)d min beyond the balance are overage.") % {
                "overage": entry.overage_minutes
            }
        renewals = getattr(getattr(entry, "_draw", None), "renewals", [])
        if renewals:
            text += " " + _("%(count)d new hour block(s) were added automatically.") % {
                "count": len(renewals)
            }
        return text
    if entry.covered:
        return _("Logged %(minutes)d min, covered by the client's tier.") % {"minutes": entry.minutes}
    return _("Logged %(minutes)d min.") % {"minutes": entry.minutes}


class TimeEntryUpdateView(MemberRequiredMixin, View):
    permission_required = "timeentry.change"
    model = TimeEntry

    def get_object(self, pk):
        return get_object_or_404(_own_entries(self.request), pk=pk)

    def get(self, request, pk):
        entry = self.get_object(pk)
        initial = {
            "ticket": entry.ticket_id,
            "work_type": entry.work_type_id,
            "billable": entry.billable,
            "note": entry.note,
        }
        if entry.started_at and entry.ended_at:
            initial.update(
                started_at=timezone.localtime(entry.started_at).strftime("%Y-%m-%dT%H:%M"),
                ended_at=timezone.localtime(entry.ended_at).strftime("%Y-%m-%dT%H:%M"),
            )
        else:
            initial["minutes"] = entry.minutes
        form = TimeEntryForm(initial=initial, technician=request.user)
        return render(request, "timetracking/entry_form.html", {"form": form, "entry": entry})

    def post(self, request, pk):
        entry = self.get_object(pk)
        form = TimeEntryForm(request.POST, technician=request.user)
        if form.is_valid():
            kwargs = form.service_kwargs()
            if "minutes" not in kwargs:
                kwargs["minutes"] = None
            else:
                kwargs["started_at"] = kwargs["ended_at"] = None
            if kwargs.get("started_at") and kwargs.get("ended_at"):
                kwargs["started_at"], kwargs["ended_at"] = _keep_seconds(
                    entry, kwargs["started_at"], kwargs["ended_at"]
                )
            try:
                time_entry_update(entry=entry, ticket=form.cleaned_data["ticket"], **kwargs)
            except ValidationError as exc:
                form_add_errors(form, exc)
            else:
                messages.success(
                    request, _("The time entry was changed: its hours were given back and drawn again.")
                )
                return redirect(_next_url(request, reverse("timesheet:week")))
        return render(request, "timetracking/entry_form.html", {"form": form, "entry": entry}, status=400)


def _keep_seconds(entry, started_at, ended_at):
    """The form shows times to the minute; a timer's entry keeps its seconds unless changed."""

    def same_minute(a, b) -> bool:
        return b is not None and a.replace(second=0, microsecond=0) == b.replace(second=0, microsecond=0)

    if same_minute(started_at, entry.started_at):
        started_at = entry.started_at
    if same_minute(ended_at, entry.ended_at):
        ended_at = entry.ended_at
    return started_at, ended_at


class TimeEntryDeleteView(MemberRequiredMixin, View):
    permission_required = "timeentry.delete"
    model = TimeEntry

    def post(self, request, pk):
        entry = get_object_or_404(_own_entries(request), pk=pk)
        ticket = entry.ticket
        try:
            time_entry_delete(entry=entry)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, _("The time entry was deleted; its hours were given back."))
        return _panel_or_redirect(request, ticket, reverse("timesheet:week"))


class TimerStartView(MemberRequiredMixin, View):
    permission_required = "timeentry.add"

    def post(self, request):
        value = request.POST.get("ticket", "")
        ticket = (
            Ticket.objects.select_related("client").filter(pk=int(value)).first() if value.isdigit() else None
        )
        if ticket is None:
            raise Http404(_("Ticket not found."))
        started = None
        try:
            started = timer_start(technician=request.user, ticket=ticket, tenant=request.membership.tenant)
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            if started.stopped_entry is not None:
                messages.info(
                    request,
                    _(
                        "Timer started on %(ticket)s. The timer on %(previous)s was stopped and logged %(minutes)d min."
                    )
                    % {
                        "ticket": ticket,
                        "previous": started.stopped_entry.ticket,
                        "minutes": started.stopped_entry.minutes,
                    },
                )
                _warn_if_cut(request, started.stopped_entry)
            else:
                messages.success(request, _("Timer started on %(ticket)s.") % {"ticket": ticket})
        response = _panel_or_redirect(request, ticket, reverse("timesheet:week"))
        if (
            request.htmx
            and started is not None
            and started.stopped_entry is not None
            and not request.POST.get("panel")
        ):
            response["HX-Refresh"] = "true"  # another row's button showed the stopped timer
        return response


class TimerStopView(MemberRequiredMixin, View):
    permission_required = "timeentry.add"

    def post(self, request):
        ticket = None
        # The work note: typed into the stop form, or answered to the queue button's prompt.
        note = request.POST.get("note") or (request.htmx.prompt if request.htmx else None) or ""
        try:
            entry = timer_stop(technician=request.user, tenant=request.membership.tenant, note=note[:10000])
        except ValidationError as exc:
            messages.error(request, _errors(exc))
            value = request.POST.get("ticket", "")
            ticket = Ticket.objects.filter(pk=int(value)).first() if value.isdigit() else None
        else:
            value = request.POST.get("ticket", "")
            posted = Ticket.objects.filter(pk=int(value)).first() if value.isdigit() else None
            ticket = posted or entry.ticket
            messages.success(request, _("Timer stopped.") + " " + _entry_message(entry))
            _warn_if_cut(request, entry)
        return _panel_or_redirect(request, ticket, reverse("timesheet:week"))
