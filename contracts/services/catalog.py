"""Writes of the catalogue and contracts: seeded tiers, tier and service rules, contract rules."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _
from djmoney.money import Money

from assets.choices import AssetKind
from contracts.choices import ContractKind, ContractStatus, Feature, ServiceUnit
from contracts.models import Contract, RecurringService, ServiceTier, TierPrice

SEED_TIERS = [
    {
        "name": "Silver",
        "prices": {"server": "150", "network": "150", "desktop": "25", "laptop": "25", "printer": "10"},
        "features": [Feature.ASSET_MANAGEMENT, Feature.MONITORING, Feature.MONTHLY_REPORT],
        "onsite_discount_percent": "0",
        "includes_labour": False,
        "sla": (8 * 60, 4 * 60),
    },
    {
        "name": "Gold",
        "prices": {"server": "250", "network": "250", "desktop": "45", "laptop": "45", "printer": "15"},
        "features": [
            Feature.ASSET_MANAGEMENT,
            Feature.MONITORING,
            Feature.PATCH_MANAGEMENT,
            Feature.WARRANTY_MANAGEMENT,
            Feature.MONTHLY_REPORT,
            Feature.PRINTER_SUPPORT,
        ],
        "onsite_discount_percent": "25",
        "includes_labour": False,
        "sla": (4 * 60, 2 * 60),
    },
    {
        "name": "Platinum",
        "prices": {"server": "350", "network": "350", "desktop": "60", "laptop": "60", "printer": "20"},
        "features": list(Feature.values),
        "onsite_discount_percent": "50",
        "includes_labour": True,
        "after_hours_support": True,
        "review_meeting_hours": 2,
        "sla": (2 * 60, 60),
    },
]
SEED_SERVICES = [
    ("Backup monitoring", ["server", "desktop", "laptop"], "15"),
    ("Antivirus", ["server", "desktop", "laptop"], "5"),
]


@transaction.atomic
def tiers_seed(*, tenant) -> list[ServiceTier]:
    """Give a new tenant Silver/Gold/Platinum and two à-la-carte services (idempotent)."""
    currency = tenant.default_currency
    tiers = []
    for position, seed in enumerate(SEED_TIERS):
        tier, created = ServiceTier.unscoped.get_or_create(
            tenant=tenant,
            name=seed["name"],
            currency=currency,
            defaults={
                "position": position,
                "features": [str(f) for f in seed["features"]],
                "onsite_discount_percent": Decimal(seed["onsite_discount_percent"]),
                "includes_labour": seed["includes_labour"],
                "after_hours_support": seed.get("after_hours_support", False),
                "review_meeting_hours": seed.get("review_meeting_hours", 0),
                "sla_first_response_minutes": seed["sla"][0],
                "sla_server_first_response_minutes": seed["sla"][1],
            },
        )
        if created:
            TierPrice.unscoped.bulk_create(
                TierPrice(tenant=tenant, tier=tier, kind=kind, price=Money(Decimal(amount), currency))
                for kind, amount in seed["prices"].items()
            )
        tiers.append(tier)
    for name, kinds, amount in SEED_SERVICES:
        RecurringService.unscoped.get_or_create(
            tenant=tenant,
            name=name,
            price_currency=currency,
            defaults={"kinds": kinds, "price": Money(Decimal(amount), currency)},
        )
    return tiers


def tier_set_prices(*, tier: ServiceTier, prices: dict[str, Decimal]) -> None:
    """Replace a tier's per-kind prices (kinds left out cost nothing in this tier)."""
    unknown = set(prices) - set(AssetKind.values)
    if unknown:
        raise ValidationError(
            {"prices": _("Unknown asset kind: %(kinds)s.") % {"kinds": ", ".join(sorted(unknown))}}
        )
    if any(Decimal(amount) < 0 for amount in prices.values()):
        raise ValidationError({"prices": _("A price cannot be negative.")})
    with transaction.atomic():
        TierPrice.objects.filter(tier=tier).exclude(kind__in=prices).delete()
        for kind, amount in prices.items():
            TierPrice.objects.update_or_create(
                tier=tier,
                kind=kind,
                # update_or_create saves only the fields named here: name the currency too.
                defaults={
                    "tenant_id": tier.tenant_id,
                    "price": Money(Decimal(amount), tier.currency),
                    "price_currency": tier.currency,
                },
            )


