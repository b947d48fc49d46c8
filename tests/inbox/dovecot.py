"""A private Dovecot IMAP server on loopback, for the tests and the benchmark (Debian's
``dovecot-imapd``; ``.ci/run`` installs it).

    server = Dovecot(folder).start()           # plain IMAP on server.port, IMAPS on server.ssl_port
    account = server.account()                 # a new user with its own maildir
    account.deliver([raw, ...])                # files written into the maildir's new/
    account.append([raw, ...], folder="Support")   # or IMAP APPEND
    server.stop()

Everything lives in one directory: the configuration, base_dir, the log (``server.log()``),
the password file and every user's maildir. It runs as the current user; as root (CI) its
login processes run as Debian's ``dovenull`` and its mail as ``dovecot``, as Dovecot insists.
A test CA signs the server's certificate for 127.0.0.1 and localhost (``server.ca_file``), so
TLS is verified as in production. Failed sign-ins are neither delayed nor penalised, so a
wrong-password test does not slow the next one.
"""

from __future__ import annotations

import datetime
import grp
import imaplib
import ipaddress
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

BINARY = "/usr/sbin/dovecot"
START_SECONDS = 15


def available() -> str | None:
    """Why Dovecot cannot run here, or None when it can."""
    if not os.path.exists(BINARY):
        return f"{BINARY} is missing: apt-get install -y dovecot-imapd"
    if os.geteuid() == 0:
        for user in ("dovecot", "dovenull"):
            try:
                pwd.getpwnam(user)
            except KeyError:
                return f"the user {user} is missing (it comes with dovecot-core)"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def message(
    subject: str = "Printer offline",
    *,
    sender: str = "Giulia Rossi <giulia@acme.example>",
    to: str = "support@msp.example",
    body: str = "The printer on the second floor is offline.",
    message_id: str | None = None,
    headers: dict | None = None,
    when: datetime.datetime | None = None,
) -> bytes:
    """An e-mail as a mail client sends it (CRLF line ends)."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(when or datetime.datetime.now(datetime.UTC))
    mail["Message-ID"] = message_id or make_msgid(domain="acme.example")
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(body)
    return bytes(mail).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _test_ca(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and the server's certificate it signs (EC keys: made in milliseconds)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "MSP PSA test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    key_file.chmod(0o600)
    return ca_file, cert_file, key_file


class Account:
    """One user of the server, with its maildir."""

    def __init__(self, server: Dovecot, username: str, password: str):
        self.server = server
        self.username = username
        self.password = password
        self.maildir = server.home / username / "Maildir"
        self._delivered = 0

    def connect(self) -> imaplib.IMAP4:
        connection = imaplib.IMAP4("127.0.0.1", self.server.port, timeout=10)
        connection.login(self.username, self.password)
        return connection

    def folder_dir(self, folder: str) -> Path:
        return self.maildir if folder.upper() == "INBOX" else self.maildir / f".{folder}"

    def deliver(self, messages: list[bytes], folder: str = "INBOX") -> None:
        """Write the messages into the folder's maildir, as a local delivery agent does
        (tmp/, then renamed into new/): the fastest way to fill a mailbox."""
        path = self.folder_dir(folder)
        for sub in ("tmp", "new", "cur"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        if folder.upper() != "INBOX":
            (path / "maildirfolder").touch()
        stamp = int(time.time())
        for raw in messages:
            self._delivered += 1
            name = f"{stamp}.M{self._delivered}P{os.getpid()}.test"
            (path / "tmp" / name).write_bytes(raw)
            os.rename(path / "tmp" / name, path / "new" / name)
        self.server.own(self.server.home / self.username)

    def append(self, messages: list[bytes], folder: str = "INBOX") -> None:
        connection = self.connect()
        try:
            if folder.upper() != "INBOX":
                connection.create(folder)  # NO when it exists: fine
            for raw in messages:
                typ, data = connection.append(folder, None, None, raw)
                assert typ == "OK", data
        finally:
            connection.logout()

    def run(self, *command) -> tuple[str, list]:
        """One IMAP command as this user (``("delete", "Support")``), for the tests' set-ups."""
        connection = self.connect()
        try:
            return getattr(connection, command[0])(*command[1:])
        finally:
            connection.logout()

    def flags(self, folder: str = "INBOX") -> list[str]:
        connection = self.connect()
        try:
            connection.select(folder, readonly=True)
            typ, data = connection.fetch("1:*", "(FLAGS)")
            return [line.decode() for line in data if line]
        finally:
            connection.logout()


