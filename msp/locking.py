"""Locking a row again inside a service, when a concurrent request may have deleted it.

A service is handed a row its view read a moment before, and locks it again before it
decides (``select_for_update``), so two requests on one row queue rather than overwrite each
other. The second of two deletes (or of a delete and an edit) then finds the row gone: that
is not a bug, it is what a request sent a moment later gets, so it answers the same, a 404,
never a ``DoesNotExist`` 500. ``RowGone`` is an ``Http404`` for that reason: the API answers
it as JSON (DRF's handler makes it a NotFound) and the browser with its 404 page, and no
view has to catch it. ``tests/test_locking.py`` fails on a locked ``.get()`` that bypasses
``lock_row``.
"""

from __future__ import annotations

from django.db.models import Manager, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _


class RowGone(Http404):
    """The row was deleted by a concurrent request between its read and its lock."""


def lock_row(queryset: QuerySet | Manager, **lookup):
    """``queryset.get(**lookup)`` under a row lock (``select_for_update()`` unless the queryset
    already asks for one, e.g. ``of=("self",)``); ``RowGone`` when no row matches any more."""
    queryset = queryset.all()  # a manager (scoped, like every tenant-owned default) or a queryset
    if not queryset.query.select_for_update:
        queryset = queryset.select_for_update()
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist:
        raise RowGone(_("It was deleted a moment ago, by another request.")) from None
