"""Offers in the browser: the tiered builder with live totals, the saved offer, its PDF,
sending it, and deciding on the client's behalf.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View
from django.views.generic.detail import SingleObjectMixin
from djmoney.money import Money

from assets.selectors import asset_counts_by_kind
from msp.models import Client
from msp.selectors import client_list
from msp.views.base import ResourceMixin, TenantDeleteView, TenantDetailView, TenantListView
from msp.views.once import OnceOnlyMixin
from sales.choices import OfferStatus
from sales.columns import columns_from_offer, columns_from_pricing, with_tax
from sales.forms import OfferBuilderForm, OfferSendForm
from sales.models import Offer
from sales.pdf import offer_pdf_response
from sales.pricing import price_tier
from sales.selectors import (
    client_managed_contract,
    offer_contract,
    offer_detail_list,
    offer_list,
    offer_parties,
    offer_replaces,
)
from sales.services import (
    offer_accept,
    offer_create,
    offer_decline,
    offer_delete,
    offer_duplicate,
    offer_send,
    offer_services,
    offer_terms,
    offer_tiers,
    offer_update,
)


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def client_or_404(value) -> Client:
    pk = _int_or_none(value)
    if pk is None:
        raise Http404
    return get_object_or_404(Client.objects.all(), pk=pk)


def hour_block_of(*, minutes: int, price) -> dict | None:
    if not minutes:
        return None
    return {"hours": minutes // 60, "minutes": minutes, "price": price}


# --- List -------------------------------------------------------------------------------


class OfferListView(TenantListView):
    model = Offer
    template_name = "sales/offers/list.html"

    def get_queryset(self):
        params = self.request.GET
        self.search = params.get("q", "").strip()
        self.status = params.get("status", "") if params.get("status") in OfferStatus.values else ""
        self.client_id = _int_or_none(params.get("client"))
        queryset = offer_list()
        if self.search:
            queryset = queryset.filter(
                Q(title__icontains=self.search) | Q(client__name__icontains=self.search)
            )
        if self.status:
            queryset = queryset.filter(status=self.status)
        if self.client_id:
            queryset = queryset.filter(client_id=self.client_id)
        return queryset.order_by("-created_at", "-pk")

    partial_template_name = "sales/offers/_table.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            search=self.search,
            status=self.status,
            client_id=self.client_id,
            statuses=OfferStatus.choices,
            clients=Client.objects.order_by("name").only("pk", "name"),
            **kwargs,
        )


# --- Builder ----------------------------------------------------------------------------


class OfferBuilderView(ResourceMixin, OnceOnlyMixin, View):
    """/offers/new/?client=<id>: the tiers side by side, priced from the client's inventory.

    Without a client it lists the clients to pick from. Loading costs a fixed number of
    queries: the client, one aggregate of asset counts, the tiers with their prices, and
    the à-la-carte services.
    """

    model = Offer
    action = "add"
    template_name = "sales/offers/builder.html"
    offer = None  # the draft being edited (OfferUpdateView)

    def load(self, client_value):
        self.client = client_or_404(client_value)
        self.tiers = list(offer_tiers(currency=self.client.currency))
        self.services = list(offer_services(currency=self.client.currency))
        self.inventory = asset_counts_by_kind(client=self.client)

    def get_form(self, data=None) -> OfferBuilderForm:
        return OfferBuilderForm(
            data,
            client=self.client,
            tiers=self.tiers,
            services=self.services,
            inventory=self.inventory,
            initial=self.get_initial(),
        )

    def get_initial(self) -> dict:
        return {}

    def get(self, request):
        if not request.GET.get("client"):
            return self.pick_client(request)
        self.load(request.GET["client"])
        return self.render_builder(self.get_form())

    def post(self, request):
        self.load(request.POST.get("client") or request.GET.get("client"))
        form = self.get_form(request.POST)
        if form.is_valid():
            try:
                offer = offer_create(by=request.user, client=self.client, **form.terms())
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    _("The offer was saved with today's prices. Download the PDF or send it to %(client)s.")
                    % {"client": self.client.name},
                )
                request.once_created_url = offer.get_absolute_url()
                return redirect(offer)
        return self.render_builder(form)

    def context(self, form) -> dict:
        columns = price_columns(
            form, tiers=self.tiers, services=self.services, tax_rate=self.request.membership.tenant.tax_rate
        )
        terms = form.terms() if columns is not None else {}
        return {
            "client": self.client,
            "offer": self.offer,
            "form_action": (
                reverse("offers:update", args=[self.offer.pk])
                if self.offer is not None
                else f"{reverse('offers:create')}?client={self.client.pk}"
            ),
            # An upgrade or downgrade: the builder says so before the offer is sent.
            "replaces": client_managed_contract(self.client),
            "form": form,
            "tiers": self.tiers,
            "inventory": self.inventory,
            "columns": columns,
            "hour_block": hour_block_of(
                minutes=terms.get("hour_block_minutes", 0), price=_money(terms, self.client.currency)
            ),
            "pricing_errors": _flat_errors(form) if columns is None else [],
        }

    def render_builder(self, form):
        return render(self.request, self.template_name, self.context(form))

    def pick_client(self, request):
        search = request.GET.get("q", "").strip()
        clients = client_list(search=search).annotate(asset_count=Count("assets")).order_by("name", "pk")
        context = {"clients": clients[:50], "search": search}
        if request.htmx and not request.htmx.boosted:
            return render(request, "sales/offers/_client_picker.html", context)
        return render(request, "sales/offers/pick_client.html", context)


class OfferUpdateView(OfferBuilderView):
    """/offers/<id>/edit/: the same builder, for a draft; every option is priced again."""

    action = "change"

    def load_offer(self, pk):
        self.offer = get_object_or_404(offer_detail_list(), pk=pk)
        self.load(self.offer.client_id)
        return self.offer.status == OfferStatus.DRAFT

    def get_initial(self) -> dict:
        terms = offer_terms(self.offer, self.offer.options.all())
        initial = {f"qty_{kind}": 0 for kind in self.inventory} | {
            f"qty_{kind}": count for kind, count in terms["quantities"].items()
        }
        initial |= {f"svc_{pk}": count for pk, count in terms["service_quantities"].items()}
        tier = terms["recommended_tier"]
        return initial | {
            "discount_percent": terms["discount_percent"],
            "hour_block_hours": terms["hour_block_minutes"] // 60,
            "hour_block_price": terms["hour_block_price"],
            "recommended_tier": str(tier.pk) if tier else "",
            "title": terms["title"],
            "notes": terms["notes"],
            "valid_until": terms["valid_until"],
        }

    def get(self, request, pk):
        if not self.load_offer(pk):
            return self.not_a_draft()
        return self.render_builder(self.get_form())

    def post(self, request, pk):
        if not self.load_offer(pk):
            return self.not_a_draft()
        form = self.get_form(request.POST)
        if form.is_valid():
            try:
                offer = offer_update(offer=self.offer, by=request.user, **form.terms())
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("The offer was saved, priced again with today's prices."))
                return redirect(offer)
        return self.render_builder(form)

    def not_a_draft(self):
        messages.error(
            self.request,
            _("Only a draft offer can be edited; this one was already %(status)s. Duplicate it instead.")
            % {"status": self.offer.get_status_display().lower()},
        )
        return redirect(self.offer)


class OfferPriceView(OfferBuilderView):
    """POST the builder's form: answers the tier columns with their totals. Saves nothing."""

    once_only = False  # the builder's token is the save's, not the prices'

    http_method_names = ["post"]

    def post(self, request):
        self.load(request.POST.get("client"))
        return render(request, "sales/offers/_columns.html", self.context(self.get_form(request.POST)))


