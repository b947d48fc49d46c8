from django.db.models import Count, Q
from django.shortcuts import get_object_or_404
from django.urls import reverse, reverse_lazy

from msp.forms.clients import ClientForm, ContactForm, SiteForm
from msp.models import Client, Contact, Site
from msp.selectors import client_list, contact_portal_status
from msp.views.base import (
    TenantCreateView,
    TenantDeleteView,
    TenantDetailView,
    TenantListView,
    TenantUpdateView,
)


class ClientListView(TenantListView):
    model = Client
    template_name = "msp/clients/list.html"

    def get_queryset(self):
        self.search = self.request.GET.get("q", "").strip()
        return (
            client_list(search=self.search)
            .annotate(
                contact_count=Count("contacts", distinct=True), site_count=Count("sites", distinct=True)
            )
            .order_by("name", "pk")
        )

    partial_template_name = "msp/clients/_table.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(search=self.search, **kwargs)


class ClientDetailView(TenantDetailView):
    model = Client
    template_name = "msp/clients/detail.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            sites=self.object.sites.all(),
            contacts=self.object.contacts.select_related("site"),
            can_add_site=self.has_perm("site.add"),
            can_add_contact=self.has_perm("contact.add"),
            can_view_contracts=self.has_perm("contract.view"),
            can_add_contract=self.has_perm("contract.add"),
            # Billing's pages, named by URL (msp never imports billing).
            can_view_invoices=self.has_perm("invoice.view") and not self.request.membership.is_client,
            can_set_billing_terms=self.has_perm("billing.settings"),
            # The monthly reports (reports/), by URL: the MSP's, client contacts use the portal.
            can_view_reports=self.has_perm("monthlyreport.view") and not self.request.membership.is_client,
            **kwargs,
        )


class ClientCreateView(TenantCreateView):
    model = Client
    form_class = ClientForm
    template_name = "msp/form.html"

    def get_cancel_url(self):
        return reverse("clients:list")

    def get_initial(self):
        tenant = self.request.membership.tenant
        return {"currency": tenant.default_currency, "timezone": tenant.timezone}


class ClientUpdateView(TenantUpdateView):
    model = Client
    form_class = ClientForm
    template_name = "msp/form.html"


class ClientDeleteView(TenantDeleteView):
    model = Client
    success_url = reverse_lazy("clients:list")


class ClientChildMixin:
    """Sites and contacts are created under a client, found in the member's scope."""

    def get_client(self) -> Client:
        if not hasattr(self, "_client"):
            if "client_pk" in self.kwargs:
                self._client = get_object_or_404(Client.objects.all(), pk=self.kwargs["client_pk"])
            else:
                self._client = self.object.client  # UpdateView has fetched it, in scope
        return self._client

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "client": self.get_client()}

    def form_valid(self, form):
        form.instance.client = self.get_client()
        return super().form_valid(form)

    def get_context_data(self, **kwargs):
        return super().get_context_data(parent=self.get_client(), **kwargs)


class SiteDetailView(TenantDetailView):
    model = Site
    template_name = "msp/sites/detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("client")

    def get_context_data(self, **kwargs):
        return super().get_context_data(contacts=self.object.contacts.all(), **kwargs)


class SiteCreateView(ClientChildMixin, TenantCreateView):
    model = Site
    form_class = SiteForm
    template_name = "msp/form.html"


class SiteUpdateView(ClientChildMixin, TenantUpdateView):
    model = Site
    form_class = SiteForm
    template_name = "msp/form.html"


class SiteDeleteView(TenantDeleteView):
    model = Site

    def get_success_url(self):
        return reverse("clients:detail", args=[self.object.client_id])


class ContactListView(TenantListView):
    model = Contact
    template_name = "msp/contacts/list.html"

    def get_queryset(self):
        self.search = self.request.GET.get("q", "").strip()
        queryset = super().get_queryset().select_related("client", "site")
        if self.search:
            queryset = queryset.filter(
                Q(name__icontains=self.search)
                | Q(email__icontains=self.search)
                | Q(phone__icontains=self.search)
                | Q(client__name__icontains=self.search)
            )
        return queryset

    partial_template_name = "msp/contacts/_table.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(search=self.search, **kwargs)


class ContactDetailView(TenantDetailView):
    model = Contact
    template_name = "msp/contacts/detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("client", "site")

    def get_context_data(self, **kwargs):
        # Who may invite sees where the contact stands with the portal, and the invite button.
        can_invite = self.has_perm("member.add")
        return super().get_context_data(
            can_invite=can_invite,
            portal=contact_portal_status(self.object) if can_invite else None,
            **kwargs,
        )


class ContactCreateView(ClientChildMixin, TenantCreateView):
    model = Contact
    form_class = ContactForm
    template_name = "msp/form.html"


class ContactUpdateView(ClientChildMixin, TenantUpdateView):
    model = Contact
    form_class = ContactForm
    template_name = "msp/form.html"


class ContactDeleteView(TenantDeleteView):
    model = Contact

    def get_success_url(self):
        return reverse("clients:detail", args=[self.object.client_id])