MAX_AMOUNT = Decimal("999999999999.99")
CONTRACT_MONEY_FIELDS = ("monthly_fee", "hourly_rate", "overage_rate", "renew_block_price")


class _Errors(dict):
    def add(self, field: str, message) -> None:
        self.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self:
            raise ValidationError(dict(self))


def _amount_error(amount) -> str | None:
    if amount < 0:
        return _("An amount cannot be negative.")
    if amount > MAX_AMOUNT:
        return _("This amount is too large.")
    return None


def _currency_error(currency) -> str | None:
    if currency not in settings.CURRENCIES:
        return _("%(currency)s is not one of the currencies billed here (%(choices)s).") % {
            "currency": currency or "—",
            "choices": ", ".join(settings.CURRENCIES),
        }
    return None


def delete_blockers(obj) -> str:
    """What stops `obj` from being deleted (rows pointing at it through PROTECT), as text; "" when nothing.

    Counted relation by relation rather than through Django's deletion Collector, whose
    cascade walk would report rows protecting *other* objects it meant to delete.
    """
    parts = []
    for relation in obj._meta.related_objects:
        if relation.on_delete is not models.PROTECT:
            continue
        model = relation.related_model
        count = model._base_manager.filter(**{relation.field.name: obj}).count()
        if count:
            name = model._meta.verbose_name if count == 1 else model._meta.verbose_name_plural
            parts.append(f"{count} {name}")
    return ", ".join(parts)


def _delete(obj, message: str) -> None:
    blockers = delete_blockers(obj)
    if blockers:
        raise ValidationError(message % {"name": obj, "what": blockers}, code="protected")
    try:
        with transaction.atomic():
            obj.delete()
    except (ProtectedError, RestrictedError) as exc:  # a row added since the check
        raise ValidationError(message % {"name": obj, "what": "…"}, code="protected") from exc


# Service tiers


# A tier's flags that its billing reads, and the feature each one is sold as: they agree.
TIER_FLAG_FEATURES = {
    "includes_labour": Feature.ALL_INCLUSIVE_SUPPORT.value,
    "after_hours_support": Feature.AFTER_HOURS_SUPPORT.value,
}


def tier_clean_features(features) -> list[str]:
    """Feature codes from SPEC.md's fixed list, without repeats, in the list's order."""
    if not isinstance(features, list | tuple):
        raise ValidationError({"features": _("Give the features as a list of codes.")})
    chosen = {str(code) for code in features}
    unknown = sorted(chosen - set(Feature.values))
    if unknown:
        raise ValidationError(
            {
                "features": _("Unknown feature: %(codes)s. Choose from: %(choices)s.")
                % {"codes": ", ".join(unknown), "choices": ", ".join(Feature.values)}
            }
        )
    return [code for code in Feature.values if code in chosen]


def tier_clean_prices(prices) -> dict[str, Decimal]:
    """{asset kind: amount}: known kinds only, amounts between 0 and the column's limit."""
    if not isinstance(prices, dict):
        raise ValidationError({"prices": _("Give the prices as an object of asset kind to amount.")})
    unknown = sorted(set(prices) - set(AssetKind.values))
    if unknown:
        raise ValidationError(
            {
                "prices": _("Unknown asset kind: %(kinds)s. Use: %(choices)s.")
                % {"kinds": ", ".join(map(str, unknown)), "choices": ", ".join(AssetKind.values)}
            }
        )
    cleaned = {}
    for kind in AssetKind.values:
        if kind not in prices or prices[kind] in (None, ""):
            continue
        try:
            amount = Decimal(str(prices[kind]))
        except ArithmeticError:
            amount = None
        if amount is None or not amount.is_finite():
            raise ValidationError({"prices": _("The price of %(kind)s is not a number.") % {"kind": kind}})
        error = _amount_error(amount)
        if error:
            raise ValidationError({"prices": f"{AssetKind(kind).label}: {error}"})
        cleaned[kind] = amount.quantize(Decimal("0.01"))
    return cleaned


