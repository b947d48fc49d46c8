"""The project's form renderer: Django's, with the plain widgets built in one Python call.

Django renders every widget through three small templates (the widget's, ``input.html`` and
``attrs.html``): about half a millisecond each here, so a 15-field offer builder spent a third
of its time on its inputs. The markup is the same, byte for byte
(``tests/msp/test_renderers.py`` compares both renderers); a project or app template that
overrides one of the templates a widget uses is honoured: that widget's fast path stands aside.
"""

from django.forms.renderers import DjangoTemplates
from django.template import Context, TemplateDoesNotExist
from django.template.base import render_value_in_context
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe

WIDGETS = "django/forms/widgets/"
# Widget templates that are exactly {% include "django/forms/widgets/input.html" %}.
INPUT_TEMPLATES = {
    f"{WIDGETS}{name}.html"
    for name in (
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "file",
        "hidden",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    )
}
TEXTAREA_TEMPLATE = f"{WIDGETS}textarea.html"
SELECT_TEMPLATE = f"{WIDGETS}select.html"
OPTION_TEMPLATE = f"{WIDGETS}select_option.html"
_CONTEXT = Context()  # what the widget templates render in: autoescape, default l10n and tz


def shown(value) -> str:
    """``{{ value }}``: localised and escaped, as the template engine shows it."""
    return render_value_in_context(value, _CONTEXT)


def shown_s(value) -> str:
    """``{{ value|stringformat:'s' }}``: text first (no localisation), then escaped."""
    text = "%s" % (str(value) if isinstance(value, tuple) else value)  # noqa: UP031 - the filter's own
    return conditional_escape(mark_safe(text) if isinstance(value, SafeData) else text)  # noqa: S308


def attrs_html(attrs: dict) -> str:
    """attrs.html: True as a bare attribute, False left out, every value escaped."""
    return "".join(
        f" {shown(name)}" if value is True else f' {shown(name)}="{shown_s(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def input_html(widget: dict) -> str:
    value = widget["value"]
    value_html = "" if value is None else f' value="{shown_s(value)}"'
    return f'<input type="{shown(widget["type"])}" name="{shown(widget["name"])}"{value_html}{attrs_html(widget["attrs"])}>'


def textarea_html(widget: dict) -> str:
    value = widget["value"]
    return f'<textarea name="{shown(widget["name"])}"{attrs_html(widget["attrs"])}>\n{shown(value) if value else ""}</textarea>'


def option_html(option: dict) -> str:
    return f'<option value="{shown_s(option["value"])}"{attrs_html(option["attrs"])}>{shown(option["label"])}</option>'


def select_html(widget: dict) -> str | None:
    """select.html with select_option.html, line breaks included (None: other options)."""
    parts = [f'<select name="{shown(widget["name"])}"{attrs_html(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{shown(group_name)}">')
        for option in options:
            if option["template_name"] != OPTION_TEMPLATE:
                return None
            parts.append(f"\n  {option_html(option)}\n")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class QuickRenderer(DjangoTemplates):
    """Django's default renderer; inputs, textareas and selects skip the template engine."""

    def __init__(self):
        super().__init__()
        self._builders = None

    def builders(self) -> dict:
        """Template name -> builder, for the widgets none of whose templates is overridden."""
        if self._builders is None:
            attrs = f"{WIDGETS}attrs.html"
            replicas = {name: (input_html, (name, f"{WIDGETS}input.html", attrs)) for name in INPUT_TEMPLATES}
            replicas[TEXTAREA_TEMPLATE] = (textarea_html, (TEXTAREA_TEMPLATE, attrs))
            replicas[SELECT_TEMPLATE] = (select_html, (SELECT_TEMPLATE, OPTION_TEMPLATE, attrs))
            self._builders = {
                name: build
                for name, (build, templates) in replicas.items()
                if all(self.is_django_own(template) for template in templates)
            }
        return self._builders

    def is_django_own(self, template_name: str) -> bool:
        """Whether the template the engine would load is Django's own file (no override)."""
        try:
            origin = self.get_template(template_name).origin.name
        except TemplateDoesNotExist:
            return False
        return origin.replace("\\", "/").endswith(f"django/forms/templates/{template_name}")

    def render(self, template_name, context, request=None):
        build = self.builders().get(template_name)
        if build is not None and request is None and set(context) == {"widget"}:
            html = build(context["widget"])
            if html is not None:
                return html
        return super().render(template_name, context, request)
