"""The client contact's prepaid hours: balance, blocks and ledger history (own company only)."""

from __future__ import annotations

from django.views.generic import TemplateView

from contracts.choices import ContractKind
from contracts.models import Contract
from contracts.views.hours import hours_context
from msp.roles import PORTAL
from msp.views.base import MemberRequiredMixin


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
        return super().get_context_data(contracts=contracts, contract=contract, **context, **kwargs)
