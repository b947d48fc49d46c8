"""The lean read path of the API answers exactly what DRF would (issue 17).

`LeanModelSerializer` (msp/api/base.py) reads rows with a plan resolved once, copies fields
cheaply, and `msp.api.renderers.JSONRenderer` writes JSON with orjson. Each is checked here
against DRF's own code on the same input: every serializer on every row of a populated
tenant, every list and detail of the API byte for byte, and the renderer on awkward values.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections import OrderedDict
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.test import Client as HttpClient
from django.urls import get_resolver
from django.utils import timezone
from django.utils.translation import gettext_lazy
from djmoney.money import Money
from rest_framework import renderers, serializers
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList
from rest_framework.viewsets import GenericViewSet

from contracts.models import Contract
from msp.api import base
from msp.api.base import LeanModelSerializer, TenantModelSerializer
from msp.api.renderers import JSONRenderer
from msp.api.serializers import FISCAL_FIELDS, ClientSerializer
from msp.models import Client
from msp.scoping import tenant_scope
from tests.factories import ClientFactory
from tests.world import build_world
from tickets.models import Ticket

DRF = renderers.JSONRenderer()
LEAN = JSONRenderer()


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _lean_serializer_classes() -> list[type]:
    get_resolver().reverse_dict  # noqa: B018 - imports every view, so every serializer
    return [
        cls
        for cls in _subclasses(LeanModelSerializer)
        if hasattr(cls, "Meta") and cls.__module__.split(".")[0] != "tests"
    ]


# --- the renderer -------------------------------------------------------------------------


@dataclasses.dataclass
class Point:
    x: int


AWKWARD = {
    "decimal": Decimal("1234.50"),
    "negative_decimal": Decimal("-0.01"),
    "money_as_serializers_write_it": str(Money("99.90", "EUR").amount),
    "utc": dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC),
    "utc_micro": dt.datetime(2026, 3, 29, 1, 30, 5, 123456, tzinfo=dt.UTC),
    "rome": dt.datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("Europe/Rome")),
    "naive": dt.datetime(2026, 1, 1, 12, 0, 0, 1),
    "date": dt.date(2026, 2, 28),
    "time": dt.time(9, 15, 30, 250000),
    "duration": dt.timedelta(hours=1, minutes=30),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "none": None,
    "bools": [True, False],
    "ints": [0, -1, 2**63 - 1],
    "floats": [0.1, 2.5, 1e16, -0.0],
    "nested": [[1, [2, [3, {"a": [None, "b"]}]]], (4, 5), []],
    "unicode": 'è ☃ 😀 \u2028 line \u2029 para \t\n\r\b\f \x01\x1f \x7f \\ " /',
    "lazy": gettext_lazy("Unknown field."),
    "ordered": OrderedDict([("z", 1), ("a", 2)]),
    "return_dict": ReturnDict({"k": "v"}, serializer=None),
    "return_list": ReturnList([1, 2], serializer=None),
    "set": {3},
    "bytes": b"raw",
    "empty": {},
}


def test_the_renderer_writes_drfs_bytes():
    for key, value in AWKWARD.items():
        assert LEAN.render({key: value}) == DRF.render({key: value}), key
    assert LEAN.render(AWKWARD) == DRF.render(AWKWARD)
    assert LEAN.render(ReturnList([AWKWARD, AWKWARD], serializer=None)) == DRF.render([AWKWARD, AWKWARD])
    assert LEAN.render(None) == DRF.render(None) == b""


@pytest.mark.parametrize(
    "value",
    [
        {1: "int key", None: "none key"},  # orjson refuses non-string keys: DRF writes them
        {"big": 2**70},  # beyond 64 bits
        {"dataclass": Point(1)},  # DRF cannot: the same error
        {"aware_time": dt.time(9, tzinfo=dt.UTC)},  # DRF refuses aware times
    ],
)
def test_what_orjson_refuses_drf_renders_or_refuses_as_before(value):
    try:
        expected = DRF.render(value)
    except (TypeError, ValueError) as error:
        with pytest.raises(type(error)):
            LEAN.render(value)
    else:
        assert LEAN.render(value) == expected


def test_pretty_printed_answers_are_drfs():
    data = {"a": [1, {"b": "è"}]}
    assert LEAN.render(data, "application/json; indent=4") == DRF.render(data, "application/json; indent=4")
    assert LEAN.render(data, None, {"indent": 2}) == DRF.render(data, None, {"indent": 2})


def test_the_api_renders_with_it(settings):
    from rest_framework.settings import api_settings

    assert api_settings.DEFAULT_RENDERER_CLASSES[0] is JSONRenderer
    assert issubclass(JSONRenderer, renderers.JSONRenderer)  # the browsable API's default renderer


# --- the serializers ----------------------------------------------------------------------


def test_the_lean_base_classes_add_nothing_to_the_openapi_schema():
    """drf-spectacular shows a serializer's (inherited) docstring as its description."""
    assert LeanModelSerializer.__doc__ is None and TenantModelSerializer.__doc__ is None


