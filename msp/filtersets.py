"""The base of every filterset (the API's, and the browser lists' that share them).

Two rules, kept here once instead of in each filterset:

* **No filter makes a list DISTINCT.** django-filter's multi-value filters call
  ``.distinct()`` by default, in case they join a to-many relation: PostgreSQL then
  compares every selected column of every matching row before it can sort and cut a page,
  and the paginator's COUNT(*) wraps the same DISTINCT (issue 17: 242 ms instead of ~25 ms
  for a page of open tickets at 100k tickets). A filter on the model's own columns or
  along forward foreign keys cannot duplicate a row, so it runs as a plain ``WHERE``; one
  that goes through a to-many relation (a reverse foreign key, a many-to-many) is tested in
  an ``EXISTS`` subquery on the row's primary key, which never duplicates a row either.
  ``tests/test_api_distinct.py`` proves it for every list, filter, search and sort of the API.
* **Choices are read in the request's scope.** A foreign-key filter that django-filter
  generates (``Meta.fields``, a view's ``filterset_fields``) gets its choices as a queryset
  built with the class, at import, outside any scope: over a tenant-owned model that
  queryset is empty, so every value was refused. Here they are built per request, as
  ``msp.forms.base.TenantFormMixin`` does for forms; a declared filter over tenant-owned
  rows must pass a callable (``queryset=lambda request: Client.objects.all()``).
"""

from __future__ import annotations

import copy

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db.models import Exists, Model, OuterRef, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django_filters import rest_framework as filters

from msp.scoping import TenantManager


def spans_to_many(model: type[Model], path: str) -> bool:
    """Whether a lookup path (``client__name``, ``tickets__status``) follows a relation
    that can match several rows of one row: a reverse foreign key or a many-to-many."""
    opts = model._meta
    for part in path.split(LOOKUP_SEP):
        try:
            field = opts.get_field(part)
        except FieldDoesNotExist:
            return False  # "pk", a transform or a lookup: the relations ended before it
        if not hasattr(field, "get_path_info"):
            return False
        path_infos = field.get_path_info()
        if any(info.m2m for info in path_infos):
            return True
        opts = path_infos[-1].to_opts
    return False


def _scoped(model: type[Model], limit_choices_to):
    def choices(request):
        return model._default_manager.complex_filter(limit_choices_to)

    return choices


class FilterSet(filters.FilterSet):
    """Subclass this, never django-filter's FilterSet (the API's filter backend refuses
    another): see the module's docstring."""

    @classmethod
    def filter_for_field(cls, field, field_name, lookup_expr=None):
        filter_ = super().filter_for_field(field, field_name, lookup_expr)
        related = getattr(field, "related_model", None)
        if isinstance(getattr(filter_, "queryset", None), QuerySet) and _tenant_owned(related):
            filter_.queryset = _scoped(related, field.get_limit_choices_to())
        return filter_

    @classmethod
    def get_filters(cls):
        model = cls._meta.model
        found = {}
        for name, filter_ in super().get_filters().items():
            filter_ = copy.deepcopy(filter_)  # declared filters are shared with subclasses
            queryset = getattr(filter_, "queryset", None)
            if isinstance(queryset, QuerySet) and _tenant_owned(queryset.model):
                raise ImproperlyConfigured(
                    f"{cls.__name__}.{name}: a queryset over {queryset.model.__name__} built at import is "
                    "built outside any scope, so it is empty; pass a callable taking the request."
                )
            filter_.distinct = False
            filter_.through_to_many = (
                model is not None and filter_.method is None and spans_to_many(model, filter_.field_name)
            )
            found[name] = filter_
        return found

    def filter_queryset(self, queryset):
        for name, value in self.form.cleaned_data.items():
            filter_ = self.filters[name]
            if not filter_.through_to_many:
                queryset = filter_.filter(queryset, value)
                continue
            # Through a to-many relation: does this row have a match? One row per row, no DISTINCT.
            row = queryset.model._default_manager.filter(pk=OuterRef("pk"))
            matching = filter_.filter(row, value)
            if matching is not row:  # an empty value filters nothing
                queryset = queryset.filter(Exists(matching))
        return queryset


def _tenant_owned(model) -> bool:
    return model is not None and isinstance(model._default_manager, TenantManager)
