"""QuickSelect and {% select_options %}: Django's Select markup in one pass, escaped."""

from django import forms
from django.template import Context, Template

from msp.forms.widgets import QuickSelect


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
    assert rendered == '<option value="7" selected>&lt;b&gt;Rossi&lt;/b&gt;</option><option value="8">Verdi</option>'
