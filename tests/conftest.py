import os

import pytest
from django.db import connection

from msp.roles import Role
from tests.factories import ClientFactory, MembershipFactory, TenantFactory, UserFactory

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config, items):
    """Postgres-only tests are deselected on SQLite (not skipped): CI runs them on PostgreSQL."""
    if connection.vendor == "postgresql":
        return
    keep, drop = [], []
    for item in items:
        (drop if item.get_closest_marker("postgres") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """In CI nothing optional may skip: a skipped test fails the run."""
    skipped = terminalreporter.stats.get("skipped", [])
    if IN_CI and skipped:
        terminalreporter.write_line(f"CI: {len(skipped)} test(s) skipped; in CI that is a failure.", red=True)
        terminalreporter._session.exitstatus = 1  # noqa: SLF001


@pytest.fixture(autouse=True)
def _media_and_celery(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SDI_RECEIPTS_DIR = str(tmp_path / "sdi-receipts")  # the watched folder (billing.einvoice.folder)


@pytest.fixture(autouse=True)
def _english_by_default():
    """Each test starts in English: a language activated by one test never leaks into the next."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _clean_cache(request):
    """The cache is Redis in CI's second run, shared by all tests: start each from zero
    (failed-login counters would otherwise leak from one test into the next). Without
    Redis it is a database table, rolled back with each test anyway."""
    from django.conf import settings
    from django.core.cache import caches

    caches["fragments"].clear()  # per process, like a server's; keep tests independent
    if "redis" not in settings.CACHES["default"]["BACKEND"].lower():
        yield
        return
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def tenant(db):
    return TenantFactory(name="Alpha MSP", slug="alpha")


@pytest.fixture
def other_tenant(db):
    return TenantFactory(name="Bravo MSP", slug="bravo")


@pytest.fixture
def make_member(db):
    def make(tenant, role=Role.TECHNICIAN, client=None, **user_kwargs):
        if role == Role.CLIENT and client is None:
            client = ClientFactory(tenant=tenant)
        return MembershipFactory(tenant=tenant, role=role, client=client, user=UserFactory(**user_kwargs))

    return make


@pytest.fixture
def owner(tenant, make_member):
    return make_member(tenant, Role.OWNER)


@pytest.fixture
def owner_client(client, owner):
    """Django's test client, signed in as the tenant's owner."""
    client.force_login(owner.user)
    return client


@pytest.fixture(scope="session")
def dovecot():
    """A private Dovecot on loopback for the session (each test takes its own account).
    Missing, it skips the test locally and fails it in CI (``.ci/run`` installs it)."""
    from tests.inbox.dovecot import Dovecot, available

    reason = available()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"{reason} (CI must run the IMAP tests)")
        pytest.skip(reason)
    server = Dovecot().start()
    yield server
    server.stop()


@pytest.fixture
def smtp(settings):
    """Django's SMTP backend pointed at a loopback port where nothing listens yet;
    `smtp.up(handler)` starts a real SMTP server there (tests/mailsink.py)."""
    from aiosmtpd.controller import Controller

    from tests.mailsink import free_port

    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""

    class Server:
        controller = None

        def up(self, handler):
            self.controller = Controller(handler, hostname="127.0.0.1", port=port)
            self.controller.start()

    server = Server()
    yield server
    if server.controller is not None:
        server.controller.stop()
