"""QuickRenderer: the markup of Django's widget templates, built without them."""

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from msp.forms.renderers import QuickRenderer

HOSTILE = '"><script>alert(1)</script>&amp;'

WIDGETS = [
    (
        forms.TextInput(attrs={"placeholder": gettext_lazy("Search"), "autofocus": True, "hidden": False}),
        "Acme & Co",
    ),
    (forms.TextInput(attrs={"data-x": HOSTILE}), HOSTILE),
    (forms.TextInput(), mark_safe("<b>trusted</b>")),
    (forms.TextInput(), None),
    (forms.TextInput(), ""),
    (forms.NumberInput(attrs={"min": 0, "step": Decimal("0.25")}), Decimal("12.50")),
    (forms.NumberInput(), 0),
    (forms.EmailInput(), "a@example.com"),
    (forms.URLInput(), "https://example.com/?a=1&b=2"),
    (forms.PasswordInput(render_value=True), "secret"),
    (forms.PasswordInput(), "secret"),
    (forms.HiddenInput(), 42),
    (forms.DateInput(attrs={"type": "date"}), date(2026, 11, 23)),
    (forms.DateTimeInput(), datetime(2026, 11, 23, 9, 30)),
    (forms.TimeInput(), time(9, 30)),
    (forms.CheckboxInput(), True),
    (forms.CheckboxInput(), False),
    (forms.Textarea(attrs={"rows": 4}), "line one\n<line two>"),
    (forms.Textarea(), ""),
    (forms.Textarea(), None),
    (forms.Textarea(), HOSTILE),
    (forms.Select(choices=[("", "---"), ("a", "Alpha & Co"), (HOSTILE, HOSTILE)]), "a"),
    (forms.Select(choices=[("x", "X"), ("Group <1>", [(1, "One"), (2, Decimal("2.5"))])]), 2),
    (forms.Select(choices=[(1, gettext_lazy("Search"))], attrs={"data-autosubmit": True}), None),
    (forms.NullBooleanSelect(), True),
    (forms.SelectMultiple(choices=[(1, "One"), (2, "Two"), (3, "Three")]), [1, 3]),
    (forms.Select(choices=[]), None),
]


@pytest.mark.parametrize(
    ("widget", "value"), WIDGETS, ids=lambda p: type(p).__name__ if isinstance(p, forms.Widget) else None
)
def test_quick_renderer_builds_what_django_templates_build(widget, value):
    attrs = {"id": "id_field", "required": True, "aria-describedby": "id_field_helptext"}
    quick = widget.render("field", value, attrs=attrs, renderer=QuickRenderer())
    django = widget.render("field", value, attrs=attrs, renderer=DjangoTemplates())
    assert quick == django
    with translation.override("it"):  # localised labels (2,5) and lazy texts
        quick = widget.render("field", value, attrs=attrs, renderer=QuickRenderer())
        assert quick == widget.render("field", value, attrs=attrs, renderer=DjangoTemplates())
    assert "<script>" not in quick


def test_every_fast_path_is_taken_and_other_widgets_keep_their_templates():
    renderer = QuickRenderer()
    assert len(renderer.builders()) == 16  # 14 input widgets, textarea, select: none overridden
    radio = forms.RadioSelect(choices=[("a", "A")])  # its own templates, through the engine
    assert radio.render("s", "a", renderer=renderer) == radio.render("s", "a", renderer=DjangoTemplates())


def test_a_form_renders_through_the_project_renderer():
    class Form(forms.Form):
        note = forms.CharField(widget=forms.Textarea)

    assert isinstance(Form().renderer, QuickRenderer)
    assert (
        str(Form()["note"]) == '<textarea name="note" cols="40" rows="10" required id="id_note">\n</textarea>'
    )


def test_an_overridden_widget_template_is_honoured(tmp_path):
    """A project that overrides input.html gets its template, not the built-in fast path."""
    from pathlib import Path

    import django.forms
    from django.utils.functional import cached_property

    widgets = tmp_path / "django/forms/widgets"
    widgets.mkdir(parents=True)
    (widgets / "input.html").write_text('<input class="ours" name="{{ widget.name }}">')

    class Overridden(QuickRenderer):
        @cached_property
        def engine(self):
            dirs = [tmp_path, Path(django.forms.__file__).parent / "templates"]
            return self.backend({"APP_DIRS": False, "DIRS": dirs, "NAME": "overridden", "OPTIONS": {}})

    renderer = Overridden()
    # The inputs stand aside; the textarea and select use no input.html and keep theirs.
    assert set(renderer.builders()) == {
        "django/forms/widgets/select.html",
        "django/forms/widgets/textarea.html",
    }
    assert forms.TextInput().render("q", "x", renderer=renderer) == '<input class="ours" name="q">'
