"""QuickSelect and {% select_options %}: Django's Select markup in one pass, escaped."""

from django import forms
from django.template import Context, Template

from msp.forms.widgets import QuickSelect, choice_rows


def test_quick_select_renders_what_django_select_renders():
    choices = [("", "---------"), (1, "Acme"), ("Group", [(2, "Bellini"), (3, "Conti")])]
    quick = QuickSelect(choices=choices).render("client", 2, attrs={"id": "id_client", "required": True})
    plain = forms.Select(choices=choices).render("client", 2, attrs={"id": "id_client", "required": True})
    assert quick == "".join(line.strip() for line in plain.splitlines())


def test_names_cannot_break_out_of_the_markup():
    hostile = '"><script>alert(1)</script>'
    html = QuickSelect(choices=[(hostile, hostile)]).render("x", None)
    assert "<script>" not in html and "&lt;script&gt;" in html and 'value="&quot;&gt;' in html
    rendered = Template("{% load ui %}{% select_options choices picked %}").render(
        Context({"choices": [(7, "<b>Rossi</b>"), (8, "Verdi")], "picked": "7"})
    )
    assert (
        rendered
        == '<option value="7" selected>&lt;b&gt;Rossi&lt;/b&gt;</option><option value="8">Verdi</option>'
    )


def _models_with_choice_label():
    from django.apps import apps

    return [model for model in apps.get_models() if getattr(model, "CHOICE_LABEL", None)]


def test_a_choice_label_is_what_str_shows():
    """Dropdowns read CHOICE_LABEL instead of calling str(): the two must agree."""
    models = _models_with_choice_label()
    assert {"Client", "Site", "Contact", "Asset"} <= {model.__name__ for model in models}
    for model in models:
        row = model(**{model.CHOICE_LABEL: "Bellini & Figli"})
        assert str(row) == "Bellini & Figli", model


def test_model_choices_render_as_django_renders_them_without_instances(tenant, django_assert_num_queries):
    from django_filters import rest_framework as filters

    from msp.models import Client
    from msp.scoping import tenant_scope
    from tests.factories import ClientFactory

    ClientFactory(tenant=tenant, name="Conti <srl>")
    acme = ClientFactory(tenant=tenant, name="Acme")

    class ClientFilter(filters.FilterSet):
        client = filters.ModelChoiceFilter(
            queryset=Client.objects.order_by("name"), null_label="(none)", widget=QuickSelect
        )

    class ClientForm(forms.Form):
        client = forms.ModelChoiceField(queryset=Client.objects.order_by("name"), widget=QuickSelect)

    with tenant_scope(tenant):
        for field in (
            ClientForm().fields["client"],
            ClientFilter(queryset=Client.objects.all()).form.fields["client"],
        ):
            field.queryset = Client.objects.order_by("name")  # inside the scope
            assert isinstance(choice_rows(field.widget.choices), list)  # rows, not instances
            with django_assert_num_queries(1):
                quick = field.widget.render("client", acme.pk)
            assert '<option value="">---------</option>' in quick and "Conti &lt;srl&gt;" in quick
            plain = forms.Select(choices=field.choices).render("client", acme.pk)
            assert quick == "".join(line.strip() for line in plain.splitlines())
