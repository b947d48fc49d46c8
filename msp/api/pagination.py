"""The API's pagination, and the one place a list's query string is checked whole.

Every list of the API is paginated, so a list request always comes through here: a
parameter that no part of the list reads (a typo, ``?asignee=``, a filter of another
list) is a 400 naming it, instead of a full, unfiltered list the client takes for a
filtered one; so are a ``page`` or ``page_size`` that is not a positive whole number
(DRF served the first page or the default size), and so is a parameter given empty. The accepted names are the ones each
part of the view reads: the pagination's, DRF's ``format``, and those of each filter
backend the view uses (its filterset's filters with their widgets' suffixes, search,
ordering), plus a view's own ``extra_query_params`` for one it reads by hand; the
OpenAPI schema declares the same names (drf-spectacular asks the same backends).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, pagination
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.settings import api_settings


def _whole_number(request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    # ASCII digits, and few enough of them (int() of a 5,000-digit string raises ValueError).
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or int(raw) < 1:
        raise exceptions.ValidationError({name: [_("Use a whole number of at least 1.")]})
    return int(raw)


def accepted_query_params(pager: PageNumberPagination, request, view, queryset) -> set[str]:
    names = {pager.page_query_param, pager.page_size_query_param, api_settings.URL_FORMAT_OVERRIDE}
    names.update(getattr(view, "extra_query_params", ()))
    for backend_class in getattr(view, "filter_backends", ()):
        backend = backend_class()
        if isinstance(backend, DjangoFilterBackend):
            filterset = backend.get_filterset(request, queryset, view)
            if filterset is not None:
                names.update(_field_names(filterset.form))
        elif isinstance(backend, SearchFilter):
            names.add(backend.search_param)  # declared by the schema even with no search_fields
        elif isinstance(backend, OrderingFilter):
            names.add(backend.ordering_param)
        else:  # another backend: the parameters it declares to the schema
            names.update(param["name"] for param in backend.get_schema_operation_parameters(view))
    return names


def _field_names(form) -> set[str]:
    """A form field's query names: a range filter's are its widget's suffixed ones."""
    names = set()
    for name, field in form.fields.items():
        suffixes = getattr(field.widget, "suffixes", None)
        if suffixes:
            names.update(field.widget.suffixed(name, suffix) for suffix in suffixes)
        else:
            names.add(name)
    return names


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        if view is not None:
            accepted = accepted_query_params(self, request, view, queryset)
            unknown = sorted(set(request.query_params) - accepted)
            if unknown:
                message = _("This list has no such parameter; it takes: %(names)s.") % {
                    "names": ", ".join(sorted(accepted))
                }
                raise exceptions.ValidationError(dict.fromkeys(unknown[:10], [message]))
            # ``?origin=`` or ``?page_size=`` is not a filter nor a size: django-filter would
            # ignore it and serve the whole list, which the client takes for a filtered one.
            # A search for nothing stays a search for nothing.
            empty = sorted(
                name
                for name, values in request.query_params.lists()
                if name != api_settings.SEARCH_PARAM and "" in values
            )
            if empty:
                message = _("Give a value, or leave the parameter out.")
                raise exceptions.ValidationError(dict.fromkeys(empty[:10], [message]))
        if request.query_params.get(self.page_query_param) not in self.last_page_strings:
            _whole_number(request, self.page_query_param)  # "abc" or 0: a 400, not a 404
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request):
        """``page_size`` as asked for, at most max_page_size (DRF's cut); not a number is a 400."""
        asked = _whole_number(request, self.page_size_query_param)
        return self.page_size if asked is None else min(asked, self.max_page_size)
