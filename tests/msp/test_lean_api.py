"""The API's JSON renderer writes what DRF's writes (issue 17): checked against DRF on awkward values."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections import OrderedDict
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import gettext_lazy
from djmoney.money import Money
from rest_framework import renderers
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from msp.api.renderers import JSONRenderer

DRF = renderers.JSONRenderer()
LEAN = JSONRenderer()


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
    "unicode": "è ☃ 😀 \u2028 line \u2029 para \t\n\r\b\f \x01\x1f \x7f \\ \" /",
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
