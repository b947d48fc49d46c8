"""Widgets for choices that run long (an MSP with 500 clients and 10,000 assets)."""

from html import escape

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.utils import flatatt
from django.utils.safestring import mark_safe


def options_html(choices, selected: set[str]) -> str:
    """``<option>`` tags for ``(value, label)`` pairs (optgroups for nested pairs), those whose
    value is in ``selected`` (as text) selected. The standard library's escape: Django's
    format_html per option costs ten times as much. Not marked safe: callers do."""
    parts = []
    for value, label in choices:
        if isinstance(label, list | tuple):
            parts.append(f'<optgroup label="{escape(str(value))}">{options_html(label, selected)}</optgroup>')
            continue
        value = "" if value is None else str(value)
        mark = " selected" if value in selected else ""
        parts.append(f'<option value="{escape(value)}"{mark}>{escape(str(label))}</option>')
    return "".join(parts)


def choice_rows(choices):
    """The choices to render, read as ``(pk, label)`` rows when they are a model field's
    queryset over a model whose ``str()`` is one column (its ``CHOICE_LABEL``).

    A 500-client dropdown then builds no model instances: a few milliseconds on every page
    that filters or picks by client. Fields that label or key their options another way
    (``label_from_instance``, ``to_field_name``) keep Django's iterator.
    """
    if not isinstance(choices, ModelChoiceIterator):
        return choices
    field, queryset = choices.field, choices.queryset
    label = getattr(queryset.model, "CHOICE_LABEL", None)
    default_label = type(field).label_from_instance is forms.ModelChoiceField.label_from_instance
    if label is None or not default_label or field.to_field_name or queryset._prefetch_related_lookups:
        return choices
    head = [("", field.empty_label)] if field.empty_label is not None else []
    if getattr(field, "null_label", None) is not None:  # django-filter's "none of them" choice
        head.append((field.null_value, field.null_label))
    return [*head, *queryset.values_list("pk", label)]


class QuickSelect(forms.Select):
    """A ``<select>`` whose options are built in one pass.

    Django's Select renders a template per option: a 500-client dropdown costs about 40 ms,
    more than the rest of a list page. The markup is the same; only ``option_template_name``
    overrides are not honoured, so keep this for plain selects.
    """

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        selected = {str(v) for v in self.format_value(value)}
        # Attributes through flatatt, every value and label escaped in options_html.
        return mark_safe(  # noqa: S308
            f'<select name="{escape(name)}"{flatatt(final_attrs)}>{options_html(choice_rows(self.choices), selected)}</select>'
        )
