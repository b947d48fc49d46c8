"""Nothing is done twice (issue 18, item 3): every create form carries a one-time token, and
a second post of the same form (Back then Save, a double click) shows what the first one
created instead of creating it again."""

import pytest
from django.urls import reverse

from msp.models import Client, Contact, IdempotencyKey
from msp.roles import Role
from msp.views.once import FIELD, KEY_PREFIX, form_token_new
from tests.factories import ClientFactory, ContactFactory
from tests.timetracking.helpers import balance, prepaid, ticket_on
from tickets.models import Ticket
from timetracking.models import TimeEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(tenant, make_member):
    return make_member(tenant, Role.OWNER)


@pytest.fixture
def browser(client, owner):
    client.force_login(owner.user)
    return client


def _token_in(html: str) -> str:
    marker = f'name="{FIELD}" value="'
    assert marker in html, "the form carries no one-time token"
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


@pytest.mark.parametrize(
    "url_name",
    ["tickets:create", "clients:create", "assets:create", "contracts:create", "timesheet:week"],
)
def test_create_forms_carry_a_fresh_token(browser, url_name):
    first = _token_in(browser.get(reverse(url_name)).content.decode())
    second = _token_in(browser.get(reverse(url_name)).content.decode())
    assert first != second


def test_back_then_save_on_new_ticket_opens_one_ticket(browser, owner, tenant):
    acme = ClientFactory(tenant=tenant, name="Acme")
    token = _token_in(browser.get(reverse("tickets:create")).content.decode())
    data = {"client": acme.pk, "subject": "Mail down", "priority": "P3", "source": "phone", FIELD: token}
    first = browser.post(reverse("tickets:create"), data)
    assert first.status_code == 302
    ticket = Ticket.unscoped.get()
    assert first["Location"] == ticket.get_absolute_url()
    again = browser.post(reverse("tickets:create"), data, follow=True)
    assert Ticket.unscoped.count() == 1
    assert again.redirect_chain[-1][0] == ticket.get_absolute_url()
    assert "already saved" in again.content.decode()
    # A new form (a new token) opens another ticket, as asked.
    data[FIELD] = form_token_new()
    browser.post(reverse("tickets:create"), data)
    assert Ticket.unscoped.count() == 2


def test_a_refused_form_keeps_its_token_unspent(browser, tenant):
    token = form_token_new()
    refused = browser.post(reverse("clients:create"), {"name": "", FIELD: token})
    assert refused.status_code == 200 and _token_in(refused.content.decode()) == token
    assert not IdempotencyKey.objects.filter(key=KEY_PREFIX + token).exists()
    form = refused.context["form"]
    data = {name: field.initial or "" for name, field in form.fields.items() if field.initial is not None}
    data.update({"name": "Globex", "currency": "EUR", FIELD: token})
    saved = browser.post(reverse("clients:create"), data)
    assert saved.status_code == 302, saved.context["form"].errors if saved.context else saved
    browser.post(reverse("clients:create"), data)
    assert Client.unscoped.filter(name="Globex").count() == 1


def test_tokens_belong_to_the_member_who_posted(browser, tenant, make_member, client):
    acme = ClientFactory(tenant=tenant)
    token = form_token_new()
    data = {"client": acme.pk, "subject": "VPN", "priority": "P3", "source": "phone", FIELD: token}
    browser.post(reverse("tickets:create"), data)
    colleague = make_member(tenant, Role.ADMIN)
    from django.test import Client as HttpClient

    other = HttpClient()
    other.force_login(colleague.user)
    other.post(reverse("tickets:create"), data)  # the same token from someone else is theirs
    assert Ticket.unscoped.count() == 2


def test_contact_site_and_block_forms_create_once(browser, tenant):
    acme = ClientFactory(tenant=tenant, currency="EUR")
    token = form_token_new()
    url = reverse("clients:contact-create", args=[acme.pk])
    data = {"name": "Jane Doe", "email": "jane@acme.example", FIELD: token}
    assert browser.post(url, data).status_code == 302
    assert browser.post(url, data).status_code == 302
    assert Contact.unscoped.filter(client=acme).count() == 1
    contract = prepaid(client=acme, currency="EUR")
    url = reverse("contracts:block-create", args=[contract.pk])
    data = {
        "hours": "10",
        "price_0": "900.00",
        "price_1": "EUR",
        "origin": "manual",
        FIELD: form_token_new(),
    }
    browser.post(url, data)
    browser.post(url, data)
    assert balance(contract) == 600 + 600


def test_log_time_twice_logs_once_and_shows_the_panel(browser, tenant):
    contract = prepaid(client=ClientFactory(tenant=tenant, currency="EUR"), currency="EUR")
    ticket = ticket_on(contract)
    data = {"ticket": ticket.pk, "minutes": 15, "billable": "on", "panel": "1", FIELD: form_token_new()}
    first = browser.post(reverse("timesheet:entry-create"), data, HTTP_HX_REQUEST="true")
    second = browser.post(reverse("timesheet:entry-create"), data, HTTP_HX_REQUEST="true")
    assert first.status_code == 200 and second.status_code == 204
    assert second["HX-Redirect"] == ticket.get_absolute_url()
    assert TimeEntry.unscoped.count() == 1 and balance(contract) == 585


def test_portal_ticket_twice_opens_one(tenant, make_member, client):
    acme = ClientFactory(tenant=tenant)
    contact = make_member(tenant, Role.CLIENT, client=acme)
    ContactFactory(tenant=tenant, client=acme, email=contact.user.email, portal_access=True)
    client.force_login(contact.user)
    data = {"subject": "Printer", "description": "It jams", "priority": "P3", FIELD: form_token_new()}
    first = client.post(reverse("portal:ticket-create"), data)
    second = client.post(reverse("portal:ticket-create"), data)
    assert first.status_code == 302 and second["Location"] == first["Location"]
    assert Ticket.unscoped.count() == 1


def test_an_invitation_saved_twice_invites_once(
    browser, tenant, mailoutbox, django_capture_on_commit_callbacks
):
    from msp.models import Invitation

    data = {"email": "tina@example.com", "username": "tina", "role": Role.TECHNICIAN, FIELD: form_token_new()}
    for _attempt in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = browser.post(reverse("members:invite"), data)
        assert response["Location"] == reverse("members:list")
    assert Invitation.unscoped.filter(email="tina@example.com").count() == 1
    assert len(mailoutbox) == 1
