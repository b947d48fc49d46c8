"""The "Time" panel of the ticket page (registered with tickets.hooks)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.views import View

from contracts.choices import ContractKind
from contracts.models import Contract
from msp.views.base import MemberRequiredMixin
from tickets.models import Ticket
from timetracking.forms import TimeEntryForm
from timetracking.selectors import ticket_entries
from timetracking.services import break_fix_rate, timer_running


def ticket_time_panel(request, ticket, *, log_form=None) -> str | None:
    membership = getattr(request, "membership", None)
    if membership is None or not membership.has_perm("timeentry.view"):
        return None
    contract = ticket.contract
    if contract is not None and request.method != "GET":
        # Fresh: a draw made in this request updated the balance on another instance.
        contract = Contract.objects.filter(pk=contract.pk).first()
    timer = timer_running(technician=request.user, tenant=membership.tenant)
    entries = list(ticket_entries(ticket)[:50])
    context = {
        "ticket": ticket,
        "contract": contract,
        "is_prepaid": contract is not None and contract.kind == ContractKind.PREPAID_HOURS,
        "break_fix_rate": (
            break_fix_rate(tenant=membership.tenant, client=ticket.client) if contract is None else None
        ),
        "entries": entries,
        "timer": timer,
        "timer_here": timer is not None and timer.ticket_id == ticket.pk,
        "log_form": log_form,
        "can_add": membership.has_perm("timeentry.add"),
        "can_delete": membership.has_perm("timeentry.delete"),
        "manage_all": membership.has_perm("timeentry.manage_all"),
    }
    return render_to_string("timetracking/_ticket_panel.html", context, request=request)


class TicketLogFormView(MemberRequiredMixin, View):
    """The panel's "Log time" form, fetched when the technician opens it."""

    permission_required = "timeentry.add"

    def get(self, request, ticket_pk):
        ticket = get_object_or_404(Ticket.objects.all(), pk=ticket_pk)
        if not request.htmx:
            return redirect(ticket.get_absolute_url())
        form = TimeEntryForm(ticket=ticket, technician=request.user)
        return TemplateResponse(request, "timetracking/_log_form.html", {"ticket": ticket, "form": form})
