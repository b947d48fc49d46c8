"""What a ticket attachment may be: the allowed kinds of file, judged from the name's extension
AND the content's leading bytes (never from the Content-Type the browser or client sent).

A file passes when its extension is on the allow-list and its first bytes look like that kind
of file: a ``.png`` that is really a Windows program, or a ``.txt`` that is an HTML page, is
refused. Executables, HTML and scripts are refused whatever their name; an SVG only when it
carries no script (it is an image the browser may run). The content type stored and served is
the allow-list's, not the sender's. Pure functions: the services (tickets.attachments) call them.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

HEAD_BYTES = 8192  # how much of the file the checks read
MEGABYTE = 1024 * 1024


def _starts(*magics: bytes):
    return lambda head: any(head.startswith(magic) for magic in magics)


def _webp(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _pdf(head: bytes) -> bool:
    return b"%PDF-" in head[:1024]  # readers accept a little junk before the header


ZIP = _starts(b"PK\x03\x04", b"PK\x05\x06")
OLE = _starts(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")  # legacy Office (.doc, .xls, .msg)
TEXT = "text"
SVG = "svg"

# extension -> (content type served, how its content must start: a test of the head, TEXT, SVG)
ALLOWED = {
    "png": ("image/png", _starts(b"\x89PNG\r\n\x1a\n")),
    "jpg": ("image/jpeg", _starts(b"\xff\xd8\xff")),
    "jpeg": ("image/jpeg", _starts(b"\xff\xd8\xff")),
    "gif": ("image/gif", _starts(b"GIF87a", b"GIF89a")),
    "webp": ("image/webp", _webp),
    "bmp": ("image/bmp", _starts(b"BM")),
    "svg": ("image/svg+xml", SVG),
    "pdf": ("application/pdf", _pdf),
    "txt": ("text/plain", TEXT),
    "log": ("text/plain", TEXT),
    "csv": ("text/csv", TEXT),
    "json": ("application/json", TEXT),
    "xml": ("application/xml", TEXT),
    "eml": ("message/rfc822", TEXT),
    "zip": ("application/zip", ZIP),
    "gz": ("application/gzip", _starts(b"\x1f\x8b")),
    "7z": ("application/x-7z-compressed", _starts(b"7z\xbc\xaf\x27\x1c")),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ZIP),
    "odt": ("application/vnd.oasis.opendocument.text", ZIP),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", ZIP),
    "doc": ("application/msword", OLE),
    "xls": ("application/vnd.ms-excel", OLE),
    "msg": ("application/vnd.ms-outlook", OLE),
}

# Programs, whatever the name says: Windows (MZ), Linux (ELF), macOS (Mach-O, universal),
# Java classes share the universal binaries' CAFEBABE; a script's "#!" line.
EXECUTABLE = _starts(
    b"MZ",
    b"\x7fELF",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",
)
# Markup a browser would run as a page, in a file that claims to be text or an image.
HTML = re.compile(rb"<\s*(!doctype\s+html|html|head|body|script|iframe|object|embed|meta|link|form)\b", re.I)
SVG_ACTIVE = re.compile(
    rb"<\s*(script|foreignobject|iframe|object|embed|handler)\b|\bon[a-z]+\s*=|javascript\s*:|<!entity", re.I
)
MAX_NAME = 200
MARKUP_INSIDE = {"eml"}  # text kinds that legitimately contain HTML


@dataclass(frozen=True)
class CheckedFile:
    name: str  # the original name, cleaned for showing and for Content-Disposition
    content_type: str
    size: int


def allowed_extensions() -> list[str]:
    return sorted(ALLOWED)


def clean_name(name: str) -> str:
    """The file's own name without any folder, control characters or surrounding dots."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = name.strip().strip(".").strip()
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_NAME - len(ext) - 1] + dot + ext) if dot and len(ext) < 10 else name[:MAX_NAME]
    return name


def read_head(upload) -> bytes:
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    return head


def _is_text(head: bytes) -> bool:
    """UTF-8, UTF-16 with its byte-order mark, or Windows-1252 (older Windows logs) text."""
    sample = head[:-3] if len(head) == HEAD_BYTES else head  # a character cut at the end
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            sample[: len(sample) // 2 * 2].decode("utf-16")
        except UnicodeDecodeError:
            return False
        return True
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "cp1252"):  # cp1252 decodes any byte but five undefined ones
        try:
            sample.decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False


def check_file(upload, *, max_bytes: int) -> CheckedFile:
    """Judge an uploaded file (a Django ``UploadedFile`` or any file with ``name``, ``size``,
    ``read`` and ``seek``): its CheckedFile, or a ValidationError saying what is wrong."""
    name = clean_name(getattr(upload, "name", ""))
    size = upload.size
    if size is None:
        raise ValidationError(_("The file could not be read."), code="unreadable")
    if size == 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name or "?"}, code="empty")
    if size > max_bytes:
        raise ValidationError(
            _("“%(name)s” is %(size)s MB; files of up to %(max)s MB are accepted.")
            % {"name": name, "size": _mb(size), "max": _mb(max_bytes)},
            code="too_large",
        )
    _stem, dot, ext = name.rpartition(".")
    ext = ext.lower() if dot else ""
    if ext not in ALLOWED:
        raise ValidationError(
            _("“%(name)s”: this kind of file is not accepted. Accepted: %(kinds)s.")
            % {"name": name or "?", "kinds": ", ".join(allowed_extensions())},
            code="type",
        )
    content_type, matches = ALLOWED[ext]
    head = read_head(upload)
    refused = EXECUTABLE(head)
    if matches == TEXT:
        # An e-mail may well carry an HTML part; it is served as message/rfc822, never a page.
        refused = refused or not _is_text(head) or (ext not in MARKUP_INSIDE and bool(HTML.search(head)))
    elif matches == SVG:
        refused = refused or not _is_text(head) or b"<svg" not in head.lower() or _svg_active(upload)
    else:
        refused = refused or not matches(head)
    if refused:
        raise ValidationError(
            _("“%(name)s” does not contain what its name says (a .%(ext)s file).")
            % {"name": name, "ext": ext},
            code="content",
        )
    return CheckedFile(name=name, content_type=content_type, size=size)


def _svg_active(upload) -> bool:
    """Whether an SVG holds script anywhere (read whole: SVGs are small, and capped anyway)."""
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    return bool(SVG_ACTIVE.search(content) or HTML.search(content.replace(b"<svg", b"")))


def _mb(size: int) -> str:
    megabytes = (Decimal(size) / MEGABYTE).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{megabytes:f}".removesuffix(".0")
