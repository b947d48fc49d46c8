"""No API list runs DISTINCT (issue 17): not for a filter, a search or a sort.

A DISTINCT over a list makes PostgreSQL compare every selected column of every matching
row (and the paginator's COUNT(*) wraps the same DISTINCT): 242 ms instead of ~25 ms for a
page of open tickets at 100k tickets. A filter on the model's own columns or a forward
foreign key cannot duplicate rows, so it needs none; one through a to-many relation is
tested in an EXISTS subquery (msp.filtersets.FilterSet), and DRF's search does the same.

Like the isolation and query-count harnesses, this walks the URL resolver, so a list added
later is covered without editing it; the filters are the ones the OpenAPI schema documents
for that list (a filter added later is covered too), the sorts are the ones the view
accepts. Each list is requested in a populated tenant (tests/world.py) by the owner, a
technician and a client contact (each through its own API token), unfiltered, with each
filter alone (a multi-value one with all its values, a choice or a boolean with each),
with each sort both ways, and with everything at once; the SQL is captured, and a query
with DISTINCT fails the test, as does an answer other than 200 (403 for a role that may not
read the list).
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_filters.utils import get_model_field
from rest_framework.filters import OrderingFilter
from rest_framework.mixins import ListModelMixin
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from msp.models import ApiToken
from msp.scoping import membership_scope, unscoped
from tests.test_isolation import _url, project_urls, resolve_kwarg_models
from tests.world import build_world

DISTINCT = re.compile(r"\bDISTINCT\b", re.IGNORECASE)
SEARCH_TERM = "e"  # in most rows' text (Ticket, Acme, Service, Offer...), so searches match rows


def api_lists():
    """(name, pattern, {kwarg: model}) of every URL whose GET lists rows."""
    for name, route, pattern, kwargs in project_urls():
        view_class = getattr(pattern.callback, "cls", None)
        if not route.startswith("api/") or view_class is None:
            continue
        actions = getattr(pattern.callback, "actions", None)
        if actions is not None:
            is_list = actions.get("get") == "list"
        else:
            is_list = issubclass(view_class, ListModelMixin)
        if is_list:
            yield name, pattern, resolve_kwarg_models(name, pattern, kwargs) if kwargs else {}


def schema_operation(schema: dict, path: str) -> dict:
    """The GET operation of the schema path (a template such as /contracts/{contract_pk}/ledger/)
    that this concrete path fills in."""
    for template, operations in schema["paths"].items():
        if re.fullmatch(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)), path):
            return operations["get"]
    raise AssertionError(f"{path}: the OpenAPI schema documents no such path")


class Role:
    """One member and its API client (through a token of its own)."""

    def __init__(self, name, membership):
        self.name, self.membership = name, membership
        with unscoped():
            _token, key = ApiToken.issue(membership)
        self.http = APIClient(headers={"authorization": f"Token {key}"})


def get(role: Role, url: str, params: list[tuple[str, str]]):
    full = f"{url}?{urlencode(params)}" if params else url
    with CaptureQueriesContext(connection) as captured:
        response = role.http.get(full)
    return full, response, [query["sql"] for query in captured.captured_queries]


def visible_pks(view, name: str, role: Role) -> list[int] | None:
    """The rows a foreign-key filter may name: those of the related model the member sees
    (None when the filter names no related model, a method filter say)."""
    backend = next((b() for b in view.filter_backends if hasattr(b, "get_filterset_class")), None)
    queryset = view.get_queryset().none()
    filterset_class = backend.get_filterset_class(view, queryset) if backend else None
    filter_ = filterset_class.base_filters.get(name) if filterset_class else None
    field = get_model_field(queryset.model, filter_.field_name) if filter_ and not filter_.method else None
    related = getattr(field, "related_model", None)
    if related is None:
        return None
    with membership_scope(role.membership):
        return list(related._default_manager.order_by("pk").values_list("pk", flat=True))


def filter_values(parameter: dict, rows: list[dict], view, role: Role) -> list[list[str]]:
    """The values to send for one documented query parameter: one list per request (a
    multi-value filter gets several values in one request). Empty when the member sees no
    row the filter could name."""
    name, schema = parameter["name"], parameter.get("schema", {})
    many = schema.get("type") == "array"
    item = schema.get("items", {}) if many else schema
    if item.get("enum"):
        choices = [str(choice) for choice in item["enum"] if choice is not None]
    elif item.get("type") == "boolean":
        choices = ["true", "false"]
    elif item.get("type") in ("integer", "number"):
        # Values the list shows first (so the filtered list is not empty), else any the member sees.
        shown = list(dict.fromkeys(row[name] for row in rows if isinstance(row.get(name), int | float)))
        visible = visible_pks(view, name, role)
        if visible is not None:
            shown = [value for value in shown if value in visible] + visible
        choices = [str(value) for value in dict.fromkeys(shown)][:2]
    elif item.get("format") == "date":
        choices = [timezone.localdate().isoformat()]
    elif item.get("format") == "date-time":
        choices = [timezone.now().isoformat()]
    elif item.get("pattern"):  # a value of a set form (an invoice period): its example
        choices = [item["example"]]
    else:
        choices = [SEARCH_TERM]
    if not choices:
        return []
    if many:
        return [choices if len(choices) > 1 else choices * 2]  # always 2+ values
    return [[choice] for choice in choices]


def orderings(view) -> list[str]:
    backend = next((b() for b in view.filter_backends if issubclass(b, OrderingFilter)), None)
    if backend is None:
        return []
    fields = backend.get_valid_fields(view.get_queryset().none(), view, {"request": view.request})
    return [name for name, _label in fields]


def check_list(role: Role, name: str, url: str, schema: dict) -> tuple[int, list[str]]:
    """Request one list every way; (requests made, problems)."""
    path = url.split("?")[0]
    full, response, queries = get(role, url, [])
    if response.status_code == 403 and role.name != "owner":
        return 1, []  # this role may not read the list at all
    if response.status_code != 200:
        return 1, [f"{role.name} GET {full}: {response.status_code}"]
    view = response.renderer_context["view"]
    body = response.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    paging = {getattr(view.paginator, attr, None) for attr in ("page_query_param", "page_size_query_param")}
    skip = {api_settings.ORDERING_PARAM, *paging} - {None}

    problems = [f"{role.name} GET {full}: {sql}" for sql in queries if DISTINCT.search(sql)]
    requests: list[list[tuple[str, str]]] = []
    everything: list[tuple[str, str]] = []
    for parameter in schema_operation(schema, path).get("parameters", []):
        if parameter["in"] != "query" or parameter["name"] in skip:
            continue
        values = filter_values(parameter, rows, view, role)
        if not values:
            if role.name == "owner":  # the world gives the owner a row of everything
                problems.append(f"owner GET {path}: found no value for the filter {parameter['name']}")
            continue
        requests += [[(parameter["name"], value) for value in each] for each in values]
        everything += [(parameter["name"], value) for value in values[0]]
    sorts = orderings(view)
    for field in sorts:
        requests += [[(api_settings.ORDERING_PARAM, field)], [(api_settings.ORDERING_PARAM, f"-{field}")]]
    if sorts:
        everything.append((api_settings.ORDERING_PARAM, ",".join(sorts)))
    requests.append(everything)

    for params in requests:
        full, response, queries = get(role, url, params)
        if response.status_code != 200:
            problems.append(f"{role.name} GET {full}: {response.status_code} {response.content[:300]!r}")
        problems += [
            f"{role.name} GET {full}: DISTINCT in\n    {sql}" for sql in queries if DISTINCT.search(sql)
        ]
    return 1 + len(requests), problems


def find_distinct(world) -> tuple[list[str], int, list[str]]:
    """Request every API list every way: (the lists' names, requests made, problems)."""
    roles = [
        Role("owner", world.owner),
        Role("technician", world.technician),
        Role("contact", world.contact_member),
    ]
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    names, made, problems = [], 0, []
    for name, _pattern, models in api_lists():
        names.append(name)
        url = _url(name, models, world.opened)
        for role in roles:
            count, found = check_list(role, name, url, schema)
            made += count
            problems += found
    return names, made, problems


@pytest.mark.django_db
def test_no_api_list_runs_distinct_for_any_filter_search_or_sort():
    names, made, problems = find_distinct(build_world(2, slug="distinct"))
    assert len(names) >= 13, f"found suspiciously few API lists: {names}"
    assert made > 200, f"only {made} requests: the filters were not found"
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


@pytest.mark.django_db
def test_the_harness_catches_distinct(settings):
    """django-filter's own multi-value filter runs DISTINCT and is caught; a filter through
    a to-many relation on msp.filtersets.FilterSet (EXISTS) passes (tests/distinct_urls.py)."""
    world = build_world(2, slug="distinct")  # with the project's URLs: notifications link to tickets
    settings.ROOT_URLCONF = "tests.distinct_urls"
    names, _made, problems = find_distinct(world)
    assert set(names) == {"api:distinct-ticket-list", "api:client-by-contact-list"}
    caught = "\n".join(problems)
    assert "owner GET /api/v1/distinct-tickets/?status=" in caught and "DISTINCT in" in caught
    assert "/clients-by-contact/" not in caught, caught


def test_the_check_sees_distinct():
    assert DISTINCT.search('SELECT DISTINCT "tickets_ticket"."id" FROM "tickets_ticket"')
    assert DISTINCT.search('SELECT COUNT(*) FROM (SELECT distinct "x"."id" FROM "x") subquery')
    assert not DISTINCT.search(
        'SELECT "tickets_ticket"."id" FROM "tickets_ticket" WHERE "x" = \'indistinct\''
    )
