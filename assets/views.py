from django.contrib import messages
from django.core.exceptions import ValidationError
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views import generic

from assets import hooks
from assets.choices import ImportOutcome
from assets.filtersets import AssetFilterSet
from assets.forms import AssetForm, AssetImportForm
from assets.models import Asset
from assets.selectors import asset_list
from assets.services import IMPORT_COLUMNS, MAX_IMPORT_ROWS, asset_import_csv
from msp.models import Client
from msp.views.base import (
    MemberRequiredMixin,
    TenantCreateView,
    TenantDeleteView,
    TenantDetailView,
    TenantListView,
    TenantUpdateView,
)


class AssetListView(TenantListView):
    model = Asset
    template_name = "assets/list.html"

    def get_queryset(self):
        self.filterset = AssetFilterSet(self.request.GET or None, queryset=asset_list(), request=self.request)
        return self.filterset.qs

    partial_template_name = "assets/_table.html"

    def get_context_data(self, **kwargs):
        form = self.filterset.form
        for name in ("client", "kind", "warranty"):
            form.fields[name].widget.attrs["data-autosubmit"] = True  # app.js submits the form (htmx)
        filtered = self.filterset.is_bound and any(
            form.cleaned_data.get(name) not in (None, "") for name in form.fields
        )
        return super().get_context_data(
            filter_form=form,
            search=self.request.GET.get("q", "").strip(),
            filtered=filtered,
            **kwargs,
        )


class AssetDetailView(TenantDetailView):
    model = Asset
    template_name = "assets/detail.html"

    def get_queryset(self):
        return super().get_queryset().select_related("client", "site", "assigned_contact")

    def get_context_data(self, **kwargs):
        # Panels of the apps downstream (monitoring's alert and heartbeat history).
        return super().get_context_data(panels=hooks.extra_panels(self.request, self.object), **kwargs)


class AssetCreateView(TenantCreateView):
    model = Asset
    form_class = AssetForm
    template_name = "msp/form.html"

    def get_cancel_url(self):
        return reverse("assets:list")

    def get_initial(self):
        """`?client=<id>` (from a client's page) preselects that client, if the member sees it."""
        initial = super().get_initial()
        client_id = self.request.GET.get("client", "")
        if client_id.isdecimal():
            client = Client.objects.filter(pk=int(client_id)).first()
            if client is not None:
                initial["client"] = client.pk
        return initial


class AssetUpdateView(TenantUpdateView):
    model = Asset
    form_class = AssetForm
    template_name = "msp/form.html"


class AssetDeleteView(TenantDeleteView):
    model = Asset
    success_url = reverse_lazy("assets:list")


class AssetImportView(MemberRequiredMixin, generic.FormView):
    """Upload a CSV of assets; the answer is the report of what happened to each row."""

    permission_required = "asset.add"
    form_class = AssetImportForm
    template_name = "assets/import.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            columns=IMPORT_COLUMNS, max_rows=MAX_IMPORT_ROWS, outcomes=ImportOutcome, **kwargs
        )

    def form_valid(self, form):
        try:
            report = asset_import_csv(
                tenant=self.request.membership.tenant, file_text=form.cleaned_data["file"]
            )
        except ValidationError as error:
            form.add_error("file", error)
            return self.form_invalid(form)
        counts = report.counts
        if report.all_rejected:
            messages.error(self.request, _("Every row was rejected; nothing was imported."))
        else:
            messages.success(
                self.request,
                _(
                    "Import finished: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, %(rejected)d rejected."
                )
                % counts,
            )
        return self.render_to_response(
            self.get_context_data(form=self.form_class(), report=report, counts=counts)
        )
