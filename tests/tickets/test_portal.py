"""Client contacts open and follow their company's tickets; never see internal notes."""

import pytest
from django.urls import reverse

from msp.roles import Role
from tests.factories import ClientFactory, TicketCommentFactory, TicketFactory
from tickets.choices import Source, TicketStatus
from tickets.models import Ticket, TicketComment

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact_client(client, make_member, acme, contact):
    member = make_member(acme.tenant, Role.CLIENT, client=acme, email=contact.email)
    client.force_login(member.user)
    return client


def test_open_list_follow_and_reply(contact_client, acme, seeded, contact, tech):
    response = contact_client.post(
        reverse("portal:ticket-create"),
        {"subject": "Email is down", "description": "Since 9", "priority": "P2"},
    )
    ticket = Ticket.unscoped.get(subject="Email is down")
    assert response.status_code == 302 and response.url == reverse("portal:ticket", args=[ticket.pk])
    assert ticket.client == acme and ticket.source == Source.PORTAL and ticket.contact == contact
    assert ticket.sla_state == "ok"

    assert b"Email is down" in contact_client.get(reverse("portal:tickets")).content
    TicketCommentFactory(ticket=ticket, author=tech.user, body="We are looking", public=True)
    TicketCommentFactory(ticket=ticket, author=tech.user, body="Server RAID degraded", public=False)
    page = contact_client.get(reverse("portal:ticket", args=[ticket.pk])).content.decode()
    assert "We are looking" in page and "Server RAID degraded" not in page

    Ticket.unscoped.filter(pk=ticket.pk).update(
        status=TicketStatus.WAITING, sla_pauses=[["2026-01-01T00:00:00+00:00", None]]
    )
    contact_client.post(reverse("portal:ticket-reply", args=[ticket.pk]), {"body": "Thanks", "public": "0"})
    reply = TicketComment.unscoped.get(body="Thanks")
    assert reply.public  # a contact cannot write internal notes
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN and ticket.first_response_at is None


def test_internal_notes_never_reach_contacts_anywhere(contact_client, acme, seeded):
    ticket = TicketFactory(tenant=seeded, client=acme)
    TicketCommentFactory(ticket=ticket, body="NOTE-XYZ", public=False)
    for url in (reverse("portal:tickets"), reverse("portal:ticket", args=[ticket.pk])):
        assert b"NOTE-XYZ" not in contact_client.get(url).content
    api = contact_client.get(reverse("api:ticket-comments", args=[ticket.pk]))
    assert api.status_code == 200 and "NOTE-XYZ" not in api.content.decode()
    refused = contact_client.post(
        reverse("api:ticket-comments", args=[ticket.pk]),
        {"body": "sneaky", "public": False},
        content_type="application/json",
    )
    assert refused.status_code == 403 and not TicketComment.unscoped.filter(body="sneaky").exists()


def test_sibling_clients_ticket_is_404(contact_client, seeded):
    sibling = TicketFactory(tenant=seeded, client=ClientFactory(tenant=seeded))
    assert contact_client.get(reverse("portal:ticket", args=[sibling.pk])).status_code == 404
    assert (
        contact_client.post(reverse("portal:ticket-reply", args=[sibling.pk]), {"body": "x"}).status_code
        == 404
    )


def test_staff_are_refused_the_portal(tech_client):
    assert tech_client.get(reverse("portal:tickets")).status_code == 403


def test_portal_create_refuses_an_asset_of_another_client(contact_client, seeded):
    from tests.factories import AssetFactory

    theirs = AssetFactory(tenant=seeded, client=ClientFactory(tenant=seeded))
    response = contact_client.post(
        reverse("portal:ticket-create"), {"subject": "x", "priority": "P3", "asset": theirs.pk}
    )
    assert response.status_code == 400 and not Ticket.unscoped.exists()
