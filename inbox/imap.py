"""The IMAP client side of a support mailbox, on the standard library's imaplib.

    with ImapSession(ImapSettings.of(mailbox)) as session:
        folder = session.select()                 # its UIDVALIDITY, UIDNEXT and count
        uids = session.uids_after(last_uid)       # what arrived since
        for uid, raw in session.fetch(uids[:50]): ...

Certificates are verified (the system's CAs, plus ``INBOX_IMAP_CA_FILE`` for a private CA);
every socket waits at most ``INBOX_IMAP_TIMEOUT`` seconds. What goes wrong is raised as one
``ImapFailure`` that names the stage (reaching the server, TLS, signing in, the folder, reading)
and carries the server's own answer, for the mailbox's page and the log. Messages are read with
``BODY.PEEK[]``, so fetching marks nothing as read; ``mark_seen`` does, when asked.
"""

from __future__ import annotations

import ast
import imaplib
import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from inbox.choices import ImapSecurity
from msp.hosts import PrivateHostError, host_check
from msp.secrets import reveal

# A UID SEARCH answers one line of every UID: imaplib refuses lines over 1 MB (about 130,000
# UIDs); a first poll of an old support@ may hold more.
MAX_LINE = 64 * 1024 * 1024
# A FETCH reads messages up to this many bytes together (at least one, however large).
FETCH_BYTES = 16 * 1024 * 1024
# Of what a server (or whatever answers on its port) says, this much is kept and shown.
ANSWER_CHARS = 500


class Stage:
    CONNECT = "connect"
    TLS = "tls"
    LOGIN = "login"
    FOLDER = "folder"
    READ = "read"


class ImapFailure(Exception):
    """The server could not be used: ``stage`` says where, ``answer`` what it (or the network) said."""

    def __init__(self, stage: str, answer: str, *, settings: ImapSettings | None = None):
        self.stage = stage
        answer = answer.strip()
        if len(answer) > ANSWER_CHARS:
            answer = answer[:ANSWER_CHARS] + "…"
        self.answer = answer or _("no answer")
        self.where = f"{settings.host}:{settings.port}" if settings else ""
        self.folder = settings.folder if settings else ""
        super().__init__(self.message())

    def message(self) -> str:
        """In the reader's language, with the server's words as they came."""
        values = {"where": self.where, "answer": self.answer, "folder": self.folder}
        if self.stage == Stage.CONNECT:
            return _("Cannot reach %(where)s: %(answer)s") % values
        if self.stage == Stage.TLS:
            return _("Secure connection to %(where)s failed: %(answer)s") % values
        if self.stage == Stage.LOGIN:
            return _("The server refused the sign-in: %(answer)s") % values
        if self.stage == Stage.FOLDER:
            return _("The folder %(folder)s cannot be opened: %(answer)s") % values
        return _("Reading from %(where)s failed: %(answer)s") % values


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    security: str
    username: str
    password: str
    folder: str = "INBOX"

    @classmethod
    def of(cls, mailbox) -> ImapSettings:
        """A mailbox's settings, its password read back from its stored (encrypted) form."""
        password = reveal(mailbox.imap_password)
        if password is None:
            raise ImapFailure(
                Stage.LOGIN,
                _("the stored password cannot be read (the encryption key changed): type it again"),
            )
        return cls(
            host=mailbox.imap_host,
            port=mailbox.imap_port,
            security=mailbox.imap_security,
            username=mailbox.imap_username,
            password=password,
            folder=mailbox.imap_folder or "INBOX",
        )


@dataclass(frozen=True)
class Folder:
    uid_validity: int | None
    uid_next: int | None
    count: int


def tls_context() -> ssl.SSLContext:
    """Verifying certificates and host names, as a mail client does."""
    context = ssl.create_default_context()
    if settings.INBOX_IMAP_CA_FILE:
        context.load_verify_locations(cafile=settings.INBOX_IMAP_CA_FILE)
    return context


