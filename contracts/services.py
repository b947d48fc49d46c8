"""Writes of the sales side: seeding tiers, building and deciding offers, contracts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from djmoney.money import Money

from assets.choices import AssetKind
from contracts.choices import ContractKind, ContractStatus, Feature, OfferStatus
from contracts.models import Contract, Offer, OfferOption, RecurringService, ServiceTier, TierPrice
from contracts.pricing import price_tier

# The seeds of SPEC.md: cable-TV pricing, the basic tier thin, the value in the upper tiers.
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
                defaults={"tenant_id": tier.tenant_id, "price": Money(Decimal(amount), tier.currency)},
            )


def offer_tiers(*, currency: str):
    """The tiers an offer in this currency shows, with their prices, thin first."""
    return ServiceTier.objects.filter(is_active=True, currency=currency).prefetch_related("prices")


def offer_services(*, currency: str):
    return RecurringService.objects.filter(is_active=True, price_currency=currency)


@transaction.atomic
def offer_create(
    *,
    by,
    client,
    quantities: dict[str, int],
    discount_percent: Decimal = Decimal("0"),
    hour_block_minutes: int = 0,
    hour_block_price: Decimal | None = None,
    recommended_tier: ServiceTier | None = None,
    service_quantities: dict[int, int] | None = None,
    title: str = "",
    notes: str = "",
    valid_until: date | None = None,
) -> Offer:
    """Save an offer with a frozen snapshot of every tier's prices for these quantities."""
    currency = client.currency
    _validate_offer_terms(
        quantities=quantities, discount_percent=discount_percent, hour_block_minutes=hour_block_minutes
    )
    tiers = list(offer_tiers(currency=currency))
    if not tiers:
        raise ValidationError(
            _("There are no service tiers priced in %(currency)s, the currency this client is billed in.")
            % {"currency": currency}
        )
    if recommended_tier is not None and recommended_tier not in tiers:
        raise ValidationError({"recommended_tier": _("Recommend one of the tiers offered.")})
    if hour_block_minutes and hour_block_price is None:
        raise ValidationError({"hour_block_price": _("Give the price of the prepaid hours.")})
    services = list(offer_services(currency=currency))
    offer = Offer.objects.create(
        tenant_id=client.tenant_id,
        client=client,
        title=title,
        currency=currency,
        discount_percent=discount_percent,
        hour_block_minutes=hour_block_minutes,
        hour_block_price=Money(hour_block_price, currency) if hour_block_minutes else None,
        recommended_tier=recommended_tier,
        notes=notes,
        valid_until=valid_until,
        created_by=by,
    )
    options = []
    for position, tier in enumerate(tiers):
        priced = price_tier(
            tier=tier,
            quantities=quantities,
            discount_percent=discount_percent,
            services=services,
            service_quantities=service_quantities,
        )
        options.append(
            OfferOption(
                tenant_id=client.tenant_id,
                offer=offer,
                tier=tier,
                name=tier.name,
                position=position,
                features=list(tier.features),
                includes_labour=tier.includes_labour,
                onsite_discount_percent=tier.onsite_discount_percent,
                lines=[line.snapshot() for line in priced.lines],
                monthly_total=priced.monthly_total,
            )
        )
    OfferOption.objects.bulk_create(options)
    return offer


def _validate_offer_terms(*, quantities, discount_percent, hour_block_minutes) -> None:
    errors = {}
    unknown = set(quantities) - set(AssetKind.values)
    if unknown:
        errors["quantities"] = _("Unknown asset kind: %(kinds)s.") % {"kinds": ", ".join(sorted(unknown))}
    elif any(int(n) < 0 or int(n) > 100_000 for n in quantities.values()):
        errors["quantities"] = _("Quantities must be between 0 and 100,000.")
    if not Decimal(0) <= Decimal(discount_percent) <= Decimal(100):
        errors["discount_percent"] = _("A discount is between 0 and 100 %.")
    if hour_block_minutes < 0 or hour_block_minutes > 1000 * 60:
        errors["hour_block_minutes"] = _("Prepaid hours must be between 0 and 1,000 hours.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def offer_send(*, offer: Offer, by) -> Offer:
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if not offer.is_open:
        raise ValidationError(
            _("This offer was already %(status)s.") % {"status": offer.get_status_display().lower()}
        )
    offer.status = OfferStatus.SENT
    offer.sent_at = timezone.now()
    offer.save(update_fields=["status", "sent_at"])
    return offer


@transaction.atomic
def offer_accept(*, offer: Offer, option: OfferOption, by, start_date: date | None = None) -> Contract:
    """Accept one option: exactly one managed contract, once. The offer row is locked so two
    clicks (or a contact and the account manager at once) cannot both accept it."""
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if not offer.is_open:
        raise ValidationError(
            _("This offer was already %(status)s; it cannot be accepted again.")
            % {"status": offer.get_status_display().lower()}
        )
    if option.offer_id != offer.pk:
        raise ValidationError({"tier": _("Choose one of this offer's options.")})
    client = offer.client
    existing = Contract.objects.filter(
        client=client, kind=ContractKind.MANAGED, status=ContractStatus.ACTIVE
    ).first()
    if existing is not None:
        raise ValidationError(
            _(
                "%(client)s already has an active managed contract (%(contract)s): end it before accepting a new one."
            )
            % {"client": client, "contract": existing}
        )
    contract = Contract.objects.create(
        tenant_id=offer.tenant_id,
        client=client,
        kind=ContractKind.MANAGED,
        name=f"{option.name} · {client.name}",
        tier=option.tier,
        offer=offer,
        start_date=start_date or timezone.localdate(),
        currency=offer.currency,
        monthly_fee=option.monthly_total,
        lines=option.lines,
        includes_labour=option.includes_labour,
    )
    if offer.hour_block_minutes:
        Contract.objects.create(
            tenant_id=offer.tenant_id,
            client=client,
            kind=ContractKind.PREPAID_HOURS,
            name=_("Prepaid hours · %(client)s") % {"client": client.name},
            start_date=contract.start_date,
            currency=offer.currency,
            auto_renew=True,
            renew_block_minutes=offer.hour_block_minutes,
            renew_block_price=offer.hour_block_price,
            renew_threshold_minutes=offer.hour_block_minutes // 2,
        )
    offer.status = OfferStatus.ACCEPTED
    offer.accepted_option = option
    offer.decided_at = timezone.now()
    offer.decided_by = by
    offer.save(update_fields=["status", "accepted_option", "decided_at", "decided_by"])
    return contract


@transaction.atomic
def offer_decline(*, offer: Offer, by) -> Offer:
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if not offer.is_open:
        raise ValidationError(
            _("This offer was already %(status)s.") % {"status": offer.get_status_display().lower()}
        )
    offer.status = OfferStatus.DECLINED
    offer.decided_at = timezone.now()
    offer.decided_by = by
    offer.save(update_fields=["status", "decided_at", "decided_by"])
    return offer