def _money(terms: dict, currency: str):
    price = terms.get("hour_block_price")
    return Money(price, currency) if price is not None else None


def _flat_errors(form) -> list[str]:
    errors = []
    for name, field_errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        errors += [f"{label}: {message}" if label else message for message in field_errors]
    return errors


def price_columns(form: OfferBuilderForm, *, tiers, services, tax_rate=None):
    """The columns for what the form says now, or None while it has errors."""
    if form.is_bound and not form.is_valid():
        return None
    terms = form.terms()
    priced = [
        price_tier(
            tier=tier,
            quantities=terms["quantities"],
            discount_percent=terms["discount_percent"],
            services=services,
            service_quantities=terms["service_quantities"],
        )
        for tier in tiers
    ]
    recommended = terms["recommended_tier"]
    columns = columns_from_pricing(
        tiers=tiers, priced=priced, recommended_tier_id=recommended.pk if recommended else None
    )
    return with_tax(columns, tax_rate) if tax_rate is not None else columns


# --- One offer --------------------------------------------------------------------------


class OfferDetailView(TenantDetailView):
    model = Offer
    template_name = "sales/offers/detail.html"

    def get_queryset(self):
        return offer_detail_list()

    def get_context_data(self, **kwargs):
        offer = self.object
        tenant = self.request.membership.tenant
        return super().get_context_data(
            columns=with_tax(columns_from_offer(offer, offer.options.all()), tenant.tax_rate),
            parties=offer_parties(offer, tenant),
            contract=offer_contract(offer),
            hour_block=hour_block_of(minutes=offer.hour_block_minutes, price=offer.hour_block_price),
            can_send=offer.is_open and self.has_perm("offer.send"),
            can_decide=offer.is_open and self.has_perm("offer.decide"),
            can_delete=offer.status == OfferStatus.DRAFT and self.has_perm("offer.delete"),
            can_edit=offer.status == OfferStatus.DRAFT and self.has_perm("offer.change"),
            can_duplicate=self.has_perm("offer.add"),
            replaces=offer_replaces(offer) if offer.is_open else None,
            **kwargs,
        )


