"""A real SMTP server on loopback (aiosmtpd, in a thread of this process) for the tests of
outgoing mail: the `smtp` fixture (tests/conftest.py) points Django's SMTP backend at a port
where nothing listens until `smtp.up(handler)`; `sink(handler)` starts another one (a tenant's
own server)."""

from __future__ import annotations

import email.policy
import socket
from contextlib import contextmanager
from email import message_from_bytes

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps what it accepted."""

    def __init__(self):
        self.received = []  # (envelope recipients, message bytes)

    async def handle_DATA(self, server, session, envelope):
        self.received.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"

    def messages(self):
        """What it accepted, parsed (headers as the mail program reads them)."""
        return [message_from_bytes(data, policy=email.policy.default) for _rcpt, data in self.received]


class NoSuchUser:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 No such user"


def password(user: str, secret: str):
    """An aiosmtpd authenticator accepting `user` with `secret` only."""

    def check(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login, auth_data.password) == (user.encode(), secret.encode())
        return AuthResult(success=ok, handled=False)  # aiosmtpd answers a refusal with 535

    return check


@contextmanager
def sink(handler, **options):
    """A real SMTP server on a free loopback port while the block runs; yields the port."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
