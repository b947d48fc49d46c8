"""The "Test connection" service: sign in, open the folder, count, and say what the server said."""

import pytest

from inbox.choices import ImapSecurity
from inbox.imap import ImapSettings
from inbox.models import Mailbox
from inbox.services import mailbox_test_connection
from tests.inbox.conftest import imap_mailbox
from tests.inbox.dovecot import free_port, message

pytestmark = [pytest.mark.dovecot, pytest.mark.django_db]


def settings_of(account, **changes) -> ImapSettings:
    values = {
        "host": "127.0.0.1",
        "port": account.server.port,
        "security": ImapSecurity.NONE,
        "username": account.username,
        "password": account.password,
        "folder": "INBOX",
        **changes,
    }
    return ImapSettings(**values)


def test_a_saved_mailbox_answers_with_its_folders_count_and_the_servers_greeting(tenant, imap_account):
    imap_account.deliver([message("One"), message("Two")])
    mailbox = imap_mailbox(tenant, imap_account)

    ok, answer = mailbox_test_connection(mailbox=mailbox)

    assert ok
    assert answer.startswith(
        f"Signed in to 127.0.0.1:{imap_account.server.port} as {imap_account.username} "
        "(not encrypted). The folder INBOX holds 2 messages."
    )
    assert "The server said: [CAPABILITY" in answer and "Dovecot" in answer


def test_settings_not_saved_yet_can_be_tried(imap_account, trust_test_ca):
    ok, answer = mailbox_test_connection(
        imap=settings_of(imap_account, security=ImapSecurity.SSL, port=imap_account.server.ssl_port)
    )
    assert ok and "The folder INBOX holds 0 messages." in answer


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"password": "wrong"},
            "The server refused the sign-in: [AUTHENTICATIONFAILED] Authentication failed.",
        ),
        (
            {"folder": "Archive 2025"},
            "The folder Archive 2025 cannot be opened: Mailbox doesn't exist: Archive 2025",
        ),
        ({"port": "free"}, "Cannot reach 127.0.0.1:{port}: Connection refused"),
        ({"security": ImapSecurity.SSL, "port": "ssl"}, "failed: certificate verify failed"),
    ],
)
def test_a_failure_answers_with_the_servers_words(imap_account, changes, expected):
    port = {"free": free_port(), "ssl": imap_account.server.ssl_port}.get(changes.get("port"))
    if port:
        changes = {**changes, "port": port}
    ok, answer = mailbox_test_connection(imap=settings_of(imap_account, **changes))
    assert not ok
    assert expected.format(port=port) in answer


def test_testing_changes_nothing_on_the_mailbox(tenant, imap_account):
    mailbox = imap_mailbox(tenant, imap_account, password="wrong")
    before = Mailbox.unscoped.filter(pk=mailbox.pk).values().get()
    assert mailbox_test_connection(mailbox=mailbox)[0] is False
    assert Mailbox.unscoped.filter(pk=mailbox.pk).values().get() == before
