"""Writes of the inventory: the CSV import.

``asset_import_csv`` is the one path the browser and the API take. It reads the whole
file first (a malformed file is refused before anything is looked at), decides each row's
fate against the tenant's inventory held in memory (a few queries, whatever the size),
then writes the creates and updates in bulk, all inside one transaction. Rejected rows
write nothing, so a file whose rows are all rejected leaves the database untouched; a row
that matches an asset without changing it is "unchanged", so re-importing a file is a
no-op.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assets.choices import AssetKind, ImportOutcome
from assets.models import Asset
from msp.models import Client, Site
from msp.scoping import scoped_by

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 10_000
# A file names at most this many columns (it needs 13); checked on the first line's raw
# separators before the csv module splits it, so a 500 KB header of 75,000 names costs nothing.
MAX_IMPORT_COLUMNS = 100
# An error names at most this many unknown columns, then says how many more there are.
_NAMED_AT_MOST = 5

# The columns a file may name, in the order the import page lists them.
IMPORT_COLUMNS = (
    "client",
    "kind",
    "name",
    "hostname",
    "serial",
    "manufacturer",
    "model",
    "operating_system",
    "purchase_date",
    "warranty_expires",
    "site",
    "monitored",
    "notes",
)
REQUIRED_COLUMNS = ("client", "kind", "name")
COLUMN_ALIASES = {
    "os": "operating_system",
    "serial_number": "serial",
    "warranty_expiry": "warranty_expires",
}
TEXT_COLUMNS = ("name", "hostname", "serial", "manufacturer", "model", "operating_system", "notes")
DATE_COLUMNS = ("purchase_date", "warranty_expires")
TRUE_WORDS = frozenset({"true", "yes", "y", "1", "on"})
FALSE_WORDS = frozenset({"false", "no", "n", "0", "off"})
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DMY_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_CHUNK = 500


@dataclass
class RowResult:
    """One data row of the file and what the import did with it."""

    line: int
    outcome: str
    name: str = ""
    asset_id: int | None = None
    errors: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    asset: Asset | None = field(default=None, repr=False)

    @property
    def message(self) -> str:
        if self.errors:
            return "; ".join(self.errors)
        if self.changes:
            return _("Changed: %(fields)s") % {"fields": ", ".join(self.changes)}
        return ""

    def get_outcome_display(self) -> str:
        return ImportOutcome(self.outcome).label

    def as_dict(self) -> dict:
        return {
            "line": self.line,
            "status": self.outcome,
            "name": self.name,
            "asset": self.asset_id,
            "changes": self.changes,
            "errors": self.errors,
        }


@dataclass
class ImportReport:
    rows: list[RowResult]

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def counts(self) -> dict[str, int]:
        return {outcome: self.count(outcome) for outcome in ImportOutcome.values}

    @property
    def written(self) -> bool:
        return any(row.outcome in (ImportOutcome.CREATED, ImportOutcome.UPDATED) for row in self.rows)

    @property
    def all_rejected(self) -> bool:
        return bool(self.rows) and all(row.outcome == ImportOutcome.REJECTED for row in self.rows)

    def as_dict(self) -> dict:
        return {**self.counts, "rows": [row.as_dict() for row in self.rows]}


# --- reading the file ------------------------------------------------------------------


def asset_import_decode(*, data: bytes) -> str:
    """The text of an uploaded file: at most MAX_IMPORT_BYTES of UTF-8 (a BOM is allowed)."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError(
            _("The file is larger than %(size)d MB.") % {"size": MAX_IMPORT_BYTES // (1024 * 1024)},
            code="too_large",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            _("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."), code="encoding"
        ) from None


