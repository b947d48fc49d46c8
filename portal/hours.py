"""The client contact's prepaid hours: balance, blocks and the statement (own company only).

The statement reads as one: each movement's date, the technician, the ticket (its number and
subject, linked to the ticket's portal page), the work note, the minutes and the balance
after. A movement whose time entry was since deleted says so in words, never by the entry's
internal number."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from contracts.choices import ContractKind
from contracts.models import Contract, LedgerKind
from contracts.views.hours import hours_context
from msp.roles import PORTAL
from msp.views.base import MemberRequiredMixin


def statement_rows(rows) -> list:
    """The rows of a ledger page (described by contracts.ledger) as the portal shows them:
    `when` (the work's date for time, else the movement's) and `text` for rows that name no
    ticket (a block bought, minutes expired, work since removed)."""
    rows = list(rows)
    for row in rows:
        source = row.source
        row.when = source.worked_at if source is not None and source.worked_at else row.created_at
        row.corrected = row.kind == LedgerKind.REVERSAL
        if source is not None:
            row.text = ""
        elif row.source_id is not None:  # its time entry was deleted since
            row.text = _("Given back: work removed") if row.corrected else _("Work later removed")
        else:
            row.text = row.description
    return rows


class PortalHoursView(MemberRequiredMixin, TemplateView):
    permission_required = (PORTAL, "contract.view")  # client contacts only
    template_name = "portal/hours/hours.html"

    def get_context_data(self, **kwargs):
        contracts = list(
            Contract.objects.filter(kind=ContractKind.PREPAID_HOURS).order_by("-start_date", "pk")
        )
        wanted = self.request.GET.get("contract", "")
        contract = next((c for c in contracts if str(c.pk) == wanted), contracts[0] if contracts else None)
        context = hours_context(self.request, contract) if contract is not None else {}
        if context:
            context["ledger_page"].object_list = statement_rows(context["ledger_page"].object_list)
        return super().get_context_data(contracts=contracts, contract=contract, **context, **kwargs)
