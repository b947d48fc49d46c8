"""The monthly run: one invoice per client and period, gathering everything billable.

Idempotent by construction: every line claims what it bills (a contract's month, a block,
a time entry) and the claims are unique, so a re-run finds nothing left to bill, two runs
at once cannot both bill a thing (the loser's draft rolls back whole and it recomputes what
is left), and a run killed halfway has committed whole clients only.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation

from billing.models import BillingSettings, Invoice
from billing.periods import Period
from billing.services.invoices import invoice_draft_create, invoice_issue
from billing.sources import (
    asset_counts_by_client,
    billable_contracts,
    block_lines,
    comparison,
    fee_lines,
    labour_lines,
    onsite_lines,
    pending_breakfix_clients,
)
from contracts.models import HourBlock
from msp.models import Client
from msp.scoping import scoped_by
from msp.selectors import document_language

logger = logging.getLogger(__name__)

ATTEMPTS = 3


@dataclass
class RunResult:
    period: str
    invoices: list[int] = field(default_factory=list)
    clients: int = 0


def billing_settings(tenant) -> BillingSettings:
    settings = BillingSettings.objects.filter().first()
    return settings if settings is not None else BillingSettings(tenant=tenant)


@scoped_by("tenant")
def billing_run(
    *, tenant, period: Period, each: Callable[[Iterable, int], Iterable] | None = None
) -> RunResult:
    """Invoice the period for every client of the tenant that has something billable
    (`each` wraps the clients' iteration: the command's progress bar)."""
    settings = billing_settings(tenant)
    clients, by_client = {}, defaultdict(list)
    for contract in billable_contracts(period):
        clients[contract.client_id] = contract.client
        by_client[contract.client_id].append(contract)
    # Clients whose only billable work is on tickets that bill to no contract (break/fix rate).
    missing = [pk for pk in pending_breakfix_clients(period, settings.billing_starts) if pk not in clients]
    for client in Client.objects.filter(pk__in=missing).select_related("tenant").order_by("name", "pk"):
        clients[client.pk] = client
    counts = asset_counts_by_client(list(clients), period)
    result = RunResult(period=str(period), clients=len(clients))
    groups = list(clients.values())
    for client in each(groups, len(groups)) if each is not None else groups:
        contracts = by_client.get(client.pk, [])
        invoice = _client_invoice(client, contracts, period, counts.get(client.pk, Counter()), settings)
        if invoice is not None:
            result.invoices.append(invoice.pk)
    return result


def _client_invoice(
    client, contracts, period: Period, asset_counts, settings: BillingSettings
) -> Invoice | None:
    # Lines are written once, in the client's document language (the PDF and mail use it too).
    with translation.override(document_language(client)):
        return _client_invoice_lines(client, contracts, period, asset_counts, settings)


def _client_invoice_lines(client, contracts, period, asset_counts, settings) -> Invoice | None:
    for _attempt in range(ATTEMPTS):
        lines = []
        since = settings.billing_starts
        for contract in contracts:
            lines += fee_lines(contract, period, asset_counts, since)
        lines += block_lines(contracts, since=since)
        lines += labour_lines(contracts, period, client, since)
        lines += onsite_lines(contracts, period, settings.onsite_fee, client, since)
        if not lines:
            return None
        try:
            with transaction.atomic():
                invoice = invoice_draft_create(
                    client=client,
                    lines=lines,
                    period_start=period.start,
                    period_end=period.end,
                    comparison=comparison(client, contracts, lines, asset_counts)
                    if settings.show_comparison
                    else {},
                )
                if settings.auto_issue:
                    invoice = invoice_issue(invoice=invoice, on=period.end)
            return invoice
        except ValidationError:
            # Another run claimed some of it first: what is left is computed again.
            logger.info("billing %s for client %s raced another run; retrying", period, client.pk)
    return None


@scoped_by("block")
def block_invoice(*, block: HourBlock) -> Invoice | None:
    """Invoice a prepaid block as soon as it is bought (None when already invoiced)."""
    with translation.override(document_language(block.contract.client)):
        lines = block_lines([block.contract], blocks=[block])
    try:
        with transaction.atomic():
            invoice = invoice_draft_create(client=block.contract.client, lines=lines)
            if billing_settings(block.contract.client.tenant).auto_issue:
                invoice = invoice_issue(invoice=invoice)
        return invoice
    except ValidationError:
        return None
