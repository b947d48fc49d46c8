"""The project's form renderer: Django's, with the plain widgets built in one Python call.

Django renders every widget through three small templates (the widget's, ``input.html`` and
``attrs.html``): about half a millisecond each here, so a 15-field offer builder spent a third
of its time on its inputs. The markup is the same, byte for byte
(``tests/msp/test_renderers.py`` compares both renderers); a project or app template that
overrides one of these widget templates is honoured because the fast path then stands aside.
"""

from django.forms.renderers import DjangoTemplates
from django.template import TemplateDoesNotExist
from django.utils.html import conditional_escape, escape

WIDGETS = "django/forms/widgets/"
# Widget templates that are exactly {% include "django/forms/widgets/input.html" %}.
INPUT_TEMPLATES = {
    f"{WIDGETS}{name}.html"
    for name in (
        "checkbox", "color", "date", "datetime", "email", "file", "hidden", "number",
        "password", "search", "tel", "text", "time", "url",
    )
}
TEXTAREA_TEMPLATE = f"{WIDGETS}textarea.html"


def attrs_html(attrs: dict) -> str:
    """attrs.html: True as a bare attribute, False left out, every value escaped."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{conditional_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def input_html(widget: dict) -> str:
    value = widget["value"]
    value_html = "" if value is None else f' value="{conditional_escape(value)}"'
    return (
        f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"'
        f'{value_html}{attrs_html(widget["attrs"])}>'
    )


def textarea_html(widget: dict) -> str:
    value = widget["value"]
    return (
        f'<textarea name="{escape(widget["name"])}"{attrs_html(widget["attrs"])}>\n'
        f"{conditional_escape(value) if value else ''}</textarea>"
    )


class QuickRenderer(DjangoTemplates):
    """Django's default renderer; inputs and textareas skip the template engine."""

    def __init__(self):
        super().__init__()
        self._builders = None

    def builders(self) -> dict:
        """Template name -> builder, for the widget templates nobody has overridden."""
        if self._builders is None:
            builders = dict.fromkeys(INPUT_TEMPLATES, input_html)
            builders[TEXTAREA_TEMPLATE] = textarea_html
            shared = [f"{WIDGETS}input.html", f"{WIDGETS}attrs.html"]
            if not all(self.is_django_own(name) for name in shared):
                builders = {}
            self._builders = {name: build for name, build in builders.items() if self.is_django_own(name)}
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
            return build(context["widget"])
        return super().render(template_name, context, request)
