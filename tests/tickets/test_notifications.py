"""Notifications that reach the MSP (issue 18): a client's portal ticket or reply tells the
assignee, or when nobody is assigned the technicians and the dispatch address; the client is
acknowledged with the ticket's number; mail goes out in the MSP's name, one recipient group
per message, and each member's preferences decide what reaches them by e-mail."""

import pytest
from django.core import mail
from django.urls import reverse

from msp.mail import REPLY_MARKER
from msp.models import Notification, NotificationKind, Tenant
from msp.notifications import notification_preferences_set
from msp.roles import Role
from tickets.models import Ticket
from tickets.services import comment_add, ticket_assign, ticket_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(seeded, tech, make_member):
    """A second technician, an owner and an account manager besides `tech`."""
    return {
        "tech2": make_member(seeded, Role.TECHNICIAN, email="tech2@msp.example", first_name="Luca"),
        "owner": make_member(seeded, Role.OWNER, email="owner@msp.example"),
        "am": make_member(seeded, Role.ACCOUNT_MANAGER, email="am@msp.example"),
    }


@pytest.fixture
def contact_http(client, make_member, acme, contact):
    member = make_member(acme.tenant, Role.CLIENT, client=acme, email=contact.email)
    client.force_login(member.user)
    return client


def _open_in_portal(http, capture, subject="Printer on fire"):
    with capture(execute=True):
        response = http.post(
            reverse("portal:ticket-create"),
            {"subject": subject, "description": "Smoke, lots", "priority": "P2"},
        )
    assert response.status_code == 302
    return Ticket.unscoped.get(subject=subject)


def _to(address):
    return [m for m in mail.outbox if m.to == [address]]


def test_unassigned_portal_ticket_reaches_technicians_and_dispatch_and_is_acknowledged(
    contact_http, seeded, tech, staff, contact, django_capture_on_commit_callbacks
):
    Tenant.objects.filter(pk=seeded.pk).update(dispatch_email="dispatch@msp.example")
    ticket = _open_in_portal(contact_http, django_capture_on_commit_callbacks)

    # In the app: each technician, nobody else (the owner and account manager are not dispatch).
    told = Notification.unscoped.filter(kind=NotificationKind.TICKET_NEW, target_id=ticket.pk)
    assert sorted(told.values_list("membership__user__email", flat=True)) == [
        "tech2@msp.example",
        "tech@msp.example",
    ]
    first = told.first()
    assert first.target_type == "tickets.ticket" and first.url == reverse("tickets:detail", args=[ticket.pk])
    assert f"#{ticket.pk}" in first.title and "Acme" in first.title and first.body == "Smoke, lots"

    # By e-mail: each technician and the dispatch address alone; the client its acknowledgement.
    assert len(mail.outbox) == 4
    for message in mail.outbox:
        assert len(message.to) == 1 and not message.cc and not message.bcc  # one group per message
    assert _to("tech@msp.example") and _to("tech2@msp.example") and _to("dispatch@msp.example")
    assert _to("tech2@msp.example")[0].body.startswith("Hello Luca,")
    [ack] = _to(contact.email)
    assert f"#{ticket.pk}" in ack.subject and f"#{ticket.pk}" in ack.body
    # Its first line is where the client's answer ends (tickets.mail), then the greeting.
    assert ack.body.startswith(f"{REPLY_MARKER}\n\nHello Giulia,")
    assert ack.body.rstrip().endswith("— Alpha MSP")
    assert f"/portal/tickets/{ticket.pk}/" in ack.body
    # Sent in the MSP's name, from the server's address when it set none of its own.
    assert {m.from_email for m in mail.outbox} == {"Alpha MSP <noreply@localhost>"}


def test_mail_carries_the_msps_sender_identity(
    contact_http, seeded, tech, contact, django_capture_on_commit_callbacks
):
    Tenant.objects.filter(pk=seeded.pk).update(
        email_from_name="Acme IT", email_from_address="support@acme.example"
    )
    _open_in_portal(contact_http, django_capture_on_commit_callbacks)
    assert mail.outbox and {m.from_email for m in mail.outbox} == {"Acme IT <support@acme.example>"}
    assert mail.outbox[0].message()["From"] == "Acme IT <support@acme.example>"
    assert _to(contact.email)[0].body.rstrip().endswith("— Acme IT")


def test_a_client_reply_reaches_the_assignee_only(
    contact_http, seeded, acme, tech, staff, contact, django_capture_on_commit_callbacks
):
    Tenant.objects.filter(pk=seeded.pk).update(dispatch_email="dispatch@msp.example")
    ticket = _open_in_portal(contact_http, django_capture_on_commit_callbacks)
    ticket_assign(ticket, assignee=staff["tech2"].user, by=tech.user)
    mail.outbox.clear()
    Notification.unscoped.all().delete()

    with django_capture_on_commit_callbacks(execute=True):
        contact_http.post(reverse("portal:ticket-reply", args=[ticket.pk]), {"body": "Now it smells"})
    [told] = Notification.unscoped.filter(kind=NotificationKind.TICKET_REPLY)
    assert told.membership == staff["tech2"] and told.body == "Now it smells"
    assert [m.to for m in mail.outbox] == [["tech2@msp.example"]]  # no acknowledgement of a reply


