"""The review of unknown machines: create the asset, link it to one, or discard it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import FormView

from monitoring.forms import UnknownAssetForm, UnknownLinkForm
from monitoring.models import UnknownSource
from monitoring.selectors import unknown_pending
from monitoring.services.unknown import unknown_create_asset, unknown_discard, unknown_link
from monitoring.views.tabs import TabsMixin
from msp.models import Client
from msp.views.base import MemberRequiredMixin, TenantListView


def form_errors_from(form, error: ValidationError) -> None:
    """A service's refusal shown beside the fields it names (else above the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for item in errors:
                form.add_error(field if field in form.fields else None, item.messages)
    else:
        form.add_error(None, error.messages)


class UnknownListView(TabsMixin, TenantListView):
    model = UnknownSource
    permission_required = "alert.view"
    template_name = "monitoring/unknown.html"
    tab = "unknown"

    def get_queryset(self):
        return unknown_pending()

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_review=self.has_perm("alert.review"), **kwargs)


class UnknownActionMixin(MemberRequiredMixin):
    """An action on one machine still waiting for review (another one's: 404)."""

    model = UnknownSource
    permission_required = ("alert.view", "alert.review")

    def get_unknown(self) -> UnknownSource:
        return get_object_or_404(UnknownSource.objects.select_related("key"), pk=self.kwargs["pk"])

    def done(self, unknown, error: ValidationError | None = None):
        if error is not None:
            messages.error(self.request, " ".join(error.messages))
        return redirect("monitoring:unknown")


class UnknownFormView(UnknownActionMixin, FormView):
    template_name = "monitoring/unknown_form.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.unknown = None

    def get(self, request, *args, **kwargs):
        self.unknown = self.get_unknown()
        if self.unknown.state != "pending":
            return self.done(self.unknown, ValidationError(_("This machine was already dealt with.")))
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.unknown = self.get_unknown()
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            unknown=self.unknown, cancel_url=reverse("monitoring:unknown"), **kwargs
        )

    def refuse(self, form, error: ValidationError):
        form_errors_from(form, error)
        return self.form_invalid(form)


class UnknownCreateAssetView(UnknownFormView):
    """Make the machine a new asset; its next messages find it and file normally."""

    form_class = UnknownAssetForm
    extra_context = {"action": "create"}

    def get_initial(self):
        unknown = self.unknown
        client = unknown.key.client_id if unknown.key is not None else None
        return {"name": unknown.hostname or unknown.serial, "client": client}

    def form_valid(self, form):
        try:
            asset = unknown_create_asset(unknown=self.unknown, **form.cleaned_data)
        except ValidationError as error:
            return self.refuse(form, error)
        messages.success(
            self.request,
            _("%(name)s is now an asset of %(client)s; its next messages are filed on it.")
            % {"name": asset.name, "client": asset.client.name},
        )
        return redirect(asset)


class UnknownLinkView(UnknownFormView):
    """The machine is an asset already there: it takes the machine's hostname and serial."""

    form_class = UnknownLinkForm
    extra_context = {"action": "link"}

    @cached_property
    def chosen(self) -> tuple[int | None, str]:
        """The client picked above the form (a GET), carried in the form's POST, and the search."""
        source = self.request.POST if self.request.method == "POST" else self.request.GET
        client = source.get("client", "")
        if not client.isdecimal() or not Client.objects.filter(pk=int(client)).exists():
            return None, ""
        return int(client), source.get("q", "")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["client_id"], kwargs["search"] = self.chosen
        if self.chosen[0] is not None:
            kwargs["initial"] = {**kwargs.get("initial", {}), "client": self.chosen[0]}
        return kwargs

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            search=self.chosen[1],
            chosen_client=self.chosen[0] or "",
            clients=list(Client.objects.order_by("name").values_list("pk", "name")),
            **kwargs,
        )

    def form_valid(self, form):
        try:
            asset = unknown_link(unknown=self.unknown, asset=form.cleaned_data["asset"])
        except ValidationError as error:
            return self.refuse(form, error)
        messages.success(
            self.request,
            _("The machine is linked to %(name)s; its next messages are filed on it.") % {"name": asset.name},
        )
        return redirect(asset)


class UnknownDiscardView(UnknownActionMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        unknown = self.get_unknown()
        try:
            unknown_discard(unknown=unknown)
        except ValidationError as error:
            return self.done(unknown, error)
        messages.success(request, _("%(name)s was discarded.") % {"name": unknown})
        return self.done(unknown)
