"""The watched folder: receipts dropped into SDI_RECEIPTS_DIR/<tenant slug>/ are imported.

An intermediary's client or a PEC mailbox rule saves the SdI's files there. Each file is
claimed by moving it into `.processing/` (a rename: two imports at once never read the same
file), imported, then moved to `done/` (imported, or the same receipt imported before) or to
`failed/` with `<name>.error.txt` saying why. Nothing is deleted: a refused file waits in
failed/ until someone looks (the SdI receipts page lists them).
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from billing.einvoice.sdi import DuplicateReceipt, sdi_receipt_import
from billing.models import SdiReceiptSource

DONE, FAILED, PROCESSING = "done", "failed", ".processing"
# Receipts of one file in the order the SdI sends them (their names carry the kind).
KIND_ORDER = {"RC": 0, "MC": 0, "NS": 0, "AT": 0, "NE": 1, "DT": 2}
KIND_IN_NAME = re.compile(r"_(RC|MC|NS|AT|NE|DT)_", re.IGNORECASE)
SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")


@dataclass
class FolderResult:
    imported: int = 0
    duplicates: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file name, why)


@dataclass(frozen=True)
class FailedFile:
    name: str
    error: str
    failed_at: datetime.datetime


def receipts_root() -> Path | None:
    return Path(settings.SDI_RECEIPTS_DIR) if settings.SDI_RECEIPTS_DIR else None


def tenant_folder(tenant) -> Path | None:
    root = receipts_root()
    if root is None or not SLUG.match(tenant.slug):
        return None
    return root / tenant.slug


def _order(path: Path):
    match = KIND_IN_NAME.search(path.name)
    return (KIND_ORDER.get(match.group(1).upper(), 0) if match else 0, path.name)


def waiting_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        (
            p
            for p in folder.iterdir()
            if p.is_file() and not p.name.startswith(".") and not p.name.endswith(".part")
        ),
        key=_order,
    )


def _free_name(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    candidate = folder / name
    stem, dot, suffix = name.partition(".")
    n = 1
    while candidate.exists():
        candidate = folder / f"{stem}-{n}{dot}{suffix}"
        n += 1
    return candidate


def sdi_folder_import(*, tenant, each: Callable[[Iterable, int], Iterable] | None = None) -> FolderResult:
    """Import the files waiting in the tenant's folder (none when the folder is off or absent)."""
    result = FolderResult()
    folder = tenant_folder(tenant)
    if folder is None:
        return result
    files = waiting_files(folder)
    for path in each(files, len(files)) if each else files:
        claimed = _free_name(folder / PROCESSING, path.name)
        try:
            os.replace(path, claimed)
        except FileNotFoundError:  # another import took it
            continue
        try:
            sdi_receipt_import(
                tenant=tenant,
                content=claimed.read_bytes(),
                filename=path.name,
                source=SdiReceiptSource.FOLDER,
            )
        except DuplicateReceipt:
            result.duplicates += 1
            os.replace(claimed, _free_name(folder / DONE, path.name))
        except ValidationError as error:
            reason = " ".join(error.messages)
            result.failed.append((path.name, reason))
            target = _free_name(folder / FAILED, path.name)
            os.replace(claimed, target)
            target.with_name(target.name + ".error.txt").write_text(reason + "\n", encoding="utf-8")
        else:
            result.imported += 1
            os.replace(claimed, _free_name(folder / DONE, path.name))
    return result


def failed_files(tenant, limit: int = 50) -> list[FailedFile]:
    """The tenant's refused files, newest first, with why they were refused."""
    folder = tenant_folder(tenant)
    if folder is None or not (folder / FAILED).is_dir():
        return []
    entries = [p for p in (folder / FAILED).iterdir() if p.is_file() and not p.name.endswith(".error.txt")]
    entries.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    out = []
    for path in entries[:limit]:
        note = path.with_name(path.name + ".error.txt")
        out.append(
            FailedFile(
                name=path.name,
                error=note.read_text(encoding="utf-8", errors="replace").strip() if note.exists() else "",
                failed_at=datetime.datetime.fromtimestamp(
                    path.stat().st_mtime, tz=timezone.get_current_timezone()
                ),
            )
        )
    return out
