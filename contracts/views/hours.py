"""Prepaid hours on the contract page: balance, blocks, ledger, burn rate, buying a block."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views import View

from contracts.choices import ContractKind
from contracts.forms.hours import BlockPurchaseForm
from contracts.models import Contract
from contracts.selectors import burn_rates, contract_blocks, ledger_page, weeks_left
from contracts.services.hours import block_purchase
from msp.views.base import MemberRequiredMixin
from msp.views.once import OnceOnlyMixin

RECENT_BLOCKS = 10


def hours_context(request, contract, *, can_buy: bool = False) -> dict:
    """What the hours include (templates/contracts/hours/_hours.html) needs."""
    if contract.kind != ContractKind.PREPAID_HOURS:
        return {}
    rates = burn_rates(contract)
    blocks = contract_blocks(contract)
    if request.GET.get("blocks") != "all":
        # Blocks with minutes left, and the latest few; years of used-up ones fold away.
        recent = len(blocks) - RECENT_BLOCKS
        blocks_shown = [
            b for i, b in enumerate(blocks) if i >= recent or (b.left_minutes > 0 and not b.is_expired)
        ]
    else:
        blocks_shown = blocks
    context = {
        "hours_contract": contract,
        "blocks": blocks_shown,
        "folded_blocks": len(blocks) - len(blocks_shown),
        "ledger_page": ledger_page(contract, request.GET.get("page")),
        "burn_rates": rates,
        "weeks_left": weeks_left(contract.balance_minutes, rates[0]),
        "can_buy_block": can_buy,
    }
    if can_buy:
        context["block_form"] = BlockPurchaseForm(initial={"price": contract.renew_block_price or None})
    return context


class BlockPurchaseView(MemberRequiredMixin, OnceOnlyMixin, View):
    permission_required = "hourblock.add"
    model = Contract

    def post(self, request, pk):
        contract = get_object_or_404(Contract.objects.all(), pk=pk)
        form = BlockPurchaseForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(" ".join(errors) for errors in form.errors.values()))
            return redirect(contract)
        try:
            block = block_purchase(
                contract=contract,
                minutes=form.minutes(),
                price=form.cleaned_data["price"],
                origin=form.cleaned_data["origin"],
                expires_at=form.cleaned_data.get("expires_at"),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Bought %(block)s; the balance was credited.") % {"block": block})
            request.once_created_url = contract.get_absolute_url()
        return redirect(contract)
