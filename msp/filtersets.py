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
* **A user filter knows the tenant's members only.** A foreign key to the user model
  (``assignee``, ``technician``) takes the ids of the scope's members: any other id, of
  a user of another tenant or of nobody, gets the same "not one of the available choices"
  (issue 20: 200 for any user on the platform and 400 for no one was an account oracle).
* **A value is understood or refused.** A boolean filter takes true/false (also 1/0,
  yes/no, on/off, and the browser select's values); ``?is_active=maybe`` is refused with
  the filter's name, not read as "no filter". Ids, dates and choices already are.
"""

from __future__ import annotations

import copy

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db.models import Exists, Model, OuterRef, QuerySet
from django.db.models.constants import LOOKUP_SEP
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from django_filters.widgets import BooleanWidget

from msp.scoping import TenantManager, current_scope

_TRUE = frozenset({"true", "1", "yes", "on", "2"})  # "2"/"3": Django's NullBooleanSelect
_FALSE = frozenset({"false", "0", "no", "off", "3"})
_ANY = frozenset({"", "unknown"})


class StrictBooleanSelect(BooleanWidget):
    """django-filter's any/yes/no select (true/false), handing the raw value to the field to
    judge: its own reading made anything else None, "no filter"."""

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class StrictBooleanField(forms.NullBooleanField):
    widget = StrictBooleanSelect

    def to_python(self, value):
        if value is None or isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in _ANY:
            return None
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
        raise forms.ValidationError(_("Use true or false."), code="invalid")


def members_of_scope(request):
    """Users with a membership of the scope's tenant. Through the user's side of the relation,
    not Membership's scoped manager: a client contact's scope shows its company's members
    only, and they may filter their tickets by the technician the tickets name."""
    scope = current_scope()
    users = get_user_model().objects
    return users.filter(memberships__tenant_id=scope.tenant_id) if scope is not None else users.none()


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
        elif related is not None and related is get_user_model():
            filter_.queryset = members_of_scope
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
            if isinstance(queryset, QuerySet) and queryset.model is get_user_model():
                raise ImproperlyConfigured(
                    f"{cls.__name__}.{name}: a filter over users takes msp.filtersets.members_of_scope."
                )
            if isinstance(filter_, filters.BooleanFilter):
                filter_.field_class = StrictBooleanField
                widget = filter_.extra.get("widget")
                if widget is None or widget in (BooleanWidget, forms.NullBooleanSelect):
                    filter_.extra["widget"] = StrictBooleanSelect
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