class Dovecot:
    def __init__(self, folder: Path | None = None):
        # As root, Dovecot's own users must reach the directory: not pytest's 0700 tmp tree.
        self.root = Path(tempfile.mkdtemp(prefix="msp-dovecot-", dir=folder))
        self.root.chmod(0o755)
        self.home = self.root / "home"
        self.home.mkdir()
        self.port = free_port()
        self.ssl_port = free_port()
        # One password file per user (Dovecot reads a file it has not seen before afresh,
        # where a shared one may be re-read only once its time stamp moves on).
        self.passwd = self.root / "passwd"
        self.passwd.mkdir()
        self.ca_file, self.cert_file, self.key_file = _test_ca(self.root)
        self.log_path = self.root / "dovecot.log"
        self.process: subprocess.Popen | None = None
        if os.geteuid() == 0:
            mail = pwd.getpwnam("dovecot")
            self.internal_user, self.login_user = "dovecot", "dovenull"
            self.internal_group = grp.getgrgid(mail.pw_gid).gr_name
            self.mail_uid, self.mail_gid = mail.pw_uid, mail.pw_gid
        else:
            me = pwd.getpwuid(os.getuid())
            self.internal_user = self.login_user = me.pw_name
            self.internal_group = grp.getgrgid(os.getgid()).gr_name
            self.mail_uid, self.mail_gid = os.getuid(), os.getgid()

    def own(self, path: Path) -> None:
        """Hand what the tests wrote to the mail user (as root only: otherwise it is ours)."""
        if os.geteuid() != 0:
            return
        os.chown(path, self.mail_uid, self.mail_gid)
        for parent, dirs, files in os.walk(path):
            for name in dirs + files:
                os.chown(os.path.join(parent, name), self.mail_uid, self.mail_gid)

    def config(self) -> str:
        return f"""
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.log_path}
info_log_path = {self.log_path}
protocols = imap
listen = 127.0.0.1
default_internal_user = {self.internal_user}
default_internal_group = {self.internal_group}
default_login_user = {self.login_user}
first_valid_uid = {self.mail_uid}
last_valid_uid = 0
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
ssl = yes
ssl_cert = <{self.cert_file}
ssl_key = <{self.key_file}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.passwd}/%u
}}
userdb {{
  driver = static
  args = uid={self.mail_uid} gid={self.mail_gid} home={self.home}/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.ssl_port}
    ssl = yes
  }}
  chroot =
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service auth-worker {{
  user = $default_internal_user
}}
"""

    def start(self) -> Dovecot:
        path = self.root / "dovecot.conf"
        path.write_text(self.config())
        self.process = subprocess.Popen(
            [BINARY, "-F", "-c", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "master.err").open("w"),
        )
        deadline = time.monotonic() + START_SECONDS
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited ({self.process.returncode}):\n{self.log()}")
            if self._greets():
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"dovecot does not answer on 127.0.0.1:{self.port}:\n{self.log()}")
            time.sleep(0.05)

    def _greets(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                return sock.recv(100).startswith(b"* OK")
        except OSError:
            return False

    def log(self) -> str:
        text = self.log_path.read_text() if self.log_path.exists() else ""
        errors = self.root / "master.err"
        return text + (errors.read_text() if errors.exists() else "")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self.root, ignore_errors=True)

    def account(self, username: str | None = None, password: str | None = None) -> Account:
        """A new user of the server (a fresh maildir): each test gets its own."""
        username = username or f"u{secrets.token_hex(4)}"
        password = password or secrets.token_urlsafe(12)
        (self.passwd / username).write_text(f"{username}:{{PLAIN}}{password}::::::\n")
        (self.home / username).mkdir()
        self.own(self.home / username)
        return Account(self, username, password)
