"""An MSP ("alpha") with a support mailbox and three clients, as the sample e-mails in
tests/inbox/mail/ expect them: Acme (Anna Rossi, a portal login, and a ticket our e-mail
about it went out on), Bianchi (Nicolò, a contact) and Globex (known by its domain only)."""

from dataclasses import dataclass
from pathlib import Path

import pytest

from inbox.choices import ImapSecurity
from inbox.services import mailbox_create
from msp.models import Contact, OutboundEmail
from msp.roles import Role
from msp.scoping import unscoped
from tests.factories import (
    ClientFactory,
    ContactFactory,
    MailboxFactory,
    MembershipFactory,
    TicketFactory,
    UserFactory,
)
from tickets.choices import TicketStatus
from tickets.models import Ticket

MAIL = Path(__file__).parent / "mail"
REPLY_ID = "psa.ticket-reply.1@alpha-msp.example"  # the Message-ID of our e-mail about the ticket


def sample(name: str, **replace: str) -> bytes:
    raw = (MAIL / name).read_bytes()
    for old, new in replace.items():
        raw = raw.replace(old.encode(), new.encode())
    return raw


@dataclass
class Shop:
    tenant: object
    mailbox: object
    acme: object
    anna: object
    anna_user: object
    bianchi: object
    nicolo: object
    globex: object
    ticket: object


@pytest.fixture
def shop(tenant) -> Shop:
    mailbox = MailboxFactory(tenant=tenant, address="support@alpha-msp.example")
    acme = ClientFactory(tenant=tenant, name="Acme Corp", billing_email="accounts@acme-corp.example")
    anna = ContactFactory(tenant=tenant, client=acme, name="Anna Rossi", email="anna.rossi@acme-corp.example")
    anna_user = UserFactory(username="anna", email="anna.rossi@acme-corp.example", first_name="Anna")
    MembershipFactory(tenant=tenant, user=anna_user, role=Role.CLIENT, client=acme)
    bianchi = ClientFactory(tenant=tenant, name="Bianchi Srl", billing_email="")
    nicolo = ContactFactory(
        tenant=tenant, client=bianchi, name="Nicolò Bianchi", email="Nicolo@Bianchi-SRL.example"
    )
    globex = ClientFactory(tenant=tenant, name="Globex", billing_email="invoices@globex.example")
    ContactFactory(tenant=tenant, client=globex, name="Laura Neri", email="laura.neri@globex.example")
    ticket = TicketFactory(tenant=tenant, client=acme, contact=anna, subject="Printer on floor 2 is down")
    Ticket.unscoped.filter(pk=ticket.pk).update(status=TicketStatus.WAITING)  # we asked Anna
    ticket.refresh_from_db()
    OutboundEmail.unscoped.create(
        tenant=tenant,
        subject=f"[#{ticket.pk}] Printer on floor 2 is down",
        from_email="Alpha MSP <support@alpha-msp.example>",
        to=[anna.email],
        recipients=[anna.email],
        status="sent",
        message_id=REPLY_ID,
        thread=f"tickets.ticket:{ticket.pk}",
    )
    return Shop(tenant, mailbox, acme, anna, anna_user, bianchi, nicolo, globex, ticket)


def contacts_of(client) -> list:
    with unscoped():
        return list(Contact.objects.filter(client=client).order_by("pk"))


@pytest.fixture
def imap_account(dovecot):
    return dovecot.account()


@pytest.fixture
def trust_test_ca(dovecot, settings):
    """Certificates signed by the test server's CA are trusted, as INBOX_IMAP_CA_FILE does."""
    settings.INBOX_IMAP_CA_FILE = str(dovecot.ca_file)
    return dovecot.ca_file


def imap_mailbox(tenant, account, *, address="support@alpha.example", **fields):
    """A mailbox of ``tenant`` polling ``account`` over plain IMAP on loopback."""
    settings = {
        "name": "Support",
        "address": address,
        "imap_host": "127.0.0.1",
        "imap_port": account.server.port,
        "imap_security": ImapSecurity.NONE,
        "imap_username": account.username,
        "password": account.password,
        **fields,
    }
    return mailbox_create(tenant=tenant, **settings)


@pytest.fixture(autouse=True)
def _loopback_servers(settings):
    """The tests' IMAP server (Dovecot) listens on loopback, which a tenant's mailbox may not
    name in production (msp.hosts); tests/inbox/test_private_hosts.py turns the guard back on."""
    settings.TENANT_SERVERS_ALLOW_PRIVATE = True
