"""How a person is named wherever the product shows one: their full name, else their username."""

from __future__ import annotations


def display_name(user) -> str:
    """A person's name for pages, PDFs, mails and the API: "Giulia Rossi", not "grossi".

    Empty for no user (a deleted author); callers say "(deleted user)" where it matters.
    """
    if user is None:
        return ""
    full = f"{user.first_name or ''} {user.last_name or ''}".strip()
    return full or user.username
