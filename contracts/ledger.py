"""The hour ledger as a statement: each row described, at read time, in the reader's language.

A ledger row points at its source generically (``source_kind`` + ``source_id``): contracts/
never imports the apps that draw minutes. Those apps register a loader here on ready (see
``timetracking.apps``) that reads the sources of a page of rows in one query; the words
around them (credit, expiry, reversal) are translated when the page is shown, never stored.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from contracts.models import LedgerEntry, LedgerKind


@dataclass(frozen=True)
class LedgerSource:
    """What drew the minutes: a ticket (number and subject), a person, their work note."""

    ticket_id: int
    ticket_subject: str
    person: str
    note: str
    worked_at: datetime | None = None  # when the work was done (a time entry's start)

    @property
    def ticket_label(self) -> str:
        return f"#{self.ticket_id} {self.ticket_subject}"

    def describe(self) -> str:
        if self.note:
            return _("%(ticket)s · %(person)s: %(note)s") % {
                "ticket": self.ticket_label,
                "person": self.person,
                "note": self.note,
            }
        return _("%(ticket)s · %(person)s") % {"ticket": self.ticket_label, "person": self.person}


# source kind -> loader(ids) -> {id: LedgerSource}; one query per kind per page.
SourceLoader = Callable[[list[int]], dict[int, LedgerSource]]
_loaders: dict[str, SourceLoader] = {}


def register_ledger_source(kind: str, loader: SourceLoader) -> None:
    _loaders[kind] = loader


def _describe(row: LedgerEntry, source: LedgerSource | None) -> str:
    if row.kind == LedgerKind.CREDIT:
        origin = row.block.get_origin_display() if row.block_id is not None else ""
        return _("Hour block bought (%(origin)s)") % {"origin": origin} if origin else _("Hour block bought")
    if row.kind == LedgerKind.EXPIRY:
        return _("Unused minutes expired")
    if source is not None:
        text = source.describe()
        return _("Given back: %(entry)s") % {"entry": text} if row.kind == LedgerKind.REVERSAL else text
    if row.source_id is not None:
        # The source is gone (a deleted time entry): say what it was.
        if row.kind == LedgerKind.REVERSAL:
            return _("Given back: time entry %(number)s, deleted") % {"number": row.source_id}
        return _("Time entry %(number)s, since deleted") % {"number": row.source_id}
    return row.note


def ledger_describe(rows: Iterable[LedgerEntry]) -> list[LedgerEntry]:
    """Set ``description`` (and ``source``) on each row of a page: one query per source kind.

    Read `block` with the rows (``select_related("block")``) so credits cost no query."""
    rows = list(rows)
    wanted: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        if row.source_kind in _loaders and row.source_id is not None:
            wanted[row.source_kind].add(row.source_id)
    found = {kind: _loaders[kind](sorted(ids)) for kind, ids in wanted.items()}
    for row in rows:
        row.source = found.get(row.source_kind, {}).get(row.source_id)
        row.description = _describe(row, row.source)
    return rows
