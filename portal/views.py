"""The client contact's pages. The scope already limits a contact to its own company; these
views add that only contacts use them, and that an offer shows once it was sent."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import pgettext_lazy
from django.views import View
from django.views.generic import DetailView, ListView
from django.views.generic.detail import SingleObjectMixin

from msp.roles import PORTAL
from msp.views.base import MemberRequiredMixin
from msp.views.once import OnceOnlyMixin
from portal.sla import sla_targets
from sales.columns import columns_from_offer, with_tax
from sales.models import Offer
from sales.pdf import offer_pdf_response
from sales.selectors import offer_contract, offer_detail_list, offer_parties, offer_replaces, offers_sent_list
from sales.views import accept_option, decline_offer, hour_block_of
from tickets.attachments import comment_add_with_files, ticket_create_with_files, with_attachments
from tickets.choices import OPEN_STATUSES
from tickets.models import Ticket

PORTAL_ACCEPTED = _lazy(
    "Thank you! You accepted %(option)s. Your contract “%(contract)s” starts on %(date)s."
)


class PortalMixin(MemberRequiredMixin):
    """Client contacts (PORTAL) who may decide on offers; others are refused before any lookup."""

    permission_required = (PORTAL, "offer.decide")


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
            columns=with_tax(
                columns_from_offer(offer, offer.options.all()), self.request.membership.tenant.tax_rate
            ),
            parties=offer_parties(offer, self.request.membership.tenant),
            contract=offer_contract(offer),
            hour_block=hour_block_of(minutes=offer.hour_block_minutes, price=offer.hour_block_price),
            can_decide=offer.is_open,
            replaces=offer_replaces(offer) if offer.is_open else None,
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


# --- tickets: a client contact opens and follows its company's tickets -------------------


class PortalTicketMixin(MemberRequiredMixin):
    """Client contacts only (PORTAL); the scope limits them to their own company's tickets."""

    permission_required = (PORTAL, "ticket.view")


TICKET_TABS = (
    ("", _lazy("All")),
    ("open", pgettext_lazy("tickets", "Open")),
    ("done", _lazy("Resolved or closed")),
)


class PortalTicketListView(PortalTicketMixin, ListView):
    """The company's tickets, newest first, each with its SLA; `?status=open|done` and
    `?asset=<id>` narrow the list."""

    template_name = "portal/tickets/list.html"
    paginate_by = 25

    def get_queryset(self):
        self.status = self.request.GET.get("status", "")
        self.status = self.status if self.status in dict(TICKET_TABS) else ""
        queryset = Ticket.objects.select_related("asset").order_by("-created_at", "-pk")
        if self.status == "open":
            queryset = queryset.filter(status__in=OPEN_STATUSES)
        elif self.status == "done":
            queryset = queryset.exclude(status__in=OPEN_STATUSES)
        asset = self.request.GET.get("asset", "")
        self.asset_id = int(asset) if asset.isdecimal() and len(asset) < 19 else None
        if self.asset_id is not None:
            queryset = queryset.filter(asset_id=self.asset_id)
        return queryset

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            tabs=TICKET_TABS, status=self.status, asset_id=self.asset_id, now=timezone.now(), **kwargs
        )


class PortalTicketCreateView(PortalTicketMixin, OnceOnlyMixin, View):
    permission_required = (PORTAL, "ticket.add")
    template_name = "portal/tickets/form.html"

    def _form(self, data=None, files=None):
        from tickets.forms import PortalTicketForm

        form = PortalTicketForm(data, files, tenant=self.request.membership.tenant)
        form.fields["asset"].queryset = form.fields["asset"].queryset.filter(
            client_id=self.request.membership.client_id
        )
        return form

    def get(self, request):
        from django.shortcuts import render

        form = self._form()
        asset = request.GET.get("asset", "")
        if asset.isdecimal() and form.fields["asset"].queryset.filter(pk=int(asset[:18])).exists():
            form.initial["asset"] = int(asset[:18])  # "Open a ticket about it", from the asset's page
        return render(request, self.template_name, {"form": form})

    def post(self, request):
        from django.core.exceptions import ValidationError
        from django.shortcuts import render

        from msp.models import Client, Contact
        from tickets.choices import Source

        form = self._form(request.POST, request.FILES)
        if form.is_valid():
            membership = request.membership
            client = Client.objects.get(pk=membership.client_id)
            contact = (
                Contact.objects.filter(client=client, email__iexact=request.user.email).first()
                if request.user.email
                else None
            )
            data = dict(form.cleaned_data)
            files = data.pop("files", [])
            try:
                ticket = ticket_create_with_files(
                    tenant=membership.tenant,
                    client=client,
                    contact=contact,
                    source=Source.PORTAL,
                    created_by=request.user,
                    files=files,
                    **data,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Your ticket was opened. We will get back to you soon."))
                request.once_created_url = reverse("portal:ticket", args=[ticket.pk])
                return redirect(request.once_created_url)
        return render(request, self.template_name, {"form": form}, status=400)


class PortalTicketDetailView(PortalTicketMixin, DetailView):
    template_name = "portal/tickets/detail.html"

    model = Ticket

    def get_queryset(self):
        return Ticket.objects.select_related("contact", "asset")

    def get_context_data(self, **kwargs):
        from tickets.forms import ReplyForm

        # Never internal notes: public replies only (and the scope hides internal notes' files).
        files, comments = with_attachments(
            self.object, self.object.comments.filter(public=True).select_related("author")
        )
        return super().get_context_data(
            ticket=self.object,
            sla_targets=sla_targets(self.object),
            comments=comments,
            ticket_files=files,
            reply_form=ReplyForm(can_note=False, tenant=self.request.membership.tenant),
            can_reply=self.request.membership.has_perm("ticket.reply"),
            **kwargs,
        )


class PortalTicketReplyView(PortalTicketMixin, View):
    model = Ticket
    permission_required = (PORTAL, "ticket.reply")

    def post(self, request, pk):
        from django.core.exceptions import ValidationError
        from django.shortcuts import get_object_or_404

        from tickets.forms import ReplyForm

        ticket = get_object_or_404(Ticket.objects.all(), pk=pk)
        form = ReplyForm(request.POST, request.FILES, can_note=False, tenant=request.membership.tenant)
        if form.is_valid():
            try:
                comment_add_with_files(
                    ticket,
                    author=request.user,
                    body=form.cleaned_data["body"],
                    public=True,
                    by_staff=False,
                    files=form.cleaned_data.get("files") or [],
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Your reply was sent."))
        else:
            messages.error(request, " ".join(form.errors.get("files", [])) or _("Write a message."))
        return redirect("portal:ticket", pk=ticket.pk)
