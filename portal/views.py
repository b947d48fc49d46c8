"""The client contact's pages. The scope already limits a contact to its own company; these
views add that only contacts use them, and that an offer shows once it was sent."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View
from django.views.generic import DetailView, ListView
from django.views.generic.detail import SingleObjectMixin

from contracts.models import Offer
from contracts.offer_columns import columns_from_offer
from contracts.offer_selectors import offer_contract, offer_detail_list, offers_sent_list
from contracts.pdf import offer_pdf_response
from contracts.views.offers import accept_option, decline_offer, hour_block_of
from msp.views.base import MemberRequiredMixin

PORTAL_ACCEPTED = _lazy(
    "Thank you! You accepted %(option)s. Your contract “%(contract)s” starts on %(date)s."
)


class PortalMixin(MemberRequiredMixin):
    """Client contacts who may decide on offers; anyone else is refused before any lookup."""

    permission_required = "offer.decide"

    def dispatch(self, request, *args, **kwargs):
        membership = getattr(request, "membership", None)
        if request.user.is_authenticated and membership is not None and not membership.is_client:
            raise PermissionDenied(_("The client portal is for client contacts."))
        return super().dispatch(request, *args, **kwargs)


class PortalOfferListView(PortalMixin, ListView):
    model = Offer
    template_name = "portal/offers/list.html"
    paginate_by = 25

    def get_queryset(self):
        return offers_sent_list().select_related("accepted_option").order_by("-sent_at", "-pk")


class PortalOfferDetailView(PortalMixin, DetailView):
    model = Offer
    template_name = "portal/offers/detail.html"

    def get_queryset(self):
        return offers_sent_list(offer_detail_list())

    def get_context_data(self, **kwargs):
        offer = self.object
        return super().get_context_data(
            offer=offer,
            columns=columns_from_offer(offer, offer.options.all()),
            contract=offer_contract(offer),
            hour_block=hour_block_of(minutes=offer.hour_block_minutes, price=offer.hour_block_price),
            can_decide=offer.is_open,
            accept_url=reverse("portal:offer-accept", args=[offer.pk]) if offer.is_open else "",
            **kwargs,
        )


class PortalOfferActionMixin(PortalMixin, SingleObjectMixin):
    model = Offer

    def get_queryset(self):
        return offers_sent_list().select_related("client")


class PortalOfferAcceptView(PortalOfferActionMixin, View):
    def post(self, request, pk):
        offer = self.get_object()
        accept_option(request, offer, success_message=PORTAL_ACCEPTED)
        return redirect("portal:offer", pk=offer.pk)


class PortalOfferDeclineView(PortalOfferActionMixin, View):
    def post(self, request, pk):
        offer = self.get_object()
        if decline_offer(request, offer):
            messages.success(request, _("You declined the offer. Thank you for letting us know."))
        return redirect("portal:offer", pk=offer.pk)


class PortalOfferPdfView(PortalOfferActionMixin, View):
    def get(self, request, pk):
        return offer_pdf_response(self.get_object(), attachment=request.GET.get("inline") != "1")
