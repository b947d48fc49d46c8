"""Small UI tags for markup that repeats many times on a page (long selects, badges).

A ``{% for %}`` over 500 clients with an ``{% if %}`` per option costs more than the rest of
the page; building the same markup in one Python call keeps list pages flat at scale.
"""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from msp.forms.widgets import options_html
from msp.money import format_money
from msp.people import display_name

register = template.Library()


@register.simple_tag
def select_options(choices, selected=""):
    """``<option>`` tags for ``(value, label)`` pairs, the one equal to ``selected`` selected
    (compared as text, as a query-string value is)."""
    selected = {"" if selected is None else str(selected)}
    return mark_safe(options_html(choices, selected))  # noqa: S308 - escaped in options_html


@register.simple_tag
def badge(label, tone=""):
    """A badge; ``tone`` is one of info, success, warning, danger, muted or empty."""
    return format_html('<span class="badge{}">{}</span>', f" badge-{tone}" if tone else "", label)


@register.filter
def money(amount, currency=None):
    """``{{ line.amount|money:contract.currency }}``: money in one style on every page (see
    ``msp.money.format_money``); Money values need no currency."""
    return format_money(amount, currency)


@register.filter
def person(user) -> str:
    """{{ comment.author|person }}: the person's full name, else their username."""
    return display_name(user)


@register.filter
def can(membership, permission: str) -> bool:
    """{% if current_membership|can:"mailbox.view" %}: whether the member holds a permission of
    msp/roles.py (a tab or a button shown only to those who may use it)."""
    return membership is not None and membership.has_perm(permission)


@register.filter
def iban(number) -> str:
    """An IBAN as people read it: in groups of four ("IT60 X054 2811 …")."""
    compact = "".join(str(number or "").split()).upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
