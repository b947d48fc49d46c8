"""The server-side SVG charts: valid SVG, every value readable as text, escaping, scales."""

from decimal import Decimal
from xml.etree import ElementTree

import pytest
from django.template import Context, Template
from django.utils import translation

from reports.charts import Column, Series, column_chart, line_chart, nice_ceiling

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ElementTree.Element:
    """The chart's <svg>, parsed as XML: a chart that is not well-formed fails here (WeasyPrint
    would draw nothing)."""
    figure = ElementTree.fromstring(markup)
    assert figure.tag == "figure"
    return figure.find(f"{SVG}svg")


def texts(svg: ElementTree.Element) -> list[str]:
    return [t.text for t in svg.iter(f"{SVG}text")]


@pytest.mark.parametrize(
    ("value", "top"),
    [(Decimal("0.3"), Decimal("0.5")), (7, 10), (11, 20), (21, 25), (40, 50), (100, 100), (101, 200), (0, 1)],
)
def test_the_axis_top_is_a_round_number_not_below_the_largest_value(value, top):
    assert nice_ceiling(Decimal(value)) == top


def test_a_burn_down_with_a_dashed_forecast_writes_each_last_value_and_describes_every_point():
    svg = parse(
        line_chart(
            [
                Series("Balance", [Decimal("40"), Decimal("31.5"), 22, None]),
                Series("Forecast", [None, None, 22, 12], dashed=True, tone="muted"),
            ],
            "Hours left",
            ["Sep", "Oct", "Nov", "Dec"],
            y_unit=" h",
        )
    )
    assert svg.get("role") == "img"
    assert svg.find(f"{SVG}title").text == "Hours left"
    description = svg.find(f"{SVG}desc").text
    assert description == "Balance: Sep 40 h, Oct 31.5 h, Nov 22 h; Forecast: Nov 22 h, Dec 12 h"
    lines = svg.findall(f"{SVG}polyline")
    assert len(lines) == 2
    assert lines[1].get("stroke-dasharray")
    shown = texts(svg)
    assert {"22 h", "12 h"} <= set(shown)  # each series' last value
    assert "50 h" in shown  # the axis top: 40 rounded up
    assert {"Sep", "Dec", "Balance", "Forecast"} <= set(shown)


def test_a_negative_balance_draws_below_a_zero_line():
    svg = parse(line_chart([Series("Balance", [5, -3])], "Hours", ["a", "b"]))
    assert "-5" in texts(svg) or "−5" in texts(svg)
    assert "0" in texts(svg)


def test_stacked_columns_write_their_totals_and_name_every_layer():
    svg = parse(
        column_chart(
            [Column("W1", (3, 1), href="/tickets/?week=1"), Column("W2", (0, 0)), Column("W3", (2, 5))],
            "Tickets by week",
            stacked_names=["Opened", "Closed"],
            tones=["", "success"],
        )
    )
    description = svg.find(f"{SVG}desc").text
    assert description == "W1: Opened 3, Closed 1; W2: Opened 0, Closed 0; W3: Opened 2, Closed 5"
    shown = texts(svg)
    assert {"4", "0", "7"} <= set(shown)
    # Zero values draw nothing; the others one rectangle each.
    assert len(svg.findall(f".//{SVG}rect")) == 4
    assert svg.find(f"{SVG}g/{SVG}a").get("href") == "/tickets/?week=1"


def test_labels_are_escaped_and_numbers_follow_the_language():
    with translation.override("it"):
        markup = line_chart([Series("<script>", [Decimal("1.5")])], "A & B", ["<x>"], y_unit=" h")
    assert "<script>" not in markup
    svg = parse(markup)
    assert svg.find(f"{SVG}title").text == "A & B"
    assert "1,5 h" in texts(svg)


def test_template_tags_render_the_same_charts():
    rendered = Template(
        "{% load charts %}{% line_chart series 'Hours' labels y_unit=' h' %}{% column_chart cols 'Tickets' %}"
    ).render(Context({"series": [Series("B", [1, 2])], "labels": ["a", "b"], "cols": [Column("a", (1,))]}))
    assert rendered.count("<svg") == 2


def test_no_data_still_draws_an_empty_chart():
    parse(line_chart([], "Nothing", []))
    parse(column_chart([], "Nothing"))


def test_counts_get_whole_numbered_gridlines():
    svg = parse(column_chart([Column("a", (7,)), Column("b", (3,))], "Tickets"))
    assert {"0", "2", "4", "6", "8", "10"} <= set(texts(svg))
    assert "2.5" not in texts(svg)


def test_many_x_labels_are_thinned_and_the_last_never_overprints_its_neighbour():
    labels = [f"M{i}" for i in range(25)]
    svg = parse(line_chart([Series("B", list(range(25)))], "Hours", labels))
    shown = [t for t in texts(svg) if t.startswith("M")]
    assert shown == ["M0", "M3", "M6", "M9", "M12", "M15", "M18", "M21", "M24"]
    labels = [f"M{i}" for i in range(13)]
    svg = parse(line_chart([Series("B", list(range(13)))], "Hours", labels))
    assert [t for t in texts(svg) if t.startswith("M")] == ["M0", "M2", "M4", "M6", "M8", "M10", "M12"]
    labels = [f"M{i}" for i in range(14)]
    svg = parse(line_chart([Series("B", list(range(14)))], "Hours", labels))
    assert [t for t in texts(svg) if t.startswith("M")][-2:] == ["M10", "M12"]


def test_the_same_chart_renders_the_same_markup_every_time():
    def draw():
        return line_chart([Series("B", [1, 2])], "Hours", ["a", "b"])

    assert draw() == draw()
