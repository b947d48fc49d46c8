"""Writes of offers: build (frozen snapshot), send, accept once, decline, delete."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from djmoney.money import Money

from assets.choices import AssetKind
from contracts.choices import ContractKind, ContractStatus
from contracts.models import Contract, RecurringService, ServiceTier
from msp.locking import lock_row
from msp.models import Contact
from sales.choices import OfferStatus
from sales.models import Offer, OfferOption
from sales.pricing import price_tier


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
    offer = Offer(tenant_id=client.tenant_id, client=client, currency=client.currency, created_by=by)
    return _offer_write(
        offer,
        quantities=quantities,
        discount_percent=discount_percent,
        hour_block_minutes=hour_block_minutes,
        hour_block_price=hour_block_price,
        recommended_tier=recommended_tier,
        service_quantities=service_quantities,
        title=title,
        notes=notes,
        valid_until=valid_until,
    )


@transaction.atomic
def offer_update(
    *,
    offer: Offer,
    by,
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
    """Change a draft with the builder: its terms, and every option priced again at today's
    prices (a draft was never shown to the client, so nothing it promised changes). A sent
    offer is part of the client's history: duplicate it instead."""
    offer = lock_row(Offer.objects, pk=offer.pk)
    if offer.status != OfferStatus.DRAFT:
        raise _closed_error(
            offer,
            _("Only a draft offer can be edited; this one was already %(status)s. Duplicate it instead."),
        )
    offer.options.all().delete()
    return _offer_write(
        offer,
        quantities=quantities,
        discount_percent=discount_percent,
        hour_block_minutes=hour_block_minutes,
        hour_block_price=hour_block_price,
        recommended_tier=recommended_tier,
        service_quantities=service_quantities,
        title=title,
        notes=notes,
        valid_until=valid_until,
    )


