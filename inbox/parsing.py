"""Reading a received e-mail: pure functions from its bytes to what filing needs.

``parse`` reads a message with the standard library (``email``, policy ``default``): the sender,
the decoded subject, the Date, the Message-ID and the ids it answers (In-Reply-To, References),
the text (the plain part, else the HTML part turned into text), and its attachments, whatever
the charsets and transfer encodings. It never trusts a declared charset to be right: bytes that
do not decode are read as UTF-8, then Windows-1252. ``trim_quoted`` cuts the quoted history off
a reply. ``classify`` says why a message must not be filed (auto-replies, bounces, loops).

A message that cannot be read at all raises ``Malformed``; the service stores it as dropped.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html import unescape
from html.parser import HTMLParser

from django.conf import settings
from django.utils import timezone

from msp.mail import LOOP_HEADER, REPLY_MARKER


def max_bytes() -> int:
    """The largest message read (settings.INBOX_MAX_BYTES): a larger one is stored without its
    body, dropped as too large. Room for a 20 MB attachment, which base64 makes 27 MB."""
    return settings.INBOX_MAX_BYTES


def max_received() -> int:
    """More Received headers than this (settings.INBOX_MAX_RECEIVED): the message is going
    round in circles (Postfix gives up at 50)."""
    return settings.INBOX_MAX_RECEIVED


MAX_SUBJECT = 998  # a header line's limit; the ticket's own subject is cut shorter

TICKET_TAG = re.compile(r"\[#(\d{1,12})\]")


class Malformed(ValueError):
    """The message cannot be read as an e-mail (no sender, unreadable structure)."""


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    content: bytes

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass
class ParsedMessage:
    message_id: str = ""  # without its angle brackets
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    from_name: str = ""
    from_address: str = ""  # lower-cased
    subject: str = ""
    sent_at: datetime | None = None
    text: str = ""  # the whole body as text (quoted history included)
    attachments: list[ParsedAttachment] = field(default_factory=list)
    message: Message | None = None  # for classify()

    @property
    def reply_text(self) -> str:
        """The text with the quoted history cut off (what a reply adds)."""
        return trim_quoted(self.text)

    @property
    def thread_ids(self) -> list[str]:
        """The ids this message answers, most direct first: In-Reply-To, then References from
        the newest back, each once."""
        seen, ids = set(), []
        for value in [*self.in_reply_to, *reversed(self.references)]:
            if value not in seen:
                seen.add(value)
                ids.append(value)
        return ids

    @property
    def ticket_tags(self) -> list[int]:
        """The ticket numbers written as "[#123]" in the subject, in order."""
        return [int(number) for number in TICKET_TAG.findall(self.subject)]


# --- keys and ids ---------------------------------------------------------------------------

MSGID = re.compile(r"<([^<>\s]+)>")


def normalise_id(value: str) -> str:
    """A Message-ID as stored (OutboundEmail.message_id does the same): without its brackets
    and surrounding white space."""
    value = clean(value or "").strip()
    found = MSGID.search(value)
    if found:
        return found.group(1)
    return value.strip("<>").split()[0] if value.strip("<> ") else ""


def id_list(value: str) -> list[str]:
    """The Message-IDs in an In-Reply-To or References header, in order."""
    ids = MSGID.findall(value or "")
    if not ids and value and value.strip():
        ids = [normalise_id(value)]
    return [i for i in ids if i][:100]


def id_key(message_id: str) -> str:
    """The exactly-once key of a message that has this Message-ID."""
    return hashlib.sha256(normalise_id(message_id).encode("utf-8", "surrogateescape")).hexdigest()


def message_key(raw: bytes, message_id: str = "") -> str:
    """sha256 of the normalised Message-ID; of the raw bytes when the message has none."""
    if normalise_id(message_id):
        return id_key(message_id)
    return hashlib.sha256(raw).hexdigest()


# --- headers ----------------------------------------------------------------------------------


def _decode_words(value: str) -> str:
    """RFC 2047 encoded words, however broken: each decoded on its own, never raising."""
    try:
        return str(make_header(decode_header(value)))
    except (LookupError, UnicodeError, ValueError, TypeError, AttributeError):
        parts = []
        for chunk, charset in decode_header(value) if "=?" in value else [(value, None)]:
            if isinstance(chunk, bytes):
                parts.append(decode_bytes(chunk, charset))
            else:
                parts.append(chunk)
        return "".join(parts)


def _raw_header(message: Message, name: str) -> str | None:
    return next((str(v) for k, v in message.raw_items() if k.lower() == name.lower()), None)


def _eight_bit(value: str) -> bool:
    """Raw 8-bit bytes in a header (kept by the parser as surrogates): a UTF-8 or Latin-1
    subject or name sent without RFC 2047, which the parsed header would show as "�"."""
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def header_text(message: Message, name: str) -> str:
    """A header's text, decoded; "" when absent. Never raises: a header the parser chokes on
    is decoded from its raw value."""
    raw = _raw_header(message, name)
    if raw is not None and _eight_bit(raw):
        return " ".join(_decode_words(clean(raw)).split())
    try:
        value = message.get(name)
        if value is None:
            return ""
        text = str(value)
    except Exception:  # noqa: BLE001 - the stdlib's header parser has its own crashes
        raw = next((v for k, v in message.raw_items() if k.lower() == name.lower()), "")
        text = _decode_words(str(raw))
    if "=?" in text:  # an encoded word the parser left alone (inside a quoted string...)
        text = _decode_words(text)
    return " ".join(clean(text).split())


def header_all(message: Message, name: str) -> list[str]:
    try:
        return [str(v) for v in (message.get_all(name) or [])]
    except Exception:  # noqa: BLE001
        return [str(v) for k, v in message.raw_items() if k.lower() == name.lower()]


def sender_of(message: Message) -> tuple[str, str]:
    """(name, address) of From; the address lower-cased, "" when there is none."""
    name, address = "", ""
    raw = _raw_header(message, "From") or ""
    try:
        header = message.get("From") if not _eight_bit(raw) else None
        addresses = getattr(header, "addresses", None)
        if addresses:
            first = addresses[0]
            name, address = first.display_name or "", first.addr_spec or ""
    except Exception:  # noqa: BLE001
        pass
    if "@" not in address:
        pairs = getaddresses([clean(raw)])
        if pairs:
            name, address = pairs[0]
            name = _decode_words(name)
    name, address = clean(name), clean(address).strip().strip("<>").lower()
    if address.count("@") != 1 or not all(address.split("@")) or any(c.isspace() for c in address):
        return name.strip(), ""
    return " ".join(name.split())[:255], address[:320]


def sent_at_of(message: Message) -> datetime | None:
    raw = next((str(v) for k, v in message.raw_items() if k.lower() == "date"), "")
    if not raw.strip():
        return None
    try:
        when = parsedate_to_datetime(raw.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if timezone.is_naive(when):
        when = timezone.make_aware(when, timezone.UTC)
    return when


def message_id_of(raw: bytes) -> str:
    """The Message-ID from the header section alone (a message too large to parse whole)."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        end = raw.find(b"\n\n")
    head = raw[: end if end >= 0 else 256 * 1024][: 256 * 1024]
    try:
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(head)
        return normalise_id(str(headers.get("Message-ID", "") or ""))
    except Exception:  # noqa: BLE001
        return ""


