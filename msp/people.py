"""How a person is named wherever the product shows one: their full name, else their username."""

from __future__ import annotations

from django.db.models import TextField, Value
from django.db.models.functions import Coalesce, Concat, NullIf, Trim


def display_name(user) -> str:
    """A person's name for pages, PDFs, mails and the API: "Giulia Rossi", not "grossi".

    Empty for no user (a deleted author); callers say "(deleted user)" where it matters.
    """
    if user is None:
        return ""
    full = f"{user.first_name or ''} {user.last_name or ''}".strip()
    return full or user.username


def display_name_expression():
    """``display_name`` in SQL, on a user query (``values_list(..., display_name_expression())``):
    for a query that names people among other rows in one result (audit.display)."""
    full = Trim(Concat(Coalesce("first_name", Value("")), Value(" "), Coalesce("last_name", Value(""))))
    return Coalesce(NullIf(full, Value("")), "username", output_field=TextField())