def _delimiter(first_line: str) -> str:
    """Comma, semicolon (spreadsheets in many European locales) or tab: the header decides."""
    counts = {sep: first_line.count(sep) for sep in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _normalise_column(name: str) -> str:
    name = re.sub(r"[\s\-]+", "_", name.strip().lower())
    return COLUMN_ALIASES.get(name, name)


def _read(file_text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header (canonical column names) and the data rows with their line numbers."""
    if len(file_text) > MAX_IMPORT_BYTES:
        raise ValidationError(
            _("The file is larger than %(size)d MB.") % {"size": MAX_IMPORT_BYTES // (1024 * 1024)},
            code="too_large",
        )
    file_text = file_text.removeprefix("\ufeff")
    first_line = file_text.split("\n", 1)[0]
    delimiter = _delimiter(first_line)
    if first_line.count(delimiter) >= MAX_IMPORT_COLUMNS:
        # A quoted name may hold the separator, so this may over-count: only files far past
        # any real header (13 columns) are refused for it.
        raise ValidationError(
            _("The file has more than %(max)d columns. The columns are: %(known)s.")
            % {"max": MAX_IMPORT_COLUMNS, "known": ", ".join(IMPORT_COLUMNS)},
            code="too_many_columns",
        )
    reader = csv.reader(io.StringIO(file_text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue  # blank lines
            if header is None:
                header = _check_header(cells)
                continue
            rows.append((reader.line_num, cells))
            if len(rows) > MAX_IMPORT_ROWS:
                raise ValidationError(
                    _("The file has more than %(max)d rows. Split it into smaller files.")
                    % {"max": MAX_IMPORT_ROWS},
                    code="too_many_rows",
                )
    except csv.Error as error:
        raise ValidationError(
            _("The file is not valid CSV (line %(line)d: %(error)s).")
            % {"line": reader.line_num, "error": error},
            code="malformed",
        ) from None
    if header is None:
        raise ValidationError(
            _("The file is empty. Its first line must name the columns, e.g. %(example)s.")
            % {"example": "client,kind,name,hostname,serial"},
            code="no_header",
        )
    if not rows:
        raise ValidationError(_("The file names its columns but has no rows."), code="no_rows")
    return header, rows


def _check_header(cells: list[str]) -> list[str]:
    while cells and not cells[-1].strip():
        cells = cells[:-1]  # a trailing separator
    header = [_normalise_column(cell) for cell in cells]
    errors = []
    if any(not name for name in header):
        errors.append(_("Every column of the first line needs a name."))
    unknown = [
        cell.strip() for cell, name in zip(cells, header, strict=True) if name and name not in IMPORT_COLUMNS
    ]
    if unknown:
        errors.append(
            _(
                "Unknown columns: %(unknown)s. The columns are: %(known)s (“os” may stand for operating_system)."
            )
            % {"unknown": _name_some(unknown), "known": ", ".join(IMPORT_COLUMNS)}
        )
    duplicates = sorted(name for name, times in Counter(header).items() if name and times > 1)
    if duplicates:
        errors.append(_("Columns named twice: %(names)s.") % {"names": ", ".join(duplicates)})
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        errors.append(_("Missing required columns: %(names)s.") % {"names": ", ".join(missing)})
    if errors:
        raise ValidationError(errors, code="bad_header")
    return header


def _name_some(names: list[str]) -> str:
    """The first few names, then how many more: an error never echoes a whole file back."""
    shown = ", ".join(names[:_NAMED_AT_MOST])
    if len(names) <= _NAMED_AT_MOST:
        return shown
    more = len(names) - _NAMED_AT_MOST
    return _("%(names)s and %(more)s more") % {"names": shown, "more": f"{more:,}"}


# --- deciding each row -----------------------------------------------------------------


def _parse_date(value: str) -> date:
    if match := _ISO_DATE.match(value):
        year, month, day = match.groups()
    elif match := _DMY_DATE.match(value):
        day, month, year = match.groups()
    else:
        raise ValueError(value)
    return date(int(year), int(month), int(day))


def _chunks(values: list, size: int = _CHUNK):
    for start in range(0, len(values), size):
        yield values[start : start + size]


class _Importer:
    """Decides every row against the tenant's inventory, held in memory; then writes once."""

    def __init__(self, *, tenant, header: list[str], rows: list[tuple[int, list[str]]]):
        self.tenant = tenant
        self.header = header
        self.rows = rows
        self.kinds = {value: value for value in AssetKind.values} | {
            str(label).lower(): value for value, label in AssetKind.choices
        }
        self.max_lengths = {name: Asset._meta.get_field(name).max_length for name in TEXT_COLUMNS}
        self.to_create: list[Asset] = []
        self.to_update: dict[int, Asset] = {}  # by id(asset)
        self.updated_fields: set[str] = set()
        self.touched: dict[int, int] = {}  # id(asset) -> line of the row that used it
        self.serial_lines: dict[str, int] = {}

    # Everything a row may refer to, in a handful of queries.
    def load(self) -> None:
        clients = list(Client.objects.only("pk", "name"))
        self.clients_by_id = {client.pk: client for client in clients}
        self.clients_by_name = {client.name.strip().lower(): client for client in clients}
        wanted_clients = {c.pk for c in (self._client_of(cells) for _line, cells in self.rows) if c}
        wanted_serials = sorted({self._cell(cells, "serial") for _line, cells in self.rows} - {""})

        self.sites = {}
        for chunk in _chunks(sorted(wanted_clients)):
            for site in Site.objects.filter(client_id__in=chunk):
                self.sites[(site.client_id, site.name.strip().lower())] = site

        assets: dict[int, Asset] = {}
        for chunk in _chunks(sorted(wanted_clients)):
            assets.update((a.pk, a) for a in Asset.objects.filter(client_id__in=chunk))
        for chunk in _chunks(wanted_serials):
            assets.update((a.pk, a) for a in Asset.objects.filter(serial__in=chunk).select_related("client"))
        self.by_serial: dict[str, Asset] = {}
        self.by_hostname: dict[tuple[int, str], list[Asset]] = {}
        self.by_name: dict[tuple[int, str], list[Asset]] = {}
        for asset in assets.values():
            self._index(asset)

    def _index(self, asset: Asset) -> None:
        if asset.serial:
            self.by_serial[asset.serial] = asset
        if asset.hostname:
            self.by_hostname.setdefault((asset.client_id, asset.hostname.lower()), []).append(asset)
        if not asset.serial and not asset.hostname:
            self.by_name.setdefault((asset.client_id, asset.name.lower()), []).append(asset)

    def _cell(self, cells: list[str], column: str) -> str:
        try:
            index = self.header.index(column)
        except ValueError:
            return ""
        return cells[index].strip() if index < len(cells) else ""

    def _client_of(self, cells: list[str]) -> Client | None:
        value = self._cell(cells, "client")
        if not value:
            return None
        if value.isdecimal() and int(value) in self.clients_by_id:
            return self.clients_by_id[int(value)]
        return self.clients_by_name.get(value.lower())

    def run(self) -> ImportReport:
        return ImportReport(rows=[self._row(line, cells) for line, cells in self.rows])

    def _row(self, line: int, cells: list[str]) -> RowResult:
        name = self._cell(cells, "name")
        result = RowResult(line=line, outcome=ImportOutcome.REJECTED, name=name)
        data, client = self._parse(cells, result.errors)
        if result.errors:
            return result
        asset = self._match(data, client, line, result.errors)
        if result.errors:
            return result
        if asset is None:
            return self._create(data, client, result)
        return self._update(asset, data, result)

    def _parse(self, cells: list[str], errors: list[str]) -> tuple[dict, Client | None]:
        """The row's values for the asset's fields (blank cells left out), or errors."""
        if len(cells) > len(self.header) and any(cell.strip() for cell in cells[len(self.header) :]):
            errors.append(
                _("The row has %(found)d values but the first line names %(expected)d columns.")
                % {"found": len(cells), "expected": len(self.header)}
            )
            return {}, None
        values = {column: self._cell(cells, column) for column in self.header}
        data: dict = {}

        client = self._client_of(cells)
        if not values["client"]:
            errors.append(_("The client is missing."))
        elif client is None:
            errors.append(_("Unknown client “%(client)s”.") % {"client": values["client"]})

        kind = values["kind"]
        if not kind:
            errors.append(_("The kind is missing."))
        elif kind.lower() not in self.kinds:
            errors.append(
                _("Unknown kind “%(kind)s” (expected one of: %(kinds)s).")
                % {"kind": kind, "kinds": ", ".join(AssetKind.values)}
            )
        else:
            data["kind"] = self.kinds[kind.lower()]

        if not values["name"]:
            errors.append(_("The name is missing."))
        for column in TEXT_COLUMNS:
            value = values.get(column, "")
            if not value:
                continue
            limit = self.max_lengths[column]
            if limit and len(value) > limit:
                errors.append(
                    _("%(column)s is longer than %(limit)d characters.") % {"column": column, "limit": limit}
                )
            else:
                data[column] = value

        for column in DATE_COLUMNS:
            value = values.get(column, "")
            if not value:
                continue
            try:
                data[column] = _parse_date(value)
            except ValueError:
                errors.append(
                    _("Bad date “%(value)s” in %(column)s (use YYYY-MM-DD or DD/MM/YYYY).")
                    % {"value": value, "column": column}
                )

        monitored = values.get("monitored", "").lower()
        if monitored in TRUE_WORDS:
            data["monitored"] = True
        elif monitored in FALSE_WORDS:
            data["monitored"] = False
        elif monitored:
            errors.append(
                _("“%(value)s” in monitored is not yes or no (use true/false, yes/no or 1/0).")
                % {"value": values["monitored"]}
            )

        site_name = values.get("site", "")
        if site_name and client is not None:
            site = self.sites.get((client.pk, site_name.lower()))
            if site is None:
                errors.append(
                    _("Unknown site “%(site)s” for client %(client)s.")
                    % {"site": site_name, "client": client}
                )
            else:
                data["site_id"] = site.pk
        return data, client

    def _match(self, data: dict, client: Client, line: int, errors: list[str]) -> Asset | None:
        """The asset this row describes: by serial, then hostname (within the client), else None."""
        serial, hostname = data.get("serial", ""), data.get("hostname", "")
        if serial:
            if serial in self.serial_lines:
                errors.append(
                    _("Duplicate serial “%(serial)s”: line %(line)d of this file has it too.")
                    % {"serial": serial, "line": self.serial_lines[serial]}
                )
                return None
            self.serial_lines[serial] = line
        asset = self.by_serial.get(serial) if serial else None
        if asset is not None and asset.client_id != client.pk:
            errors.append(
                _("Serial “%(serial)s” belongs to an asset of another client (%(client)s).")
                % {"serial": serial, "client": asset.client}
            )
            return None
        if asset is None and (hostname or not serial):
            if hostname:
                # A machine with another serial is another machine, even under the same name.
                candidates = [
                    a
                    for a in self.by_hostname.get((client.pk, hostname.lower()), [])
                    if not serial or not a.serial
                ]
                label = _("hostname “%(value)s”") % {"value": hostname}
            else:
                # Neither serial nor hostname: the name is all there is to recognise it by.
                candidates = self.by_name.get((client.pk, data["name"].lower()), [])
                label = _("name “%(value)s”") % {"value": data["name"]}
            if len(candidates) > 1:
                errors.append(
                    _("Several assets of %(client)s have the %(label)s; add the serial to tell them apart.")
                    % {"client": client, "label": label}
                )
                return None
            asset = candidates[0] if candidates else None
        if asset is not None and id(asset) in self.touched:
            errors.append(
                _("Line %(line)d of this file already describes the same asset.")
                % {"line": self.touched[id(asset)]}
            )
            return None
        return asset

    def _dates_in_order(self, purchase_date, warranty_expires, result: RowResult) -> bool:
        if purchase_date and warranty_expires and warranty_expires < purchase_date:
            result.errors.append(_("The warranty cannot expire before the purchase date."))
            return False
        return True

    def _create(self, data: dict, client: Client, result: RowResult) -> RowResult:
        if not self._dates_in_order(data.get("purchase_date"), data.get("warranty_expires"), result):
            return result
        asset = Asset(tenant=self.tenant, client=client, **data)
        self.to_create.append(asset)
        self.touched[id(asset)] = result.line
        self._index(asset)
        result.outcome, result.asset = ImportOutcome.CREATED, asset
        return result

    def _update(self, asset: Asset, data: dict, result: RowResult) -> RowResult:
        self.touched[id(asset)] = result.line
        changes = [name for name, value in data.items() if getattr(asset, name) != value]
        purchase = data.get("purchase_date", asset.purchase_date)
        warranty = data.get("warranty_expires", asset.warranty_expires)
        if changes and not self._dates_in_order(purchase, warranty, result):
            return result
        result.asset, result.asset_id = asset, asset.pk
        if not changes:
            result.outcome = ImportOutcome.UNCHANGED
            return result
        for name in changes:
            setattr(asset, name, data[name])
        if "serial" in changes:
            self.by_serial[asset.serial] = asset
        self.to_update[id(asset)] = asset
        self.updated_fields.update(changes)
        result.outcome = ImportOutcome.UPDATED
        result.changes = [name.removesuffix("_id") for name in changes]
        return result

    def write(self) -> None:
        if self.to_create:
            Asset.objects.bulk_create(self.to_create, batch_size=_CHUNK)
        if self.to_update:
            now = timezone.now()
            for asset in self.to_update.values():
                asset.updated_at = now
            Asset.objects.bulk_update(
                list(self.to_update.values()), sorted(self.updated_fields | {"updated_at"}), batch_size=_CHUNK
            )


@scoped_by("tenant")
def asset_import_csv(*, tenant, file_text: str) -> ImportReport:
    """Create or update the tenant's assets from a CSV text; report each row's fate.

    Raises ValidationError (nothing written) when the file itself is unusable: not CSV,
    no header, unknown or missing columns, too large. Rows are matched to existing assets
    on serial (across the tenant), then on hostname (within the row's client); a row with
    neither is matched on its name among the client's assets that have neither. A blank
    cell leaves the asset's value as it is.
    """
    header, rows = _read(file_text)
    importer = _Importer(tenant=tenant, header=header, rows=rows)
    with transaction.atomic():
        importer.load()
        report = importer.run()
        try:
            importer.write()
        except IntegrityError:
            raise ValidationError(
                _(
                    "Another change to the inventory collided with this import; nothing was written. Try again."
                ),
                code="conflict",
            ) from None
    for row in report.rows:
        if row.asset is not None:
            row.asset_id = row.asset.pk
    return report