def _drf(serializer, instance) -> dict:
    return serializers.Serializer.to_representation(serializer, instance)


@pytest.fixture
def world(db):
    world = build_world(2, slug="lean")
    with tenant_scope(world.tenant):
        # Values that test the shortcuts: microseconds, a time zone's edge, unicode, no contract.
        Ticket.objects.filter(pk=world.opened[Ticket].pk).update(
            created_at=dt.datetime(2026, 10, 25, 0, 59, 59, 999999, tzinfo=dt.UTC),
            subject='Stampante è ☃ 😀 \u2028 "quoted" \\',
            contract=None,
        )
        Client.objects.filter(pk=world.client.pk).update(notes="línea\u2029two\n\tthree")
    return world


def _api_viewsets():
    def walk(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from walk(pattern.url_patterns)
            elif isinstance(getattr(pattern.callback, "cls", None), type):
                yield pattern.callback.cls

    return {cls for cls in walk(get_resolver().url_patterns) if issubclass(cls, GenericViewSet)}


def _view_querysets(world) -> dict:
    """Each serializer's rows as its API viewset's list reads them (joins, annotations, prefetches)."""
    request = Request(APIRequestFactory().get("/"))
    request.membership = world.owner
    request.user = world.owner.user
    querysets = {}
    for viewset in _api_viewsets():
        view = viewset(request=request, format_kwarg=None, action="list", kwargs={})
        querysets[view.get_serializer_class()] = view.get_queryset()
    return querysets


@pytest.mark.parametrize("zone", ["UTC", "Europe/Rome", "America/New_York"])
def test_every_lean_serializer_writes_what_drf_writes_on_every_row(world, zone):
    classes = _lean_serializer_classes()
    assert len(classes) >= 15
    kinds_seen = set()
    with tenant_scope(world.tenant), timezone.override(zone):
        view_querysets = _view_querysets(world)
        for cls in classes:
            model = cls.Meta.model
            querysets = [model.objects.all()]
            if cls in view_querysets:
                querysets.append(view_querysets[cls])
            rows = 0
            for queryset in querysets:
                for instance in queryset:
                    serializer = cls(context={"request": None})
                    assert serializer.to_representation(instance) == _drf(serializer, instance), (
                        cls,
                        instance,
                    )
                    kinds_seen |= {how for _name, how, _key, _convert in serializer._lean_plan}
                    rows += 1
            assert rows, f"{cls.__name__}: no {model.__name__} in the world to check it on"
    assert kinds_seen == {base._VALUE, base._PK, base._DATETIME, base._METHOD, base._GENERIC}


def test_the_plan_goes_drfs_way_for_what_it_does_not_know(world):
    class Custom(serializers.CharField):
        def to_representation(self, value):
            return f"<{value}>"

    class Odd(LeanModelSerializer):
        name_shout = Custom(source="name")
        tenant_name = serializers.CharField(source="tenant.name")
        created = serializers.DateTimeField(source="created_at", format="%Y-%m-%d %H:%M")
        created_rome = serializers.DateTimeField(
            source="created_at", default_timezone=ZoneInfo("Europe/Rome")
        )
        created_iso = serializers.DateTimeField(source="created_at")
        currency_any = serializers.CharField(source="currency")
        tenant_link = serializers.SlugRelatedField(source="tenant", slug_field="slug", read_only=True)

        class Meta:
            model = Client
            fields = [
                "id",
                "name_shout",
                "tenant_name",
                "created",
                "created_rome",
                "created_iso",
                "currency_any",
                "tenant",
                "tenant_link",
                "timezone",
            ]

    with tenant_scope(world.tenant), timezone.override("Asia/Kolkata"):
        client = Client.objects.first()
        serializer = Odd()
        assert serializer.to_representation(client) == _drf(serializer, client)
        assert serializer.to_representation(client)["created_iso"].endswith("+05:30")
        plan = {name: how for name, how, _key, _convert in serializer._lean_plan}
        # Read by getattr, converted by the field's own to_representation (custom, other format,
        # its own time zone) or an exact shortcut; through other objects: DRF's way.
        assert (
            plan["name_shout"]
            == plan["created"]
            == plan["created_rome"]
            == plan["currency_any"]
            == base._VALUE
        )
        assert plan["created_iso"] == base._DATETIME and plan["tenant"] == base._PK
        assert plan["tenant_name"] == plan["tenant_link"] == base._GENERIC
        # Something that is not a row of the model: DRF's way entirely.
        row = {
            "id": 1,
            "name": "x",
            "created_at": timezone.now(),
            "currency": "EUR",
            "timezone": "UTC",
            "tenant": SimpleNamespace(pk=7, name="T", slug="t"),
        }
        assert serializer.to_representation(row) == _drf(serializer, row)
        # A deferred column of a row deleted meanwhile: DRF writes null for it.
        lonely = ClientFactory(tenant=world.tenant)
        gone = Client.objects.only("id").get(pk=lonely.pk)
        Client.objects.filter(pk=lonely.pk).delete()
        serializer = ClientSerializer()
        assert (
            serializer.to_representation(gone)
            == _drf(serializer, gone)
            == {
                "id": lonely.pk,
                **dict.fromkeys(
                    ["name", "currency", "timezone", "language", "billing_email", "phone", "notes",
                     "legal_name", *FISCAL_FIELDS, "sdi_code", "public_administration"]  # fmt: skip
                ),
            }
        )


def test_fields_are_copied_apart(world):
    """The cheap copy of a field keeps nothing one serializer changes from the next one."""
    from contracts.api.serializers import ContractSerializer, TierSerializer

    first = ContractSerializer()
    first.fields["currency"].choices = [("EUR", "EUR")]
    first.fields["name"].validators.append(lambda value: None)
    second = ContractSerializer()
    assert len(second.fields["currency"].choices) > 1
    assert len(second.fields["name"].validators) == len(first.fields["name"].validators) - 1
    tier = TierSerializer().fields["features"]
    assert tier is not TierSerializer().fields["features"]
    assert tier.child is not TierSerializer().fields["features"].child  # a field with a child: deep-copied


# --- the answers --------------------------------------------------------------------------


def _answers(world) -> dict[str, bytes]:
    http = HttpClient(headers={"authorization": f"Token {world.token}"})
    opened = world.opened
    contract = opened[Contract].pk
    lists = [
        "clients",
        "sites",
        "contacts",
        "members",
        "assets",
        "tiers",
        "recurring-services",
        "offers",
        "contracts",
        "tickets",
        "time-entries",
        "work-types",
        f"contracts/{contract}/blocks",
        f"contracts/{contract}/ledger",
        f"tickets/{opened[Ticket].pk}/comments",
    ]
    answers = {}
    for name in lists:
        response = http.get(f"/api/v1/{name}/?page_size=200")
        assert response.status_code == 200, name
        answers[name] = response.content
        results = response.json()["results"]
        assert results, f"{name}: the world has none"
        if "/" not in name:
            detail = http.get(f"/api/v1/{name}/{results[0]['id']}/")
            assert detail.status_code == 200, name
            answers[f"{name}/{{id}}"] = detail.content
    page = http.get("/api/v1/tickets/?page_size=2", HTTP_ACCEPT="text/html")  # the browsable API
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert b"&quot;results&quot;" in page.content
    return answers


def test_every_list_and_detail_answers_drfs_bytes(world, monkeypatch):
    lean = _answers(world)
    monkeypatch.setattr(LeanModelSerializer, "to_representation", serializers.Serializer.to_representation)
    monkeypatch.setattr(LeanModelSerializer, "get_fields", serializers.ModelSerializer.get_fields)
    monkeypatch.setattr(JSONRenderer, "render", renderers.JSONRenderer.render)
    drf = _answers(world)
    assert lean.keys() == drf.keys()
    for name in lean:
        assert lean[name] == drf[name], name
