"""Reads of offers (the browser, the portal and the API share them)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from contracts.choices import ContractKind, ContractStatus
from contracts.models import Contract
from msp.models import Contact
from msp.selectors import client_address
from sales.choices import OfferStatus
from sales.models import Offer, OfferOption


def offer_list() -> QuerySet[Offer]:
    """Offers in the active scope, with what a list row shows (constant queries)."""
    return Offer.objects.select_related("client", "recommended_tier", "accepted_option")


def offer_detail_list() -> QuerySet[Offer]:
    """Offers with everything one offer's page shows: its client, decision, contract and
    frozen options (one query plus one for the options)."""
    return Offer.objects.select_related(
        "client", "recommended_tier", "accepted_option", "created_by", "decided_by", "contract"
    ).prefetch_related(Prefetch("options", queryset=OfferOption.objects.select_related("tier")))


def offer_api_list() -> QuerySet[Offer]:
    """Offers as the API shows them (the ids of what they point to, and their frozen options):
    one query plus one for the options, read into a list (`Offer.option_list`). The options
    through `offer.options.all()` would cost a queryset built per offer (~0.1 ms each)."""
    return Offer.objects.prefetch_related(Prefetch("options", to_attr="option_list"))


def offers_sent_list(queryset: QuerySet[Offer] | None = None) -> QuerySet[Offer]:
    """What a client contact may see: offers sent to them, never drafts."""
    return (queryset if queryset is not None else Offer.objects.all()).exclude(status=OfferStatus.DRAFT)


def offer_contract(offer: Offer):
    """The contract an accepted offer created, or None (loaded with the offer by
    offer_detail_list, else one query)."""
    return offer.contract


def offer_replaces(offer: Offer) -> Contract | None:
    """The client's active managed contract that accepting this offer would end (an upgrade
    or a downgrade), or None."""
    return client_managed_contract(offer.client)


def client_managed_contract(client) -> Contract | None:
    return (
        Contract.objects.filter(client=client, kind=ContractKind.MANAGED, status=ContractStatus.ACTIVE)
        .select_related("tier")
        .first()
    )


@dataclass(frozen=True)
class OfferParties:
    """Who an offer is between: the MSP's identity and the client's contact and address."""

    tenant: object
    client: object
    contact: Contact | None
    address: str


def offer_parties(offer: Offer, tenant=None) -> OfferParties:
    """The client's contact (one with portal access first, then any with an email) and
    address (its first site's): two queries, whatever the client's size."""
    contact = (
        Contact.objects.filter(client_id=offer.client_id)
        .exclude(email="")
        .order_by("-portal_access", "name", "pk")
        .first()
    )
    return OfferParties(
        tenant=tenant or offer.tenant,
        client=offer.client,
        contact=contact,
        address=client_address(offer.client_id),
    )
