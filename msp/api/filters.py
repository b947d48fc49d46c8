"""The API's filter backend: every list filters through msp.filtersets.FilterSet."""

from django.core.exceptions import ImproperlyConfigured
from django_filters.rest_framework import DjangoFilterBackend

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
