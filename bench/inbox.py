"""E-mail in (issue 13): messages parsed and filed per second from a loopback IMAP mailbox.

    .venv/bin/python -m bench.inbox [--messages 1000] [--rounds 3] [--db postgres://…]

It starts a private Dovecot on loopback (``tests/inbox/dovecot.py``: Debian's dovecot-imapd
must be installed) and, each round, fills a fresh account with ``--messages`` e-mails from a
client's contacts (four in five ask for something new, one in five answers a ticket with
"[#id]" in its subject), points a fresh support mailbox at it and times one poll
(``inbox.polling.mailbox_poll``: the IMAP fetch in batches of 50, the parsing, the filing of
each message as a new ticket or a reply, ``last_uid`` after each). The line printed is the
median over the rounds, every round's figure, and the share of the poll spent in
``message_receive`` (parsing and filing) rather than in IMAP and the poll's bookkeeping.

Without ``--db`` it runs on a fresh SQLite database in a temporary directory (migrated first);
with ``--db`` on that database (the tenant it makes is left behind, named ``bench-inbox-…``).
The tasks a filed message enqueues (notifications) go to a filesystem broker in the temporary
directory and are thrown away: the poll is measured as the worker runs it, not the e-mails the
other workers would then send.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time


def _environment(db: str | None, folder: str) -> None:
    os.environ["MSP_VAR_DIR"] = folder
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msp.settings")
    os.environ["DEBUG"] = "false"  # no query log: the figure is the poll's, not DEBUG's
    os.environ.setdefault("SECRET_KEY", "bench-inbox-" + secrets.token_hex(16))
    os.environ.setdefault("ALLOWED_HOSTS", "localhost")
    os.environ["DATABASE_URL"] = db or f"sqlite:///{folder}/bench-inbox.sqlite3"
    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    os.environ.pop("REDIS_URL", None)


def shop(label: str):
    """A tenant with a client, its contacts and ten open tickets: who writes, and what to."""
    from msp.models import Client, Contact
    from msp.scoping import scope_of
    from msp.services import tenant_create
    from tickets.services import ticket_create

    slug = f"bench-inbox-{label}-{secrets.token_hex(3)}"
    tenant = tenant_create(
        name=f"Bench inbox {label}",
        slug=slug,
        owner_username=slug,
        owner_email=f"owner@{slug}.example",
        owner_password=secrets.token_urlsafe(16),
    ).tenant
    with scope_of(tenant.pk):
        client = Client.objects.create(tenant=tenant, name="Acme Dental", currency="EUR")
        contacts = [
            Contact.objects.create(
                tenant=tenant, client=client, name=f"Person {i}", email=f"p{i}@acme-dental.example"
            )
            for i in range(20)
        ]
        tickets = [
            ticket_create(tenant=tenant, client=client, contact=contacts[i], subject=f"Open question {i}")
            for i in range(10)
        ]
    return tenant, contacts, tickets


def messages(count: int, contacts, tickets) -> list[bytes]:
    from tests.inbox.dovecot import message

    out = []
    for i in range(count):
        contact = contacts[i % len(contacts)]
        sender = f"{contact.name} <{contact.email}>"
        if i % 5 == 4:
            ticket = tickets[i % len(tickets)]
            out.append(
                message(
                    f"Re: [#{ticket.pk}] {ticket.subject}", sender=sender, body=f"Answer {i}.\n\n> quoted"
                )
            )
        else:
            out.append(
                message(f"Request {i}: printer offline", sender=sender, body=f"Please look at it ({i}).")
            )
    return out


def poll_once(dovecot, count: int, label: str) -> dict:
    """One round: a fresh account of ``count`` messages, a fresh mailbox, one timed poll."""
    from inbox.choices import ImapSecurity
    from inbox.polling import mailbox_poll
    from inbox.services import mailbox_create

    tenant, contacts, tickets = shop(label)
    account = dovecot.account()
    account.deliver(messages(count, contacts, tickets))
    mailbox = mailbox_create(
        tenant=tenant,
        name="Support",
        address=f"support@{tenant.slug}.example",
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_security=ImapSecurity.NONE,
        imap_username=account.username,
        password=account.password,
    )
    import inbox.services

    filing = [0.0]
    receive = inbox.services.message_receive

    def timed(**kwargs):  # what filing costs, apart from IMAP and the poll's own bookkeeping
        started = time.perf_counter()
        try:
            return receive(**kwargs)
        finally:
            filing[0] += time.perf_counter() - started

    inbox.services.message_receive = timed
    try:
        started = time.perf_counter()
        result = mailbox_poll(mailbox=mailbox)
        seconds = time.perf_counter() - started
    finally:
        inbox.services.message_receive = receive
    if result.error or result.filed != count:
        raise RuntimeError(f"the poll did not file every message: {result}")
    return {
        "seconds": seconds,
        "rate": count / seconds,
        "filed": result.filed,
        "filing_share": filing[0] / seconds,
    }


def summary(rounds: list[dict], count: int, backend: str) -> str:
    rates = sorted(r["rate"] for r in rounds)
    median = statistics.median(rates)
    filing = statistics.median(r["filing_share"] for r in rounds)
    return (
        f"| e-mail in: IMAP poll of {count} messages ({backend}) | {median:.0f} messages/s "
        f"| {count / median:.1f} s per poll | {filing:.0%} | rounds: {', '.join(f'{r:.0f}' for r in rates)} messages/s |"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", help="a DATABASE_URL (default: a fresh SQLite file)")
    args = parser.parse_args(argv)

    folder = tempfile.mkdtemp(prefix="msp-bench-inbox-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    _environment(args.db, folder)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    # The bench's Dovecot is on loopback, which a tenant's mailbox may not name in production
    # (msp.hosts): the operator's own tool allows it.
    settings.TENANT_SERVERS_ALLOW_PRIVATE = True

    from tests.inbox.dovecot import Dovecot, available

    if reason := available():
        print(f"cannot run: {reason}", file=sys.stderr)
        return 2
    call_command("migrate", verbosity=0)
    # One INFO line per message filed (the worker's log): kept out of the terminal here.
    logging.getLogger("inbox").setLevel(logging.WARNING)
    backend = connection.vendor
    dovecot = Dovecot().start()
    try:
        rounds = []
        for index in range(args.rounds):
            rounds.append(poll_once(dovecot, args.messages, str(index)))
            print(f"round {index + 1}: {rounds[-1]['rate']:.0f} messages/s", file=sys.stderr)
    finally:
        dovecot.stop()
    print("| line | median | time | filing's share | rounds |")
    print("|---|---|---|---|---|")
    print(summary(rounds, args.messages, backend))
    return 0


if __name__ == "__main__":
    sys.exit(main())