class OfferObjectMixin(ResourceMixin, SingleObjectMixin):
    """An action on one offer: the permission is checked before the offer is looked up (in
    the member's scope), so another tenant's offer answers as one that does not exist."""

    model = Offer

    def get_queryset(self):
        return Offer.objects.select_related("client")


class OfferPdfView(OfferObjectMixin, View):
    action = "view"

    def get(self, request, pk):
        return offer_pdf_response(self.get_object(), attachment=request.GET.get("inline") != "1")


class OfferDuplicateView(OfferObjectMixin, View):
    """POST: any offer copied as a new draft, opened in the builder."""

    permission_required = ("offer.view", "offer.add")

    def post(self, request, pk):
        copy = offer_duplicate(offer=self.get_object(), by=request.user)
        messages.success(
            request,
            _("This is a new draft copied from offer %(number)s: change it, then send it.") % {"number": pk},
        )
        return redirect("offers:update", copy.pk)


class OfferSendView(OfferObjectMixin, View):
    action = "send"
    template_name = "sales/offers/send.html"

    def get(self, request, pk):
        offer = self.get_object()
        if not offer.is_open:
            return self.closed(offer)
        return self.render_form(
            offer, OfferSendForm(offer=offer, initial={"contacts": self.default_contacts(offer)})
        )

    def post(self, request, pk):
        offer = self.get_object()
        if not offer.is_open:
            return self.closed(offer)
        form = OfferSendForm(request.POST, offer=offer)
        if form.is_valid():
            contacts = list(form.cleaned_data["contacts"])
            try:
                offer_send(
                    offer=offer,
                    by=request.user,
                    contacts=contacts,
                    base_url=request.build_absolute_uri("/"),
                    message=form.cleaned_data["message"],
                )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(
                    request,
                    _("The offer was sent to %(recipients)s.")
                    % {"recipients": ", ".join(f"{c.name} <{c.email}>" for c in contacts)},
                )
                return redirect(offer)
        return self.render_form(offer, form)

    def default_contacts(self, offer):
        return [c.pk for c in OfferSendForm(offer=offer).fields["contacts"].queryset if c.portal_access]

    def render_form(self, offer, form):
        return render(self.request, self.template_name, {"offer": offer, "object": offer, "form": form})

    def closed(self, offer):
        messages.error(
            self.request,
            _("This offer was already %(status)s; it cannot be sent again.")
            % {"status": offer.get_status_display().lower()},
        )
        return redirect(offer)


class OfferAcceptView(OfferObjectMixin, View):
    """The account manager accepts one option on the client's behalf."""

    # Staff who see the offers (client contacts decide in the portal, on sent offers only).
    permission_required = ("offer.view", "offer.decide")

    def post(self, request, pk):
        offer = self.get_object()
        accept_option(request, offer)
        return redirect(offer)


ACCEPTED_MESSAGE = _lazy("%(option)s was accepted. The contract “%(contract)s” starts on %(date)s.")


def accept_option(request, offer, success_message=ACCEPTED_MESSAGE):
    """Accept the option named by POST `option`; report the outcome as a message. Returns
    the new contract, or None."""
    option = offer.options.filter(pk=_int_or_none(request.POST.get("option")) or 0).first()
    if option is None:
        messages.error(request, _("Choose one of the offer's options."))
        return None
    try:
        contract = offer_accept(offer=offer, option=option, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return None
    text = str(success_message) % {
        "option": option.name,
        "contract": contract,
        "date": date_format(contract.start_date, "DATE_FORMAT"),
    }
    if contract.replaced is not None:
        text += " " + _("“%(contract)s” ended the same day.") % {"contract": contract.replaced}
    messages.success(request, text)
    return contract


def decline_offer(request, offer) -> bool:
    try:
        offer_decline(offer=offer, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return False
    return True


class OfferDeclineView(OfferObjectMixin, View):
    permission_required = ("offer.view", "offer.decide")  # staff: see OfferAcceptView

    def post(self, request, pk):
        offer = self.get_object()
        if decline_offer(request, offer):
            messages.success(request, _("The offer was marked as declined."))
        return redirect(offer)


class OfferDeleteView(TenantDeleteView):
    """Drafts only: a sent offer is part of the client's history."""

    model = Offer
    http_method_names = ["get", "post"]
    success_url = reverse_lazy("offers:list")

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        if self.object.status != OfferStatus.DRAFT:
            return self.refuse()
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            offer_delete(offer=self.object)
        except ValidationError:
            return self.refuse()
        messages.success(self.request, _("%(name)s was deleted.") % {"name": self.object})
        return redirect(self.get_success_url())

    def refuse(self):
        messages.error(
            self.request,
            _("Only a draft offer can be deleted; this one was already %(status)s.")
            % {"status": self.object.get_status_display().lower()},
        )
        return redirect(reverse("offers:detail", args=[self.object.pk]))