# --- bodies -----------------------------------------------------------------------------------

# Labels that lie: mail declared Latin-1 or ASCII is mostly Windows-1252 (WHATWG does the same).
CHARSET_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "unknown-8bit": "utf-8",
    "x-unknown": "utf-8",
    "ks_c_5601-1987": "cp949",
}


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Text from bytes in the declared charset; if it is unknown or wrong, UTF-8, then
    Windows-1252 (which decodes almost anything), never raising."""
    candidates = []
    if charset:
        label = charset.strip().strip('"').lower()
        candidates.append(CHARSET_ALIASES.get(label, label))
    candidates += ["utf-8", "cp1252"]
    for candidate in candidates:
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


def clean(text: str) -> str:
    """Text a database takes: raw 8-bit bytes the header parser kept as surrogates (a UTF-8
    subject sent without RFC 2047) decoded for real, other lone surrogates replaced, NULs
    dropped (PostgreSQL refuses them)."""
    try:
        data = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        data = text.encode("utf-8", "replace")
    return decode_bytes(data, "utf-8").replace("\x00", "")


def part_bytes(part: Message) -> bytes:
    """A leaf part's content, transfer encoding (base64, quoted-printable) undone."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001
        payload = None
    if payload is None:
        payload = part.get_payload()
        if isinstance(payload, str):
            payload = payload.encode("utf-8", "surrogateescape")
        elif not isinstance(payload, bytes):
            payload = b""
    return payload


