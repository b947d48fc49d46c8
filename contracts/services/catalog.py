"""Writes of the catalogue: seeded tiers, SLA calendars and policies, tier and service rules."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from djmoney.money import Money

from assets.choices import AssetKind
from audit.registry import created_record
from contracts.calendars import country_for_timezone
from contracts.choices import Feature, ServiceUnit
from contracts.models import BusinessCalendar, Contract, RecurringService, ServiceTier, SlaPolicy, TierPrice
from contracts.services.common import Errors, amount_error, currency_error, delete_or_explain
from contracts.services.sla import holidays_merge, preload_years
from msp.scoping import scoped_by

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
SEED_SERVICES = [  # named in the tenant's language when seeded (tenant_created)
    (gettext_lazy("Backup monitoring"), ["server", "desktop", "laptop"], "15"),
    (gettext_lazy("Antivirus"), ["server", "desktop", "laptop"], "5"),
]


@transaction.atomic
@scoped_by("tenant")
def tiers_seed(*, tenant) -> list[ServiceTier]:
    """Give a new tenant Silver/Gold/Platinum and two à-la-carte services (idempotent)."""
    currency = tenant.default_currency
    tiers = []
    for position, seed in enumerate(SEED_TIERS):
        tier, created = ServiceTier.objects.get_or_create(
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
            prices = TierPrice.objects.bulk_create(
                TierPrice(tenant=tenant, tier=tier, kind=kind, price=Money(Decimal(amount), currency))
                for kind, amount in seed["prices"].items()
            )
            created_record(prices)  # bulk_create sends no signals: the audit trail, in one INSERT
        tiers.append(tier)
    for name, kinds, amount in SEED_SERVICES:
        RecurringService.objects.get_or_create(
            tenant=tenant,
            name=str(name),
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
        error = amount_error(amount)
        if error:
            raise ValidationError({"prices": f"{AssetKind(kind).label}: {error}"})
        cleaned[kind] = amount.quantize(Decimal("0.01"))
    return cleaned


def tier_validate(*, tier: ServiceTier, prices=None) -> None:
    """Every rule of a tier; `prices` ({kind: amount}) when they are being replaced too."""
    errors = Errors()
    name = (tier.name or "").strip()
    if not name:
        errors.add("name", _("Give the tier a name."))
    currency_problem = currency_error(tier.currency)
    if currency_problem:
        errors.add("currency", currency_problem)
    elif (
        name
        and ServiceTier.objects.filter(name__iexact=name, currency=tier.currency).exclude(pk=tier.pk).exists()
    ):
        errors.add(
            "name",
            _("A tier named %(name)s already exists in %(currency)s.")
            % {"name": name, "currency": tier.currency},
        )
    if tier.pk and not currency_problem:
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
    delete_or_explain(
        tier, _("%(name)s cannot be deleted: it is used by %(what)s. Mark it as not offered instead.")
    )


# À-la-carte services


def recurring_service_validate(*, service: RecurringService) -> None:
    errors = Errors()
    name = (service.name or "").strip()
    if not name:
        errors.add("name", _("Give the service a name."))
    price = service.price
    currency = price.currency.code if price is not None else None
    if price is None or price.amount is None:
        errors.add("price", _("Give the monthly price."))
    else:
        error = currency_error(currency) or amount_error(price.amount)
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
    delete_or_explain(service, _("%(name)s cannot be deleted while other records depend on it (%(what)s)."))


# SLA calendars and policies: a new tenant's defaults. Idempotent: running it twice changes
# nothing; tiers that already have a policy keep it.

DEFAULT_HOURS = {str(day): [["09:00", "18:00"]] for day in range(5)}  # Mon-Fri 09:00-18:00

# Business minutes: (response, resolution) per priority; server overrides of the response.
SEED_POLICIES = {
    "Silver": {
        "targets": {"P1": (240, 960), "P2": (480, 1440), "P3": (960, 2880), "P4": (1440, 4320)},
        "server": {"P1": 120, "P2": 240},
    },
    "Gold": {
        "targets": {"P1": (120, 480), "P2": (240, 960), "P3": (480, 1920), "P4": (960, 2880)},
        "server": {"P1": 60, "P2": 120},
    },
    # SPEC's Platinum: first response within 2 h, 1 h for servers.
    "Platinum": {
        "targets": {"P1": (120, 240), "P2": (120, 480), "P3": (120, 960), "P4": (120, 1920)},
        "server": {"P1": 60, "P2": 60, "P3": 60, "P4": 60},
    },
}
DEFAULT_POLICY = {
    "targets": {"P1": (240, 960), "P2": (480, 1440), "P3": (960, 2880), "P4": (1440, 4320)},
    "server": {},
}


def _targets(seed) -> dict:
    return {p: {"response": r, "resolution": s} for p, (r, s) in seed["targets"].items()}


def _overrides(seed) -> dict:
    if not seed["server"]:
        return {}
    return {"server": {p: {"response": minutes} for p, minutes in seed["server"].items()}}


@scoped_by("tenant")
@transaction.atomic
def sla_seed(*, tenant) -> SlaPolicy:
    """Give a tenant a Mon-Fri 09:00-18:00 calendar in its time zone (its country's national
    holidays preloaded), policies per tier, a default."""
    calendar = BusinessCalendar.objects.order_by("pk").first()
    if calendar is None:
        # The country of the tenant's zone, with its national holidays this year and next.
        country = country_for_timezone(tenant.timezone)
        calendar = BusinessCalendar.objects.create(
            tenant=tenant,
            name=_("Office hours"),
            timezone=tenant.timezone,
            hours=DEFAULT_HOURS,
            country=country,
            holidays=holidays_merge([], country, preload_years()),
        )
    default = SlaPolicy.objects.filter(is_default=True).first()
    if default is None:
        default = SlaPolicy.objects.create(
            tenant=tenant,
            name=_("Standard"),
            calendar=calendar,
            targets=_targets(DEFAULT_POLICY),
            kind_overrides=_overrides(DEFAULT_POLICY),
            is_default=True,
        )
    for tier in ServiceTier.objects.filter(sla_policy__isnull=True, name__in=SEED_POLICIES):
        seed = SEED_POLICIES[tier.name]
        policy, _created = SlaPolicy.objects.get_or_create(
            tenant=tenant,
            name=f"{tier.name} SLA",
            defaults={"calendar": calendar, "targets": _targets(seed), "kind_overrides": _overrides(seed)},
        )
        tier.sla_policy = policy
        tier.save(update_fields=["sla_policy"])
    return default
