import pytest

from inbox.choices import ImapSecurity
from inbox.services import mailbox_create
from tests.conftest import IN_CI
from tests.inbox.dovecot import Dovecot, available


@pytest.fixture(scope="session")
def dovecot(tmp_path_factory):
    """A private Dovecot on loopback for the session (each test takes its own account).
    Missing, it skips the test locally and fails it in CI (``.ci/run`` installs it)."""
    reason = available()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"{reason} (CI must run the IMAP tests)")
        pytest.skip(reason)
    server = Dovecot().start()
    yield server
    server.stop()


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
