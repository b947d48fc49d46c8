"""A tenant's admin names its IMAP server, and the app dials it: never a server inside the
network the app runs in (msp.hosts, as for the tenant's SMTP server). With the guard on (the
production default), a private or loopback address is refused when saved, and a name that
resolves to one is refused before any connection, with the reason shown; nothing is dialled."""

import pytest
from django.core.exceptions import ValidationError

from inbox.choices import ImapSecurity
from inbox.models import Mailbox
from inbox.services import mailbox_create, mailbox_test_connection
from msp.scoping import tenant_scope
from tests.inbox.conftest import imap_mailbox

pytestmark = [pytest.mark.dovecot, pytest.mark.django_db]

IMAP = {"imap_port": 143, "imap_security": ImapSecurity.NONE, "imap_username": "u", "imap_folder": "INBOX"}


@pytest.mark.parametrize("host", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "[::1]"])
def test_a_private_address_is_refused_when_saved(tenant, settings, host):
    settings.TENANT_SERVERS_ALLOW_PRIVATE = False
    with tenant_scope(tenant), pytest.raises(ValidationError) as refused:
        mailbox_create(
            tenant=tenant, name="Support", address="help@msp.example", imap_host=host, password="p", **IMAP
        )
    assert "private, loopback or link-local" in str(refused.value.message_dict["imap_host"])
    assert not Mailbox.unscoped.exists()


def test_a_name_resolving_to_loopback_is_not_dialled(tenant, settings, imap_account):
    mailbox = imap_mailbox(tenant, imap_account)  # a real server listens there
    Mailbox.unscoped.filter(pk=mailbox.pk).update(imap_host="localhost")
    mailbox.refresh_from_db()
    settings.TENANT_SERVERS_ALLOW_PRIVATE = False

    ok, answer = mailbox_test_connection(mailbox=mailbox)

    assert not ok and "private, loopback or link-local" in answer
    settings.TENANT_SERVERS_ALLOW_PRIVATE = True  # the same server, allowed: it answers
    assert mailbox_test_connection(mailbox=mailbox)[0]