def test_a_preference_off_keeps_the_notification_in_the_app_only(
    contact_http, seeded, tech, contact, django_capture_on_commit_callbacks
):
    notification_preferences_set(membership=tech, email_kinds=[NotificationKind.SLA])
    ticket = _open_in_portal(contact_http, django_capture_on_commit_callbacks)
    assert Notification.unscoped.filter(membership=tech, target_id=ticket.pk).exists()
    assert not _to("tech@msp.example")
    assert _to(contact.email)  # the client's acknowledgement does not depend on it


def test_assigning_a_ticket_tells_the_new_assignee_unless_they_took_it(seeded, acme, tech, staff):
    from tests.factories import TicketFactory

    ticket = TicketFactory(tenant=seeded, client=acme)
    ticket_update(ticket, by=staff["owner"].user, assignee=tech.user)
    [told] = Notification.unscoped.filter(kind=NotificationKind.TICKET_ASSIGNED)
    assert told.membership == tech and f"#{ticket.pk}" in told.title
    ticket_update(ticket, by=staff["tech2"].user, assignee=staff["tech2"].user)  # took it: no news
    assert Notification.unscoped.filter(kind=NotificationKind.TICKET_ASSIGNED).count() == 1


def test_staff_replies_and_notes_notify_no_staff(seeded, acme, tech, staff):
    from tests.factories import TicketFactory

    ticket = TicketFactory(tenant=seeded, client=acme, assignee=tech.user)
    assert list(Notification.unscoped.values_list("kind", flat=True)) == [NotificationKind.TICKET_ASSIGNED]
    comment_add(ticket, author=staff["owner"].user, body="On it", public=True)
    comment_add(ticket, author=staff["owner"].user, body="note", public=False)
    assert Notification.unscoped.count() == 1


def test_a_client_contacts_api_ticket_is_told_as_a_portal_one(
    seeded, acme, tech, contact, make_member, django_capture_on_commit_callbacks
):
    from rest_framework.test import APIClient

    from msp.models import ApiToken

    member = make_member(seeded, Role.CLIENT, client=acme, email=contact.email)
    _token, key = ApiToken.issue(member)
    api = APIClient(headers={"authorization": f"Token {key}"})
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/tickets/",
            {"client": acme.pk, "subject": "VPN drops", "source": "phone", "contact": contact.pk},
            format="json",
        )
    assert response.status_code == 201, response.content
    ticket = Ticket.unscoped.get(pk=response.json()["id"])
    assert ticket.source == "portal"
    assert Notification.unscoped.filter(membership=tech, kind=NotificationKind.TICKET_NEW).exists()
    assert _to(contact.email) and _to("tech@msp.example")


def test_the_acknowledgement_speaks_the_msps_language(
    contact_http, seeded, tech, contact, django_capture_on_commit_callbacks
):
    Tenant.objects.filter(pk=seeded.pk).update(language="it")
    ticket = _open_in_portal(contact_http, django_capture_on_commit_callbacks)
    [ack] = _to(contact.email)
    assert ack.subject == f"Abbiamo ricevuto il tuo ticket [#{ticket.pk}]: Printer on fire"
    assert ack.body.startswith(f"{REPLY_MARKER}\n\nBuongiorno Giulia,")
    assert _to("tech@msp.example")[0].subject.startswith("Nuovo ticket da Acme")


def test_the_owner_sets_the_sender_and_dispatch_address(client, seeded, make_member):
    owner = make_member(seeded, Role.OWNER)
    client.force_login(owner.user)
    form = {
        "name": seeded.name,
        "default_currency": seeded.default_currency,
        "timezone": seeded.timezone,
        "language": seeded.language,
        "tax_rate": "22.00",
        "invoice_prefix": "",
        "email_from_name": "Alpha Support",
        "email_from_address": "not an address",
        "dispatch_email": "dispatch@alpha.example",
        "attachment_max_mb": "10",
        "tax_regime": "RF01",
    }
    refused = client.post(reverse("tenant_settings"), form)
    assert refused.status_code == 200 and "Enter a valid email address." in refused.content.decode()
    assert Tenant.objects.get(pk=seeded.pk).dispatch_email == ""  # nothing changed
    form["email_from_address"] = "support@alpha.example"
    assert client.post(reverse("tenant_settings"), form).status_code == 302
    saved = Tenant.objects.get(pk=seeded.pk)
    assert (saved.email_from_name, saved.email_from_address, saved.dispatch_email) == (
        "Alpha Support",
        "support@alpha.example",
        "dispatch@alpha.example",
    )
