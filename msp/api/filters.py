"""The API's filter backends: every list filters through msp.filtersets.FilterSet, and searches
with its model's own search when it has one."""

from django.core.exceptions import ImproperlyConfigured
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, filters

from msp.filtersets import FilterSet


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, with our base FilterSet: a view's ``filterset_fields`` are
    built on it, and a ``filterset_class`` that does not subclass it is refused, so no list
    filter can make a list DISTINCT or read its choices outside the request's scope."""

    filterset_base = FilterSet

    def get_filterset_class(self, view, queryset=None):
        filterset_class = super().get_filterset_class(view, queryset)
        if filterset_class is not None and not issubclass(filterset_class, FilterSet):
            raise ImproperlyConfigured(
                f"{type(view).__name__}.filterset_class ({filterset_class.__name__}) must subclass "
                "msp.filtersets.FilterSet"
            )
        return filterset_class


class SearchFilter(filters.SearchFilter):
    """DRF's ``?search=`` (its terms, its schema), but a list whose queryset has a
    ``search(*terms)`` of its own is searched by it: the same matches as DRF's OR of
    ``icontains`` over the view's ``search_fields``, from the model's search column and its
    index (msp.search; the assets), and the same search as the browser list's."""

    def get_search_terms(self, request):
        # DRF's refusal (a NUL character) is a bare list: say which parameter it was about.
        try:
            return super().get_search_terms(request)
        except exceptions.ValidationError as error:
            raise exceptions.ValidationError({self.search_param: error.detail}) from None

    def filter_queryset(self, request, queryset, view):
        search = getattr(queryset, "search", None)
        if search is None or not self.get_search_fields(view, request):
            return super().filter_queryset(request, queryset, view)
        terms = self.get_search_terms(request)
        return search(*terms) if terms else queryset
