"""A model's search over several text fields from one column and one trigram index.

The API's ``?search=`` (and a browser list's ``q``) over several fields is DRF's: each term
must be a case-insensitive substring of one of the fields, an OR of ``icontains``. PostgreSQL
estimates each ``UPPER(field) LIKE '%TERM%'`` from the statistics of the whole table. A term
that is rare in a big tenant but common in small ones (issue 17: a host-name stem matching
100 of the main tenant's 10,000 assets and 100 of each small tenant's 400) then looks ten
times as common as it is in this tenant, and the planner reads all of the tenant's rows with a
filter instead of the trigram indexes: 15 ms at 10,000 assets, growing with the tenant.

So the model keeps one generated column, ``search_column(fields)``: the tenant's id, then each
field upper-cased, separated by U+001F (the ASCII unit separator)::

    7␟LAP-000123␟HOST000123.CLIENT6.LAN␟SN00000123

and a term is one LIKE on it that starts with the tenant: ``'7␟%HOST0001%'``. ANALYZE samples
that column with the tenant in it, so the estimate is of this tenant's matches, not the
table's; and the tenant's id is one of the trigrams the index looks up, so the index answers
this tenant's candidates only (one GIN index, no btree_gin needed). The matches are exactly
those of the OR of ``icontains``, on SQLite and on PostgreSQL alike:

* a term without the separator cannot match across two fields, nor in the tenant's id (the
  pattern starts after it); a term that holds the separator (nobody types U+001F) is
  searched field by field, the slow way, so nothing changes even then;
* case is folded by the database on both sides, as Django's ``icontains`` does (PostgreSQL's
  ``UPPER``; SQLite's ``UPPER`` and ``LIKE`` both fold ASCII only);
* ``%``, ``_`` and ``\\`` in a term are escaped as ``icontains`` escapes them.

Outside a tenant's scope (cross-tenant code under ``unscoped()``) the pattern is
``'%␟%TERM%'``: the same matches in every tenant, from the table's estimate.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from operator import or_

from django.db.models import F, Lookup, Q, TextField, Value
from django.db.models.functions import Cast, Concat, Upper
from rest_framework.filters import search_smart_split

from msp.scoping import current_scope

SEPARATOR = "\x1f"


def search_terms(text: str) -> list[str]:
    """The terms of a search box, split as the API's ``?search=`` splits them: at whitespace
    and commas, a quoted phrase kept whole."""
    return search_smart_split(text.strip())


def search_column(*fields: str) -> Concat:
    """The generated column's expression (``GeneratedField(expression=..., db_persist=True)``)."""
    parts = [Cast("tenant", output_field=TextField())]
    for field in fields:
        parts += [Value(SEPARATOR), Upper(field)]
    return Concat(*parts, output_field=TextField())


class _Like(Lookup):
    """``column LIKE pattern`` with the pattern folded and escaped as ``icontains`` does it
    (the column holds upper-cased text already)."""

    lookup_name = "msp_search_like"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} {connection.operators['icontains'] % rhs}", (*lhs_params, *rhs_params)


def _escaped(term: str) -> str:
    # What Django's icontains does to its value (a backslash, then % and _), on every backend.
    return term.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")


def search_conditions(terms: Sequence[str], *, column: str, fields: Sequence[str]) -> list:
    """One condition per term, all of which a row must meet: the term is in one of ``fields``,
    read from ``column`` (``search_column(*fields)``) for the active scope's tenant."""
    scope = current_scope()
    prefix = f"{scope.tenant_id}{SEPARATOR}" if scope is not None else f"%{SEPARATOR}"
    conditions = []
    for term in terms:
        if SEPARATOR in term:
            conditions.append(reduce(or_, (Q(**{f"{field}__icontains": term}) for field in fields)))
        else:
            conditions.append(_Like(F(column), Value(f"{prefix}%{_escaped(term)}%")))
    return conditions
