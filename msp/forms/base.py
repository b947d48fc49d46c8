from django import forms

from msp.forms.widgets import QuickSelect
from msp.scoping import TenantManager


class TenantFormMixin:
    """Rebuild choice fields over tenant-owned models inside the request's scope.

    ModelForm builds its choice fields once, at import, outside any scope; rebuilding them
    here makes every dropdown list only the member's tenant (and client) rows. Plain selects
    become ``QuickSelect``: tenant rows grow with the tenant, and time zones are 600 options.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                manager = field.queryset.model._default_manager
                if isinstance(manager, TenantManager):
                    field.queryset = manager.all()
            if isinstance(field, forms.ChoiceField) and type(field.widget) is forms.Select:
                field.widget = QuickSelect(attrs=field.widget.attrs, choices=field.choices)


class TenantModelForm(TenantFormMixin, forms.ModelForm):
    pass