def _offer_write(
    offer: Offer,
    *,
    quantities,
    discount_percent,
    hour_block_minutes,
    hour_block_price,
    recommended_tier,
    service_quantities,
    title,
    notes,
    valid_until,
) -> Offer:
    currency = offer.currency
    _validate_offer_terms(
        quantities=quantities,
        discount_percent=discount_percent,
        hour_block_minutes=hour_block_minutes,
        hour_block_price=hour_block_price,
        valid_until=valid_until,
        service_quantities=service_quantities or {},
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
    unknown = sorted(set(service_quantities or {}) - {service.pk for service in services})
    if unknown:
        # Dropped silently, the offer would be made without what the caller asked for.
        raise ValidationError(
            {
                "services": _("No active service priced in %(currency)s has the id %(ids)s.")
                % {"currency": currency, "ids": ", ".join(str(pk) for pk in unknown[:10])}
            }
        )
    offer.title = title
    offer.discount_percent = discount_percent
    offer.hour_block_minutes = hour_block_minutes
    offer.hour_block_price = Money(hour_block_price, currency) if hour_block_minutes else None
    offer.recommended_tier = recommended_tier
    offer.notes = notes
    offer.valid_until = valid_until
    offer.save()
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
                tenant_id=offer.tenant_id,
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


OFFER_VALID_DAYS = 30


@transaction.atomic
def offer_duplicate(*, offer: Offer, by) -> Offer:
    """A new draft with the same terms and frozen options as any offer (sent, decided or a
    draft): the starting point of a revised proposal. An expiry already past moves to 30 days
    from today; edit the copy to price it again."""
    today = timezone.localdate()
    valid_until = offer.valid_until
    if valid_until is not None and valid_until < today:
        valid_until = today + timedelta(days=OFFER_VALID_DAYS)
    copy = Offer.objects.create(
        tenant_id=offer.tenant_id,
        client_id=offer.client_id,
        title=offer.title,
        currency=offer.currency,
        discount_percent=offer.discount_percent,
        hour_block_minutes=offer.hour_block_minutes,
        hour_block_price=offer.hour_block_price,
        recommended_tier_id=offer.recommended_tier_id,
        notes=offer.notes,
        valid_until=valid_until,
        created_by=by,
    )
    OfferOption.objects.bulk_create(
        [
            OfferOption(
                tenant_id=option.tenant_id,
                offer=copy,
                tier_id=option.tier_id,
                name=option.name,
                position=option.position,
                features=list(option.features),
                includes_labour=option.includes_labour,
                onsite_discount_percent=option.onsite_discount_percent,
                lines=[dict(line) for line in option.lines],
                monthly_total=option.monthly_total,
            )
            for option in offer.options.order_by("position", "pk")
        ]
    )
    return copy


def offer_terms(offer: Offer, options) -> dict:
    """What the builder's form says for a saved offer: the quantities its options were priced
    for (every option holds the same ones), its terms and its text."""
    quantities: dict[str, int] = {}
    service_quantities: dict[int, int] = {}
    for option in options:
        for line in option.lines:
            if "kind" in line:
                quantities[line["kind"]] = int(line["quantity"])
            elif "service" in line:
                service_quantities[int(line["service"])] = int(line["quantity"])
    return {
        "quantities": quantities,
        "service_quantities": service_quantities,
        "discount_percent": offer.discount_percent,
        "hour_block_minutes": offer.hour_block_minutes,
        "hour_block_price": offer.hour_block_price.amount if offer.hour_block_price is not None else None,
        "recommended_tier": offer.recommended_tier,
        "title": offer.title,
        "notes": offer.notes,
        "valid_until": offer.valid_until,
    }


def _validate_offer_terms(
    *,
    quantities,
    discount_percent,
    hour_block_minutes,
    hour_block_price=None,
    valid_until=None,
    service_quantities=None,
) -> None:
    errors = {}
    unknown = set(quantities) - set(AssetKind.values)
    if unknown:
        errors["quantities"] = _("Unknown asset kind: %(kinds)s.") % {"kinds": ", ".join(sorted(unknown))}
    elif any(int(n) < 0 or int(n) > 100_000 for n in quantities.values()):
        errors["quantities"] = _("Quantities must be between 0 and 100,000.")
    if any(int(n) < 0 or int(n) > 100_000 for n in (service_quantities or {}).values()):
        errors["service_quantities"] = _("Quantities must be between 0 and 100,000.")
    if not Decimal(0) <= Decimal(discount_percent) <= Decimal(100):
        errors["discount_percent"] = _("A discount is between 0 and 100 %.")
    if hour_block_minutes < 0 or hour_block_minutes > 1000 * 60:
        errors["hour_block_minutes"] = _("Prepaid hours must be between 0 and 1,000 hours.")
    if hour_block_price is not None and Decimal(hour_block_price) < 0:
        errors["hour_block_price"] = _("A price cannot be negative.")
    if valid_until is not None and valid_until < timezone.localdate():
        errors["valid_until"] = _("The offer cannot expire in the past.")
    if errors:
        raise ValidationError(errors)


# The code of the error raised when an offer was already decided: the API answers 409.
OFFER_CLOSED = "offer_closed"


def _closed_error(offer: Offer, message: str) -> ValidationError:
    return ValidationError(message % {"status": offer.get_status_display().lower()}, code=OFFER_CLOSED)


@transaction.atomic
def offer_delete(*, offer: Offer) -> None:
    """Only a draft can be deleted: a sent offer is part of the client's history."""
    offer = lock_row(Offer.objects, pk=offer.pk)
    if offer.status != OfferStatus.DRAFT:
        raise _closed_error(offer, _("Only a draft offer can be deleted; this one was already %(status)s."))
    offer.options.all().delete()
    offer.delete()


@dataclass(frozen=True)
class OfferSent:
    offer: Offer
    recipients: list  # the contacts it was emailed to


def offer_recipients_default(offer: Offer) -> list:
    """Who an offer goes to when nobody is named: its client's contacts with an email."""
    return list(Contact.objects.filter(client_id=offer.client_id).exclude(email="").order_by("name", "pk"))


@transaction.atomic
def offer_send(*, offer: Offer, by, contacts=None, base_url: str = "", message: str = "") -> OfferSent:
    """Mark the offer sent and, once the transaction commits, email it (PDF attached, with a
    link to the portal) to these contacts of its client; with none named (None), to every
    contact of the client that has an email. An empty list marks it sent without email.
    Sending again re-sends it."""
    offer = lock_row(Offer.objects, pk=offer.pk)
    if not offer.is_open:
        raise _closed_error(offer, _("This offer was already %(status)s."))
    if contacts is None:
        contacts = offer_recipients_default(offer)
        if not contacts:
            raise ValidationError(
                {
                    "contacts": _("%(client)s has no contact with an email address: add one, then send.")
                    % {"client": offer.client}
                }
            )
    contacts = list(contacts)
    strangers = [c for c in contacts if c.client_id != offer.client_id]
    if strangers:
        raise ValidationError(
            {"contacts": _("Send the offer only to contacts of %(client)s.") % {"client": offer.client}}
        )
    without_email = [c.name for c in contacts if not c.email]
    if without_email:
        raise ValidationError(
            {
                "contacts": _("These contacts have no email address: %(names)s.")
                % {"names": ", ".join(without_email)}
            }
        )
    offer.status = OfferStatus.SENT
    offer.sent_at = timezone.now()
    offer.save(update_fields=["status", "sent_at"])
    if contacts:
        from sales.tasks import offer_send_task  # tasks import services: import late

        contact_ids = [c.pk for c in contacts]
        transaction.on_commit(
            lambda: offer_send_task.delay(
                offer.tenant_id, offer.pk, contact_ids, base_url=base_url, message=message
            )
        )
    return OfferSent(offer=offer, recipients=contacts)


@transaction.atomic
def offer_accept(*, offer: Offer, option: OfferOption, by, start_date: date | None = None) -> Contract:
    """Accept one option: exactly one managed contract, once. The offer row is locked so two
    clicks (or a contact and the account manager at once) cannot both accept it."""
    offer = lock_row(Offer.objects, pk=offer.pk)
    if not offer.is_open:
        raise _closed_error(offer, _("This offer was already %(status)s; it cannot be accepted again."))
    if option.offer_id != offer.pk:
        raise ValidationError({"tier": _("Choose one of this offer's options.")})
    if offer.valid_until and offer.valid_until < timezone.localdate():
        raise ValidationError(
            _("This offer expired on %(date)s; ask for a new one.")
            % {"date": date_format(offer.valid_until, "DATE_FORMAT")}
        )
    client = offer.client
    start = start_date or timezone.localdate()
    # An upgrade or a downgrade: the current managed contract ends the day before the new one
    # starts (billing prorates both tiers by day, never one day twice), or on its first day
    # when it started that very day.
    existing = (
        Contract.objects.select_for_update()
        .filter(client=client, kind=ContractKind.MANAGED, status=ContractStatus.ACTIVE)
        .first()
    )
    if existing is not None:
        if existing.start_date > start:
            raise ValidationError(
                _("%(contract)s starts on %(date)s: the new contract cannot start before it.")
                % {"contract": existing, "date": date_format(existing.start_date, "DATE_FORMAT")}
            )
        existing.status = ContractStatus.ENDED
        existing.end_date = max(existing.start_date, start - timedelta(days=1))
        existing.save(update_fields=["status", "end_date"])
    rates = contract_rates(tenant=offer.tenant, currency=offer.currency)
    contract = Contract.objects.create(
        tenant_id=offer.tenant_id,
        client=client,
        kind=ContractKind.MANAGED,
        name=f"{option.name} · {client.name}",
        tier=option.tier,
        start_date=start,
        currency=offer.currency,
        monthly_fee=option.monthly_total,
        lines=option.lines,
        includes_labour=option.includes_labour,
        hourly_rate=rates,
        overage_rate=rates,
    )
    contract.replaced = existing
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
    offer.contract = contract
    offer.save(update_fields=["status", "accepted_option", "decided_at", "decided_by", "contract"])
    return contract


def contract_rates(*, tenant, currency: str):
    """The hourly and overage rate of a contract an offer creates. A tier stores no rate of
    its own, so the contract takes the tenant's break/fix rate, when it is in the offer's
    currency (else none: set it on the contract)."""
    rate = tenant.default_hourly_rate
    if rate is None or str(rate.currency) != currency:
        return None
    return rate


@transaction.atomic
def offer_decline(*, offer: Offer, by) -> Offer:
    offer = lock_row(Offer.objects, pk=offer.pk)
    if not offer.is_open:
        raise _closed_error(offer, _("This offer was already %(status)s."))
    offer.status = OfferStatus.DECLINED
    offer.decided_at = timezone.now()
    offer.decided_by = by
    offer.save(update_fields=["status", "decided_at", "decided_by"])
    return offer


# --- Catalogue and contracts: the rules the browser forms and the API share ---------------
#
# `<entity>_validate` raises a ValidationError keyed by field (NON_FIELD_ERRORS for the
# object as a whole) and writes nothing; `<entity>_save` validates, then writes in one
# transaction, turning a race the checks could not see (an IntegrityError) into the same
# clear error. Forms call the validators from `_post_clean`, serializers from `validate`.

# MoneyField(max_digits=14, decimal_places=2)