def tier_validate(*, tier: ServiceTier, prices=None) -> None:
    """Every rule of a tier; `prices` ({kind: amount}) when they are being replaced too."""
    errors = _Errors()
    name = (tier.name or "").strip()
    if not name:
        errors.add("name", _("Give the tier a name."))
    currency_error = _currency_error(tier.currency)
    if currency_error:
        errors.add("currency", currency_error)
    elif (
        name
        and ServiceTier.objects.filter(name__iexact=name, currency=tier.currency).exclude(pk=tier.pk).exists()
    ):
        errors.add(
            "name",
            _("A tier named %(name)s already exists in %(currency)s.")
            % {"name": name, "currency": tier.currency},
        )
    if tier.pk and not currency_error:
        old_currency = ServiceTier.objects.filter(pk=tier.pk).values_list("currency", flat=True).first()
        if (
            old_currency
            and old_currency != tier.currency
            and Contract.objects.filter(tier_id=tier.pk).exists()
        ):
            errors.add(
                "currency",
                _(
                    "Contracts billed in %(old)s use this tier, so its currency cannot change. "
                    "Create a tier in %(new)s instead."
                )
                % {"old": old_currency, "new": tier.currency},
            )
    try:
        tier.features = tier_clean_features(tier.features or [])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    else:
        for flag, feature in TIER_FLAG_FEATURES.items():
            if bool(getattr(tier, flag)) != (feature in tier.features):
                errors.add(
                    flag,
                    _("This goes with the feature “%(feature)s”: include both or neither.")
                    % {"feature": Feature(feature).label},
                )
    discount = tier.onsite_discount_percent
    if discount is None or not Decimal(0) <= Decimal(discount) <= Decimal(100):
        errors.add("onsite_discount_percent", _("A discount is between 0 and 100 %."))
    if tier.review_meeting_hours is None or tier.review_meeting_hours < 0:
        errors.add("review_meeting_hours", _("Review meeting hours cannot be negative."))
    for field in ("sla_first_response_minutes", "sla_server_first_response_minutes"):
        value = getattr(tier, field)
        if value is not None and value < 1:
            errors.add(field, _("A response target is at least one minute; leave it empty for none."))
    if prices is not None:
        try:
            tier_clean_prices(prices)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    errors.raise_if_any()


def tier_save(*, tier: ServiceTier, prices=None) -> ServiceTier:
    """Create or update a tier and, when `prices` is given, replace its per-kind prices.

    Prices are always in the tier's currency: if the currency changes, the amounts are
    kept and moved to the new currency with it.
    """
    tier.name = (tier.name or "").strip()
    tier_validate(tier=tier, prices=prices)
    cleaned = tier_clean_prices(prices) if prices is not None else None
    try:
        with transaction.atomic():
            if cleaned is None and tier.pk:
                stale = TierPrice.objects.filter(tier_id=tier.pk).exclude(price_currency=tier.currency)
                if stale.exists():
                    cleaned = {p.kind: p.price.amount for p in TierPrice.objects.filter(tier_id=tier.pk)}
            tier.save()
            if cleaned is not None:
                tier_set_prices(tier=tier, prices=cleaned)
    except IntegrityError as exc:
        raise ValidationError(
            {
                "name": _("A tier named %(name)s already exists in %(currency)s.")
                % {"name": tier.name, "currency": tier.currency}
            }
        ) from exc
    getattr(tier, "_prefetched_objects_cache", {}).pop("prices", None)
    return tier