def answer_text(value) -> str:
    """The server's words from what imaplib hands back: bytes, a list of them, or an exception
    whose text is the repr of bytes."""
    if isinstance(value, BaseException):
        value = value.args[0] if value.args else str(value)
    if isinstance(value, list | tuple):
        return " ".join(answer_text(part) for part in value if part is not None)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    text = str(value)
    if re.fullmatch(r"b(['\"]).*\1", text, flags=re.S):
        try:
            return ast.literal_eval(text).decode("utf-8", "replace")
        except (ValueError, SyntaxError):
            pass
    return text


def tls_text(error: ssl.SSLError) -> str:
    """The TLS failure in words (certificate verify failed: unable to get local issuer
    certificate), without OpenSSL's codes."""
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"certificate verify failed: {error.verify_message}"
    return re.sub(r"^\[[A-Z_: ]+\]\s*|\s*\(_ssl\.c:\d+\)$", "", str(error)) or str(error.reason)


def quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _LongLines:
    def readline(self):
        line = self.file.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise self.error(f"got more than {MAX_LINE} bytes")
        return line


class _IMAP4(_LongLines, imaplib.IMAP4):
    pass


class _IMAP4_SSL(_LongLines, imaplib.IMAP4_SSL):
    pass


class ImapSession:
    """One signed-in connection to a mailbox's server and folder."""

    def __init__(self, config: ImapSettings, *, timeout: float | None = None):
        self.config = config
        self.timeout = timeout if timeout is not None else settings.INBOX_IMAP_TIMEOUT
        self.connection: imaplib.IMAP4 | None = None
        self.greeting = ""
        self.readonly = True

    def __enter__(self) -> ImapSession:
        self.open()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def fail(self, stage: str, answer) -> ImapFailure:
        return ImapFailure(stage, answer_text(answer), settings=self.config)

    def open(self) -> None:
        config = self.config
        try:
            # A tenant's admin names the server: never one inside our own network (msp.hosts).
            host_check(config.host, config.port)
        except PrivateHostError as error:
            raise self.fail(Stage.CONNECT, str(error)) from error
        except OSError:
            pass  # a name that does not resolve: connecting says so in its own words
        try:
            if config.security == ImapSecurity.SSL:
                self.connection = _IMAP4_SSL(
                    config.host, config.port, ssl_context=tls_context(), timeout=self.timeout
                )
            else:
                self.connection = _IMAP4(config.host, config.port, timeout=self.timeout)
        except ssl.SSLError as error:  # before OSError: it is one
            raise self.fail(Stage.TLS, tls_text(error)) from error
        except socket.gaierror as error:
            raise self.fail(
                Stage.CONNECT, _("unknown host (%(error)s)") % {"error": error.strerror}
            ) from error
        except TimeoutError as error:
            raise self.fail(
                Stage.CONNECT, _("no answer in %(seconds)s s") % {"seconds": self.timeout}
            ) from error
        except OSError as error:
            raise self.fail(Stage.CONNECT, error.strerror or str(error)) from error
        except imaplib.IMAP4.error as error:  # a BYE or garbage instead of a greeting
            raise self.fail(Stage.CONNECT, error) from error
        self.greeting = re.sub(r"^\* OK\s*", "", answer_text(self.connection.welcome))
        if config.security == ImapSecurity.STARTTLS:
            try:
                self.connection.starttls(ssl_context=tls_context())
            except ssl.SSLError as error:
                self.close()
                raise self.fail(Stage.TLS, tls_text(error)) from error
            except imaplib.IMAP4.error as error:  # "STARTTLS extension not supported by server."
                self.close()
                raise self.fail(Stage.TLS, error) from error
            except OSError as error:
                self.close()
                raise self.fail(Stage.CONNECT, error.strerror or str(error)) from error
        self._login()

    def _login(self) -> None:
        user, password = self.config.username, self.config.password
        try:
            if (user + password).isascii():
                self.connection.login(user, password)
            else:  # LOGIN is ASCII only; SASL PLAIN carries UTF-8
                self.connection.authenticate("PLAIN", lambda _challenge: f"\0{user}\0{password}".encode())
        except imaplib.IMAP4.error as error:
            self.close()
            raise self.fail(Stage.LOGIN, error) from error
        except OSError as error:
            self.close()
            raise self.fail(Stage.CONNECT, error.strerror or str(error)) from error

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is None:
            return
        try:
            connection.logout()  # not CLOSE: on a read-write folder it would expunge others' deletions
        except (imaplib.IMAP4.error, OSError):
            try:
                connection.shutdown()
            except OSError:
                pass

    def _command(self, stage: str, *args) -> list:
        """A UID command's data, or ImapFailure with the server's answer."""
        try:
            typ, data = self.connection.uid(*args)
        except (imaplib.IMAP4.error, OSError) as error:
            raise self.fail(stage, getattr(error, "strerror", None) or error) from error
        if typ != "OK":
            raise self.fail(stage, data)
        return data

    def select(self, *, readonly: bool = True) -> Folder:
        """Open the folder: EXAMINE (read-only) unless messages are to be marked as read."""
        self.readonly = readonly
        try:
            typ, data = self.connection.select(quoted(self.config.folder), readonly=readonly)
        except (imaplib.IMAP4.error, OSError) as error:
            raise self.fail(Stage.FOLDER, getattr(error, "strerror", None) or error) from error
        if typ != "OK":
            raise self.fail(Stage.FOLDER, data)

        def number(name: str) -> int | None:
            _name, values = self.connection.response(name)
            try:
                return int(values[-1])
            except (TypeError, ValueError, IndexError):
                return None

        count = int(data[0]) if data and data[0] and data[0].isdigit() else 0
        return Folder(uid_validity=number("UIDVALIDITY"), uid_next=number("UIDNEXT"), count=count)

    def uids_after(self, last_uid: int) -> list[int]:
        """The UIDs above ``last_uid``, ascending. (``n:*`` always matches the folder's last
        message, even below n: hence the filter.)"""
        data = self._command(Stage.READ, "SEARCH", "UID", f"{last_uid + 1}:*")
        found = {int(part) for line in data if line for part in line.split()}
        return sorted(uid for uid in found if uid > last_uid)

    def sizes(self, uids: list[int]) -> dict[int, int]:
        data = self._command(Stage.READ, "FETCH", ",".join(map(str, uids)), "(UID RFC822.SIZE)")
        sizes = {}
        for line in data:
            if isinstance(line, tuple):
                line = line[0]
            found = re.search(rb"UID (\d+)", line or b""), re.search(rb"RFC822\.SIZE (\d+)", line or b"")
            if all(found):
                sizes[int(found[0].group(1))] = int(found[1].group(1))
        return sizes

    def fetch(self, uids: list[int]) -> Iterator[tuple[int, bytes]]:
        """Each message of ``uids`` (those still there) as ``(uid, raw bytes)``, by UID, read
        in runs of at most FETCH_BYTES: a batch of large messages is not held all at once."""
        if not uids:
            return
        sizes = self.sizes(uids)
        run: list[int] = []
        run_bytes = 0
        for uid in sorted(sizes):
            if run and run_bytes + sizes[uid] > FETCH_BYTES:
                yield from self._fetch_run(run)
                run, run_bytes = [], 0
            run.append(uid)
            run_bytes += sizes[uid]
        if run:
            yield from self._fetch_run(run)

    def _fetch_run(self, uids: list[int]) -> Iterator[tuple[int, bytes]]:
        data = self._command(Stage.READ, "FETCH", ",".join(map(str, uids)), "(UID BODY.PEEK[])")
        messages: dict[int, bytes] = {}
        for index, item in enumerate(data):
            if not isinstance(item, tuple):
                continue
            head, raw = item
            found = re.search(rb"UID (\d+)", head)
            if found is None and index + 1 < len(data) and isinstance(data[index + 1], bytes):
                found = re.search(rb"UID (\d+)", data[index + 1])  # the UID after the literal
            if found is not None:
                messages[int(found.group(1))] = raw
        for uid in sorted(messages):
            yield uid, messages[uid]

    def mark_seen(self, uid: int) -> None:
        self._command(Stage.READ, "STORE", str(uid), "+FLAGS.SILENT", r"(\Seen)")
