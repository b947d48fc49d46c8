"""Writes of contracts: their rules, saving, and deleting one nothing depends on."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from contracts.choices import ContractKind, ContractStatus
from contracts.models import Contract
from contracts.services.common import Errors, amount_error, currency_error, delete_or_explain

CONTRACT_MONEY_FIELDS = ("monthly_fee", "hourly_rate", "overage_rate", "renew_block_price")


def contract_validate(*, contract: Contract) -> None:
    """Every rule of a contract: dates, currency, tier, rates, rounding, auto-renew, and one
    active managed contract per client."""
    errors = Errors()
    kind, currency = contract.kind, contract.currency
    if kind not in ContractKind.values:
        errors.add("kind", _("Choose managed, prepaid hours or break/fix."))
    if contract.status not in ContractStatus.values:
        errors.add("status", _("Choose active or ended."))
    currency_problem = currency_error(currency)
    if currency_problem:
        errors.add("currency", currency_problem)
    if contract.start_date is None:
        errors.add("start_date", _("Give the start date."))
    elif contract.end_date is not None and contract.end_date < contract.start_date:
        errors.add("end_date", _("The end date is before the start date."))
    if contract.start_date is not None:
        if contract.term_end is not None and contract.term_end < contract.start_date:
            errors.add("term_end", _("The fixed term ends before the contract starts."))
        elif contract.term_end is not None and contract.end_date is not None and contract.end_date < contract.term_end:
            errors.add(
                "end_date",
                _("The contract has a fixed term until %(day)s: it cannot end before.") % {"day": contract.term_end},
            )
        if contract.trial_end is not None and contract.trial_end < contract.start_date:
            errors.add("trial_end", _("The free trial ends before the contract starts."))
    if contract.trial_end is not None and kind != ContractKind.MANAGED:
        errors.add("trial_end", _("Only a managed contract has a free trial."))
    if contract.pk and contract.client_id:
        old_client = Contract.objects.filter(pk=contract.pk).values_list("client_id", flat=True).first()
        if old_client is not None and old_client != contract.client_id:
            errors.add("client", _("A contract cannot move to another client."))

    tier = contract.tier if contract.tier_id else None
    if kind == ContractKind.MANAGED:
        if tier is None and not contract.lines:
            errors.add("tier", _("Choose the service tier of a managed contract."))
    elif tier is not None:
        errors.add("tier", _("Only managed contracts have a tier; leave it empty."))
    if tier is not None and not currency_problem and tier.currency != currency:
        errors.add(
            "tier",
            _(
                "%(tier)s is priced in %(tier_currency)s, but this contract is billed in %(currency)s: "
                "totals never mix currencies. Choose a tier priced in %(currency)s."
            )
            % {"tier": tier, "tier_currency": tier.currency, "currency": currency},
        )

    for field in CONTRACT_MONEY_FIELDS:
        money = getattr(contract, field)
        if money is None or money.amount is None:
            continue
        if not currency_problem and money.currency.code != currency:
            errors.add(
                field,
                _("Give this amount in %(currency)s, the contract's currency, not in %(other)s.")
                % {"currency": currency, "other": money.currency.code},
            )
        elif error := amount_error(money.amount):
            errors.add(field, error)

    if contract.rounding_minutes is None or not 1 <= contract.rounding_minutes <= 240:
        errors.add("rounding_minutes", _("Round up to between 1 and 240 minutes (1 = to the minute)."))
    if contract.minimum_minutes is None or not 0 <= contract.minimum_minutes <= 480:
        errors.add("minimum_minutes", _("The minimum per entry is between 0 and 480 minutes."))
    if contract.renew_threshold_minutes is None or contract.renew_threshold_minutes < 0:
        errors.add("renew_threshold_minutes", _("The renewal threshold cannot be negative."))
    if contract.auto_renew:
        if kind != ContractKind.PREPAID_HOURS:
            errors.add("auto_renew", _("Only prepaid hours contracts renew hour blocks."))
        if contract.renew_block_minutes is None or contract.renew_block_minutes < 1:
            errors.add("renew_block_minutes", _("A renewal block is at least one minute."))
        if contract.renew_block_price is None:
            errors.add("renew_block_price", _("Give the price of the renewal block."))

    if kind == ContractKind.MANAGED and contract.status == ContractStatus.ACTIVE and contract.client_id:
        other = (
            Contract.objects.filter(
                client_id=contract.client_id, kind=ContractKind.MANAGED, status=ContractStatus.ACTIVE
            )
            .exclude(pk=contract.pk)
            .select_related("client")
            .first()
        )
        if other is not None:
            errors.add(
                NON_FIELD_ERRORS,
                _(
                    "%(client)s already has an active managed contract (%(contract)s). A client has one "
                    "managed contract: end that one first, or make this one prepaid hours or break/fix."
                )
                % {"client": other.client, "contract": other},
            )
    errors.raise_if_any()


def contract_save(*, contract: Contract) -> Contract:
    contract_validate(contract=contract)
    try:
        with transaction.atomic():
            contract.save()
    except IntegrityError as exc:  # a concurrent write: the one-active-managed constraint
        raise ValidationError(
            {NON_FIELD_ERRORS: [_("This client already has an active managed contract.")]}
        ) from exc
    return contract


def contract_delete(*, contract: Contract) -> None:
    """Delete a contract nothing depends on yet (hour blocks, tickets, invoices protect it)."""
    delete_or_explain(
        contract, _("%(name)s cannot be deleted while other records depend on it (%(what)s). End it instead.")
    )
