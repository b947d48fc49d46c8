"""What the catalogue and contract forms share: the rules live in contracts.services."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext_lazy as _

from msp.forms.base import TenantModelForm

MONEY_INPUT = {"min": "0", "step": "0.01", "inputmode": "decimal"}


def amount_field(*, label, help_text="", required=False) -> forms.DecimalField:
    """An amount in the currency of the object being edited (it has one currency)."""
    return forms.DecimalField(
        label=label,
        help_text=help_text,
        required=required,
        min_value=0,
        max_digits=14,
        decimal_places=2,
        error_messages={"min_value": _("An amount cannot be negative.")},
        widget=forms.NumberInput(attrs=MONEY_INPUT),
    )


class FieldGroup:
    """A titled subset of a form's fields, renderable by includes/form_fields.html."""

    hidden_fields: tuple = ()
    non_field_errors: tuple = ()

    def __init__(self, form, title, names, *, key: str = ""):
        self.title = title
        self.key = key
        self.visible_fields = [form[name] for name in names if name in form.fields]


class ServiceValidatedForm(TenantModelForm):
    """A model form whose rules are a service's validator, shared with the API.

    After the model's own field checks, `service_validate()` runs on the constructed
    instance; its errors land on the matching fields (or the form, for the others).
    Constraint checks are left to the validator, which words them for people.
    """

    def service_validate(self) -> None:
        raise NotImplementedError

    def prepare_instance(self) -> None:
        """Copy what the model form does not (amounts, derived values) onto the instance."""

    def validate_constraints(self):
        pass

    def _post_clean(self):
        super()._post_clean()
        self.prepare_instance()
        try:
            self.service_validate()
        except ValidationError as exc:
            self.add_service_errors(exc)

    def add_service_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for field, errors in exc.error_dict.items():
            target = field if field in self.fields else None
            if field == NON_FIELD_ERRORS:
                target = None
            if target is not None and target in self._errors:
                continue  # the field already says what is wrong with it
            for error in errors:
                self.add_error(target, error)
