"""Small things a newcomer meets in the first hour (issue 18, item 12)."""

import io
import logging
import logging.config
import re
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils.log import DEFAULT_LOGGING

from msp.roles import Role
from tests.factories import ClientFactory, MembershipFactory, TenantFactory, TicketFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def two_tenants(db):
    """A technician of Alpha who is also a technician of Bravo, and a Carol MSP they are not in."""
    alpha = TenantFactory(name="Alpha MSP", slug="alpha")
    bravo = TenantFactory(name="Bravo MSP", slug="bravo")
    carol = TenantFactory(name="Carol MSP", slug="carol")
    user = UserFactory()
    MembershipFactory(tenant=alpha, user=user, role=Role.TECHNICIAN)
    MembershipFactory(tenant=bravo, user=user, role=Role.TECHNICIAN)
    return user, alpha, bravo, carol


def _signed_in(client, user, tenant):
    client.force_login(user)
    session = client.session
    session["msp_tenant_id"] = tenant.pk
    session.save()
    return client


def test_a_404_for_an_object_in_another_of_my_tenants_offers_to_switch(client, two_tenants):
    user, alpha, bravo, _carol = two_tenants
    theirs = TicketFactory(tenant=bravo, client=ClientFactory(tenant=bravo))
    http = _signed_in(client, user, alpha)

    response = http.get(reverse("tickets:detail", args=[theirs.pk]))
    assert response.status_code == 404
    body = response.content.decode()
    assert "It is in Bravo MSP, another organisation you work in." in body
    assert 'name="tenant" value="bravo"' in body

    # The switch opens the page asked for, now in Bravo.
    switched = http.post(reverse("tenant_switch"), {"tenant": "bravo", "next": theirs.get_absolute_url()})
    assert switched.status_code == 302 and switched["Location"] == theirs.get_absolute_url()
    assert http.get(theirs.get_absolute_url()).status_code == 200
    # A "next" elsewhere is ignored: the dashboard.
    away = http.post(reverse("tenant_switch"), {"tenant": "alpha", "next": "https://evil.example/"})
    assert away["Location"] == reverse("dashboard")


def test_nothing_is_revealed_about_tenants_i_am_not_in_or_cannot_see(client, two_tenants, make_member):
    user, alpha, bravo, carol = two_tenants
    carols = TicketFactory(tenant=carol, client=ClientFactory(tenant=carol))
    http = _signed_in(client, user, alpha)
    for response in (
        http.get(reverse("tickets:detail", args=[carols.pk])),  # another MSP's ticket
        http.get(reverse("tickets:detail", args=[10**9])),  # no such ticket anywhere
    ):
        assert response.status_code == 404
        body = response.content.decode()
        assert "Carol MSP" not in body and "another organisation" not in body

    # A client contact of Bravo: a staff page its role may not open there is not offered,
    # not even for its own company's ticket.
    contact = make_member(bravo, Role.CLIENT)
    MembershipFactory(tenant=alpha, user=contact.user, role=Role.TECHNICIAN)
    other_clients = TicketFactory(tenant=bravo, client=ClientFactory(tenant=bravo))
    own = TicketFactory(tenant=bravo, client=contact.client)
    http = _signed_in(client, contact.user, alpha)
    assert (
        "another organisation"
        not in http.get(reverse("tickets:detail", args=[other_clients.pk])).content.decode()
    )
    assert "another organisation" not in http.get(reverse("tickets:detail", args=[own.pk])).content.decode()


@pytest.fixture
def console_log(settings):
    """The project's logging as `manage.py runserver` sets it up (Django's defaults, then
    settings.LOGGING), with DEBUG on, into a string."""
    settings.DEBUG = True
    stream = io.StringIO()
    logging.config.dictConfig(DEFAULT_LOGGING)
    config = {
        **settings.LOGGING,
        "handlers": {"console": {"class": "logging.StreamHandler", "stream": stream}},
    }
    logging.config.dictConfig(config)
    yield stream
    logging.config.dictConfig(DEFAULT_LOGGING)
    logging.config.dictConfig(settings.LOGGING)


def test_a_permission_refusal_logs_one_line(client, tenant, make_member, console_log):
    technician = make_member(tenant, Role.TECHNICIAN)
    client.force_login(technician.user)
    assert client.get(reverse("tenant_settings")).status_code == 403
    lines = [line for line in console_log.getvalue().splitlines() if line.strip()]
    assert lines == ["Forbidden (Permission denied): /settings/"], lines


def test_a_server_error_keeps_its_traceback(console_log):
    logging.getLogger("django.request").error(
        "Internal Server Error: /x", exc_info=ValueError("boom"), extra={"status_code": 500}
    )
    assert "ValueError: boom" in console_log.getvalue()


def test_the_pages_have_a_favicon(client, tenant, owner):
    assert (ROOT / "msp/static/img/favicon.svg").read_text().startswith("<svg")
    client.force_login(owner.user)
    assert 'rel="icon" href="/static/img/favicon.svg"' in client.get(reverse("dashboard")).content.decode()
    client.logout()
    assert 'rel="icon"' in client.get(reverse("login")).content.decode()


def test_scripts_run_serves_this_machine_only_with_debug_on():
    script = (ROOT / "scripts/run").read_text()
    assert re.search(r'HOST="\$\{HOST:-127\.0\.0\.1\}"', script)
    assert 'runserver "$HOST:$PORT"' in script and 'runserver "0.0.0.0' not in script
    assert re.search(r'export DEBUG="\$\{DEBUG:-true\}"', script)


def test_a_client_contact_is_offered_only_its_own_companys_rows(client, make_member):
    alpha = TenantFactory(name="Alpha MSP", slug="alpha")
    bravo = TenantFactory(name="Bravo MSP", slug="bravo")
    in_bravo = make_member(bravo, Role.CLIENT)
    user = in_bravo.user
    MembershipFactory(tenant=alpha, user=user, role=Role.CLIENT, client=ClientFactory(tenant=alpha))
    own = TicketFactory(tenant=bravo, client=in_bravo.client)
    not_own = TicketFactory(tenant=bravo, client=ClientFactory(tenant=bravo))
    http = _signed_in(client, user, alpha)

    response = http.get(reverse("portal:ticket", args=[own.pk]))
    assert response.status_code == 404 and "It is in Bravo MSP" in response.content.decode()
    response = http.get(reverse("portal:ticket", args=[not_own.pk]))
    assert response.status_code == 404 and "another organisation" not in response.content.decode()
