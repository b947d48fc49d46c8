"""``get_<field>_display()`` without Django's per-call rebuild of the label map."""

from django.utils.choices import CallableChoiceIterator
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable

_labels_by_field: dict = {}


def _choice_labels(field) -> dict | None:
    """``{value: lazy label}`` of a field with fixed choices; None for callable choices."""
    if isinstance(field.choices, CallableChoiceIterator):
        return None
    labels = _labels_by_field.get(field)
    if labels is None:
        labels = _labels_by_field[field] = {make_hashable(value): label for value, label in field.flatchoices}
    return labels


class ChoiceLabelsMixin:
    """For models: the value -> label map of each choice field is built once.

    Django rebuilds it on every ``get_<field>_display()`` call, hashing each (lazy) label,
    which translates it: a list of 25 assets spent ~3 ms per page on its kind and patch labels.
    The label is still translated at call time, in the active language.
    """

    def _get_FIELD_display(self, field):  # noqa: N802 - Django's name, behind get_<field>_display()
        labels = _choice_labels(field)
        if labels is None:
            return super()._get_FIELD_display(field)
        value = getattr(self, field.attname)
        return force_str(labels.get(make_hashable(value), value), strings_only=True)