def tier_delete(*, tier: ServiceTier) -> None:
    """Delete a tier no contract uses (contracts protect their tier)."""
    _delete(tier, _("%(name)s cannot be deleted: it is used by %(what)s. Mark it as not offered instead."))


# À-la-carte services


def recurring_service_validate(*, service: RecurringService) -> None:
    errors = _Errors()
    name = (service.name or "").strip()
    if not name:
        errors.add("name", _("Give the service a name."))
    price = service.price
    currency = price.currency.code if price is not None else None
    if price is None or price.amount is None:
        errors.add("price", _("Give the monthly price."))
    else:
        error = _currency_error(currency) or _amount_error(price.amount)
        if error:
            errors.add("price", error)
        elif (
            name
            and RecurringService.objects.filter(name__iexact=name, price_currency=currency)
            .exclude(pk=service.pk)
            .exists()
        ):
            errors.add(
                "name",
                _("A service named %(name)s already exists in %(currency)s.")
                % {"name": name, "currency": currency},
            )
    if service.unit not in ServiceUnit.values:
        errors.add("unit", _("Charge per device or flat."))
    kinds = service.kinds or []
    unknown = (
        sorted({str(k) for k in kinds} - set(AssetKind.values)) if isinstance(kinds, list | tuple) else ["?"]
    )
    if unknown:
        errors.add(
            "kinds",
            _("Unknown asset kind: %(kinds)s. Use: %(choices)s.")
            % {"kinds": ", ".join(unknown), "choices": ", ".join(AssetKind.values)},
        )
    elif service.unit == ServiceUnit.FLAT:
        service.kinds = []  # a flat fee counts no devices
    elif not kinds:
        errors.add("kinds", _("Choose the asset kinds a per-device service is counted on."))
    else:
        service.kinds = [kind for kind in AssetKind.values if kind in set(kinds)]
    errors.raise_if_any()


def recurring_service_save(*, service: RecurringService) -> RecurringService:
    service.name = (service.name or "").strip()
    recurring_service_validate(service=service)
    try:
        with transaction.atomic():
            service.save()
    except IntegrityError as exc:
        raise ValidationError(
            {"name": _("A service named %(name)s already exists in this currency.") % {"name": service.name}}
        ) from exc
    return service


def recurring_service_delete(*, service: RecurringService) -> None:
    """Offers keep a frozen copy of the services they priced, so deleting one is safe."""
    _delete(service, _("%(name)s cannot be deleted while other records depend on it (%(what)s)."))


# Contracts


def contract_validate(*, contract: Contract) -> None:
    """Every rule of a contract: dates, currency, tier, rates, rounding, auto-renew, and one
    active managed contract per client."""
    errors = _Errors()
    kind, currency = contract.kind, contract.currency
    if kind not in ContractKind.values:
        errors.add("kind", _("Choose managed, prepaid hours or break/fix."))
    if contract.status not in ContractStatus.values:
        errors.add("status", _("Choose active or ended."))
    currency_error = _currency_error(currency)
    if currency_error:
        errors.add("currency", currency_error)
    if contract.start_date is None:
        errors.add("start_date", _("Give the start date."))
    elif contract.end_date is not None and contract.end_date < contract.start_date:
        errors.add("end_date", _("The end date is before the start date."))
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
    if tier is not None and not currency_error and tier.currency != currency:
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
        if not currency_error and money.currency.code != currency:
            errors.add(
                field,
                _("Give this amount in %(currency)s, the contract's currency, not in %(other)s.")
                % {"currency": currency, "other": money.currency.code},
            )
        elif error := _amount_error(money.amount):
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
    _delete(
        contract, _("%(name)s cannot be deleted while other records depend on it (%(what)s). End it instead.")
    )
