"""Filters of the asset list, shared by the browser list and the API."""

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from assets.choices import AssetKind, PatchStatus, WarrantyWindow
from assets.models import Asset, warranty_window
from msp.filtersets import FilterSet
from msp.forms.widgets import QuickSelect
from msp.models import Client, Site
from msp.search import search_terms


# Choice querysets are built per request, inside the member's scope (a queryset built at
# import time would be built outside any scope, and so be empty).
# Names only: a dropdown of 500 clients need not build 500 full rows.
def _clients(request):
    return Client.objects.order_by("name").only("pk", "name")


def _sites(request):
    return Site.objects.order_by("name").only("pk", "name")


class AssetFilterSet(FilterSet):
    client = filters.ModelChoiceFilter(
        queryset=_clients, label=_("Client"), empty_label=_("All clients"), widget=QuickSelect
    )
    site = filters.ModelChoiceFilter(queryset=_sites, label=_("Site"), widget=QuickSelect)
    kind = filters.ChoiceFilter(choices=AssetKind.choices, label=_("Kind"), empty_label=_("All kinds"))
    monitored = filters.BooleanFilter(label=_("Monitored"))
    patch_status = filters.ChoiceFilter(choices=PatchStatus.choices, label=_("Patch status"))
    # ?warranty_expires_after=YYYY-MM-DD&warranty_expires_before=YYYY-MM-DD (both inclusive)
    warranty_expires = filters.DateFromToRangeFilter(label=_("Warranty expires"))
    warranty = filters.ChoiceFilter(
        choices=WarrantyWindow.choices,
        method="filter_warranty",
        label=_("Warranty"),
        empty_label=_("Any warranty"),
    )
    q = filters.CharFilter(method="filter_search", label=_("Search"))

    class Meta:
        model = Asset
        fields = ["client", "site", "kind", "monitored", "patch_status", "warranty_expires", "warranty", "q"]

    def filter_warranty(self, queryset, name, value):
        if value == WarrantyWindow.EXPIRED:
            start, _end = warranty_window(0)
            return queryset.filter(warranty_expires__lt=start)
        start, end = warranty_window(int(value))
        return queryset.filter(warranty_expires__gte=start, warranty_expires__lte=end)

    def filter_search(self, queryset, name, value):
        # The API's `?search=`, term for term (msp.api.filters.SearchFilter).
        terms = search_terms(value)
        return queryset.search(*terms) if terms else queryset