def part_text(part: Message) -> str:
    return decode_bytes(part_bytes(part), part.get_content_charset()).replace("\r\n", "\n")


class _TextFromHtml(HTMLParser):
    """Visible text of an HTML body: blocks on their own lines, paragraphs apart, list items
    with dashes, links followed by their address, quoted blocks (``<blockquote>``) with "> "
    so the history trimmer sees them; scripts, styles and the head left out. Tags are never
    kept: what comes out is plain text, shown escaped like any other."""

    BLOCK = {
        "div", "tr", "li", "pre", "hr", "section", "article", "header", "footer", "address",
        "dt", "dd", "center", "form", "fieldset", "main", "nav", "aside", "figure",
    }  # fmt: skip
    PARAGRAPH = {"p", "table", "ul", "ol", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"}
    HIDDEN = {"script", "style", "head", "title", "template", "noscript", "svg", "object"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.hidden = 0
        self.quote = 0
        self.pre = 0
        self.links: list[tuple[str, int]] = []  # (href, where its text starts in current)

    def _emit(self, *, force: bool = False) -> None:
        text = "".join(self.current)
        self.current = []
        if not self.pre:
            text = " ".join(text.split())
        if not text and not force:
            return
        prefix = "> " * self.quote
        for line in text.split("\n") if self.pre else [text]:
            self.lines.append((prefix + line).rstrip())

    def _blank(self) -> None:
        if self.lines and self.lines[-1].strip("> ") != "":
            self.lines.append(("> " * self.quote).rstrip())

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1
        elif self.hidden:
            return
        elif tag == "br":
            self._emit(force=True)
        elif tag in self.PARAGRAPH or tag in self.BLOCK:
            self._emit()
            if tag in self.PARAGRAPH:
                self._blank()
            if tag == "blockquote":
                self.quote += 1
            elif tag == "li":
                self.current.append("- ")
            elif tag == "pre":
                self.pre += 1
        elif tag in ("td", "th"):
            self.current.append(" ")
        elif tag == "a":
            href = (dict(attrs).get("href") or "").strip()
            self.links.append((href, len(self.current)))
        elif tag == "img":
            alt = (dict(attrs).get("alt") or "").strip()
            if alt:
                self.current.append(f"[{alt}]")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in ("br", "img", "hr") and tag not in self.HIDDEN:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif self.hidden:
            return
        elif tag in self.PARAGRAPH or tag in self.BLOCK:
            self._emit()
            if tag == "blockquote":
                if self.quote and self.lines and self.lines[-1] == ("> " * self.quote).rstrip():
                    self.lines.pop()  # the quote's own last paragraph break
                self.quote = max(0, self.quote - 1)
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)
            if tag in self.PARAGRAPH:
                self._blank()
        elif tag == "a" and self.links:
            href, start = self.links.pop()
            label = " ".join("".join(self.current[start:]).split())
            if href.lower().startswith(("http://", "https://")) and href not in label:
                self.current.append(f" ({href})" if label else href)

    def handle_data(self, data):
        if not self.hidden:
            self.current.append(data)

    def text(self) -> str:
        self._emit()
        return tidy("\n".join(self.lines))


def html_to_text(html: str) -> str:
    parser = _TextFromHtml()
    try:
        parser.feed(html)
        parser.close()
        return parser.text()
    except Exception:  # noqa: BLE001 - never lose a body to a parser error: strip tags crudely
        return tidy(unescape(re.sub(r"<[^>]*>", " ", html)))


def tidy(text: str) -> str:
    """At most one blank line in a row, no trailing spaces, no NULs, no leading or trailing
    blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").replace("\xa0", " ")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


# --- quoted history ---------------------------------------------------------------------------

_HISTORY = [
    # "On Tue, 3 Mar 2026 at 10:15, Anna <anna@example.com> wrote:", on one line or two
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.I | re.S),
    # "Il giorno mar 3 mar 2026 alle ore 10:15 Anna <anna@example.com> ha scritto:"
    re.compile(r"^\s*Il\b.{0,300}\bha scritto:\s*$", re.I | re.S),
    re.compile(r"^\s*Le\b.{0,300}\ba écrit\s*:\s*$", re.I | re.S),
    re.compile(r"^\s*Am\b.{0,300}\bschrieb\b.{0,100}:\s*$", re.I | re.S),
    re.compile(r"^\s*-{2,}\s*(Original Message|Messaggio originale|Message d'origine|Ursprüngliche Nachricht)\s*-{2,}", re.I),
    re.compile(r"^\s*-{2,}\s*(Forwarded message|Messaggio inoltrato)\s*-{2,}", re.I),
]  # fmt: skip
# Outlook's block: "From: ..." then, within a few lines, "Sent: ..." (or Date:, Inviato:, Data:).
_OUTLOOK_FROM = re.compile(r"^\s*\**\s*(From|Da|De|Von)\s*:\**\s*\S", re.I)
_OUTLOOK_SENT = re.compile(r"^\s*\**\s*(Sent|Date|Inviato|Data|Envoyé|Gesendet)\s*:\**\s*\S", re.I)
_RULE = re.compile(r"^\s*_{8,}\s*$")


def _history_start(lines: list[str]) -> int | None:
    for index, line in enumerate(lines):
        if REPLY_MARKER in line:  # our own mail's first line (msp.mail): the answer is above it
            return index
        if line.lstrip().startswith(">"):
            # A quoted block, unless the rest of the message answers it line by line: cut at
            # the first quote that only quotes (and blanks) follow.
            rest = [item for item in lines[index:] if item.strip()]
            if all(item.lstrip().startswith(">") for item in rest):
                return index
            continue
        pair = line + " " + lines[index + 1] if index + 1 < len(lines) else line
        for pattern in _HISTORY:
            if pattern.match(line) or (len(line) < 200 and pattern.match(pair)):
                return index
        if _RULE.match(line) and index + 1 < len(lines) and _OUTLOOK_FROM.match(lines[index + 1]):
            return index
        if _OUTLOOK_FROM.match(line) and any(
            _OUTLOOK_SENT.match(item) for item in lines[index + 1 : index + 5]
        ):
            return index
    return None


def trim_quoted(text: str) -> str:
    """The reply without the history it quotes: the text above the first "On … wrote:",
    "Il … ha scritto:", "-----Original Message-----", Outlook's From:/Sent: block or quoted
    ("> ") block; quoted lines answered in between are left out. A message that is all quote
    (or starts with one) is kept whole: nothing a person wrote is thrown away."""
    lines = tidy(text).split("\n")
    start = _history_start(lines)
    kept = lines if start is None else lines[:start]
    kept = [line for line in kept if not line.lstrip().startswith(">")]
    trimmed = tidy("\n".join(kept))
    return trimmed if trimmed.strip() else tidy(text)


# --- the whole message ------------------------------------------------------------------------


def _is_attachment(part: Message) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    return disposition == "attachment" or bool(part.get_filename())


def _leaves(message: Message):
    """Leaf parts, depth first, not descending into attached messages (they are attachments)."""
    if message.is_multipart() and message.get_content_maintype() == "multipart":
        for part in message.get_payload() or []:
            if isinstance(part, Message):
                yield from _leaves(part)
    else:
        yield message


def _filename(part: Message, index: int, content_type: str) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:  # noqa: BLE001
        name = ""
    if "=?" in name:
        name = _decode_words(name)
    name = clean(name).strip()
    if not name and content_type == "message/rfc822":
        name = f"message-{index}.eml"
    if not name:
        extension = mimetypes.guess_extension(content_type) or ".bin"
        name = f"attachment-{index}{extension}"
    return name


def _attached_message_bytes(part: Message) -> bytes:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], Message):
        try:
            return payload[0].as_bytes(policy=policy.compat32)
        except Exception:  # noqa: BLE001
            return str(payload[0]).encode("utf-8", "surrogateescape")
    return part_bytes(part)


def parse(raw: bytes) -> ParsedMessage:
    """Read a message. Raises ``Malformed`` when it has no sender or no readable structure."""
    if not raw or not raw.strip():
        raise Malformed("empty message")
    try:
        message = message_from_bytes(raw, policy=policy.default)
    except Exception as exc:  # noqa: BLE001
        raise Malformed(f"unreadable structure: {exc}") from exc
    if not any(True for _ in message.raw_items()):
        raise Malformed("no headers")
    from_name, from_address = sender_of(message)
    if not from_address:
        raise Malformed("no sender address")
    parsed = ParsedMessage(
        message_id=normalise_id(header_text(message, "Message-ID")),
        in_reply_to=id_list(" ".join(header_all(message, "In-Reply-To"))),
        references=id_list(" ".join(header_all(message, "References"))),
        from_name=from_name,
        from_address=from_address,
        subject=header_text(message, "Subject")[:MAX_SUBJECT],
        sent_at=sent_at_of(message),
        message=message,
    )
    try:
        _read_parts(message, parsed)
    except Exception as exc:  # noqa: BLE001
        raise Malformed(f"unreadable body: {exc}") from exc
    return parsed


def _read_parts(message: Message, parsed: ParsedMessage) -> None:
    plain, html, index = None, None, 0
    for part in _leaves(message):
        content_type = part.get_content_type()
        if content_type in ("text/plain", "text/html") and not _is_attachment(part):
            if content_type == "text/plain" and plain is None:
                plain = part_text(part)
                continue
            if content_type == "text/html" and html is None:
                html = part_text(part)
                continue
        if part is message and not _is_attachment(part) and content_type.startswith("text/"):
            plain = part_text(part)  # a single-part message in some other text type
            continue
        if content_type.startswith("multipart/"):
            continue
        index += 1
        if content_type == "message/rfc822":
            content = _attached_message_bytes(part)
        else:
            content = part_bytes(part)
        if not content and not part.get_filename():
            continue
        parsed.attachments.append(
            ParsedAttachment(
                filename=_filename(part, index, content_type), content_type=content_type, content=content
            )
        )
    text = tidy(plain) if plain is not None else ""
    if not text.strip() and html:
        text = html_to_text(html)
    parsed.text = text


# --- what must not be filed -------------------------------------------------------------------

# "Automatic reply: ...", "Out of Office: ...", "Risposta automatica: ..." (or the words alone).
AUTO_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto(matic)?[- ]?(reply|response)|autoreply|out of (the )?office( autoreply)?|"
    r"risposta automatica|fuori (sede|ufficio)|abwesenheitsnotiz|réponse automatique)\s*(:|$)",
    re.I,
)
BOUNCE_SUBJECT = re.compile(
    r"^\s*(undeliverable|undelivered mail|delivery status notification \(failure\)|"
    r"mail delivery (failed|failure|subsystem)|returned mail|failure notice|mancato recapito|"
    r"impossibile recapitare)",
    re.I,
)
BOUNCE_SENDERS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}
BULK_PRECEDENCE = {"bulk", "junk", "auto_reply", "auto-reply"}


@dataclass(frozen=True)
class Verdict:
    reason: str  # a DropReason value
    why: str  # for the note and the log line (English, technical)


def classify(parsed: ParsedMessage, *, own_addresses: set[str], own_slug: str) -> Verdict | None:
    """Why this message must be dropped, or None. Loops first (the tenant's own mail come back
    (msp.mail's LOOP_HEADER with its slug), its own address, too many hops), then bounces, then
    automatic replies. Another tenant's mail on this platform (an MSP writing to the MSP it is
    a client of) is mail like any other."""
    message = parsed.message
    loop = header_text(message, LOOP_HEADER)
    if loop.strip().lower() == own_slug.lower():
        return Verdict("loop", f"{LOOP_HEADER}: {loop}")
    if parsed.from_address in own_addresses:
        return Verdict("own", f"From: {parsed.from_address}")
    hops = len(header_all(message, "Received"))
    if hops > max_received():
        return Verdict("loop", f"Received × {hops} > {max_received()}")

    content_type = message.get_content_type()
    report = (message.get_param("report-type") or "") if content_type == "multipart/report" else ""
    report = str(report).lower()
    if content_type == "multipart/report" and report == "disposition-notification":
        return Verdict("auto_reply", "Content-Type: multipart/report; report-type=disposition-notification")
    if content_type == "multipart/report" or content_type == "message/delivery-status":
        return Verdict(
            "bounce", f"Content-Type: {content_type}" + (f"; report-type={report}" if report else "")
        )
    local = parsed.from_address.split("@", 1)[0]
    if local in BOUNCE_SENDERS:
        return Verdict("bounce", f"From: {parsed.from_address}")

    auto = header_text(message, "Auto-Submitted").lower()
    if auto and auto != "no":
        return Verdict("auto_reply", f"Auto-Submitted: {auto}")
    for name in ("X-Autoreply", "X-Autorespond", "X-Autogenerated"):
        if name.lower() in {k.lower() for k in message.keys()}:
            return Verdict("auto_reply", name)
    precedence = header_text(message, "Precedence").lower()
    if precedence in BULK_PRECEDENCE:
        return Verdict("auto_reply", f"Precedence: {precedence}")
    if AUTO_SUBJECT.match(parsed.subject):
        return Verdict("auto_reply", f"Subject: {parsed.subject[:80]}")

    return_path = header_all(message, "Return-Path")
    if return_path and return_path[0].strip() in ("<>", ""):
        return Verdict("bounce", "Return-Path: <>")
    if BOUNCE_SUBJECT.match(parsed.subject):
        return Verdict("bounce", f"Subject: {parsed.subject[:80]}")
    return None


def sender_of_raw(raw: bytes) -> tuple[str, str, str]:
    """(name, address, subject) from the header section alone, for a message not parsed
    (too large, malformed): what the log and the review page can show of it."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        end = raw.find(b"\n\n")
    head = raw[: end if end >= 0 else 64 * 1024][: 256 * 1024]
    try:
        headers = BytesHeaderParser(policy=policy.compat32).parsebytes(head)
    except Exception:  # noqa: BLE001
        return "", "", ""
    name, address = parseaddr(str(headers.get("From", "") or ""))
    try:
        subject = _decode_words(str(headers.get("Subject", "") or ""))
    except Exception:  # noqa: BLE001
        subject = ""
    address = clean(address).lower() if address.count("@") == 1 else ""
    return clean(_decode_words(name))[:255], address[:320], " ".join(clean(subject).split())[:MAX_SUBJECT]


def assemble(
    *,
    from_: str,
    to: str = "",
    subject: str = "",
    text: str = "",
    html: str = "",
    message_id: str = "",
    in_reply_to: str = "",
    references: str = "",
    date: str = "",
    attachments: list[ParsedAttachment] = (),
) -> bytes:
    """A MIME message from a provider's parsed fields (the webhook's JSON form), to be read
    back by ``parse`` like any other. Without a Message-ID it gets one made of its content,
    so the same fields posted twice are the same message."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = from_
    if to:
        message["To"] = to
    message["Subject"] = subject
    if date:
        message["Date"] = date
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    if text or not html:
        message.set_content(text or "")
        if html:
            message.add_alternative(html, subtype="html")
    else:
        message.set_content(html, subtype="html")
    for attachment in attachments:
        maintype, _sep, subtype = attachment.content_type.partition("/")
        if maintype == "text" or maintype == "multipart" or not subtype:
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    digest = hashlib.sha256()
    for part in (from_, to, subject, text, html, in_reply_to, references, date):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\x00")
    for attachment in attachments:
        digest.update(attachment.filename.encode("utf-8", "surrogateescape") + b"\x00")
        digest.update(hashlib.sha256(attachment.content).digest())
    message["Message-ID"] = (
        f"<{message_id.strip('<> ')}>"
        if message_id.strip("<> ")
        else (f"<{digest.hexdigest()[:40]}@webhook.invalid>")
    )
    return message.as_bytes()
