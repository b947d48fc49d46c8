"""The review of e-mails nobody could file: assign to a client (a new ticket, or a reply on the
ticket it answers), or discard; by service, page and API."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from inbox.choices import InboundSource, InboundStatus
from inbox.models import InboundMessage
from inbox.services import message_receive, review_assign, review_discard
from msp.roles import Role
from tests.factories import ClientFactory, ContactFactory, InboundMessageFactory, TenantFactory
from tests.inbox.conftest import contacts_of, sample
from tests.inbox.test_receive import mail
from tickets.choices import Source
from tickets.models import Ticket, TicketComment

pytestmark = pytest.mark.django_db


def stranger(shop, **kwargs):
    raw = mail(
        sender="Gino Verdi <gino@newco.example>", subject=kwargs.pop("subject", "Can you help us?"), **kwargs
    )
    message = message_receive(mailbox=shop.mailbox, raw=raw.as_bytes(), source=InboundSource.IMAP)
    assert message.status == InboundStatus.REVIEW
    return message


def test_assigning_an_unknown_sender_opens_a_ticket_and_may_add_the_contact(shop, owner):
    message = stranger(shop)
    filed = review_assign(message=message, client=shop.bianchi, create_contact=True, by=owner.user)

    assert filed.status == InboundStatus.NEW_TICKET and filed.reviewed_by == owner.user
    ticket = Ticket.unscoped.get(pk=filed.ticket_id)
    assert (ticket.client, ticket.source, ticket.subject) == (shop.bianchi, Source.EMAIL, "Can you help us?")
    gino = contacts_of(shop.bianchi)[-1]
    assert (gino.name, gino.email, ticket.contact) == ("Gino Verdi", "gino@newco.example", gino)
    assert (
        filed.note.startswith("Assigned to Bianchi Srl by ") and f"Opened ticket #{ticket.pk}" in filed.note
    )
    # The next e-mail from Gino is known by its address: filed on its own.
    again = message_receive(
        mailbox=shop.mailbox, raw=mail(sender="gino@newco.example", subject="More").as_bytes(), source="imap"
    )
    assert again.status == InboundStatus.NEW_TICKET and again.client_id == shop.bianchi.pk


def test_assigning_without_adding_the_contact_keeps_the_sender_on_the_reply(shop, owner):
    message = stranger(shop, subject=f"Re: [#{shop.ticket.pk}] Printer on floor 2 is down")
    assert f"It names #{shop.ticket.pk}" in message.note
    filed = review_assign(message=message, client=shop.acme, by=owner.user)
    assert filed.status == InboundStatus.REPLY and filed.ticket_id == shop.ticket.pk
    comment = TicketComment.unscoped.get(pk=filed.comment_id)
    assert comment.author is None and comment.sender == "Gino Verdi <gino@newco.example>"
    assert len(contacts_of(shop.acme)) == 1


def test_a_message_is_assigned_or_discarded_once(shop, owner):
    message = stranger(shop)
    review_discard(message=message, by=owner.user)
    message.refresh_from_db()
    assert message.status == InboundStatus.DISCARDED and "Discarded by" in message.note
    with pytest.raises(ValidationError):
        review_discard(message=message, by=owner.user)
    with pytest.raises(ValidationError):
        review_assign(message=message, client=shop.acme, by=owner.user)
    other = stranger(shop, subject="Other")
    review_assign(message=other, client=shop.acme, by=owner.user)
    with pytest.raises(ValidationError):
        review_assign(message=other, client=shop.bianchi, by=owner.user)
    assert Ticket.unscoped.filter(tenant=shop.tenant).count() == 2  # the shop's and the one filed


def test_a_dropped_auto_reply_can_still_be_filed_by_hand(shop, owner):
    message = message_receive(mailbox=shop.mailbox, raw=sample("out_of_office.eml"), source="imap")
    filed = review_assign(message=message, client=shop.acme, by=owner.user)
    assert filed.status == InboundStatus.REPLY and filed.ticket_id == shop.ticket.pk


def test_another_tenants_client_or_contact_is_refused(shop, owner):
    other = TenantFactory(name="Bravo", slug="bravo")
    theirs = ClientFactory(tenant=other, name="Theirs")
    message = stranger(shop)
    with pytest.raises(ValidationError):
        review_assign(message=message, client=theirs, by=owner.user)
    with pytest.raises(ValidationError) as refused:
        review_assign(
            message=message,
            client=shop.acme,
            contact=ContactFactory(tenant=shop.tenant, client=shop.bianchi),
            by=owner.user,
        )
    assert "contact" in refused.value.error_dict
    assert InboundMessage.unscoped.get(pk=message.pk).status == InboundStatus.REVIEW


# --- pages --------------------------------------------------------------------------------------


def test_the_review_page_lists_waiting_mail_and_assigns_it(shop, client, make_member):
    technician = make_member(shop.tenant, Role.TECHNICIAN)
    client.force_login(technician.user)
    message = stranger(shop)
    message_receive(mailbox=shop.mailbox, raw=sample("latin1.eml"), source="imap")  # filed: not listed

    page = client.get(reverse("inbox:review"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Can you help us?" in body and "gino@newco.example" in body and "La stampante" not in body

    detail = client.get(reverse("inbox:message", args=[message.pk]))
    assert detail.status_code == 200 and "Assign to a client" in detail.content.decode()
    answer = client.post(
        reverse("inbox:message", args=[message.pk]), {"client": shop.globex.pk, "create_contact": "on"}
    )
    assert answer.status_code == 302 and answer["Location"] == reverse("inbox:review")
    message.refresh_from_db()
    assert message.status == InboundStatus.NEW_TICKET and message.client_id == shop.globex.pk
    assert "Can you help us?" not in client.get(reverse("inbox:review")).content.decode()


def test_the_log_filters_by_status_and_links_the_ticket(shop, owner_client):
    filed = message_receive(mailbox=shop.mailbox, raw=sample("latin1.eml"), source="imap")
    message_receive(mailbox=shop.mailbox, raw=sample("dsn_bounce.eml"), source="imap")
    everything = owner_client.get(reverse("inbox:log")).content.decode()
    assert "La stampante non funziona più" in everything and "Undelivered Mail" in everything
    assert reverse("tickets:detail", args=[filed.ticket_id]) in everything
    dropped = owner_client.get(reverse("inbox:log") + "?status=dropped").content.decode()
    assert "Undelivered Mail" in dropped and "La stampante" not in dropped


def test_discarding_from_the_page_and_downloading_the_raw_mail(shop, owner_client):
    message = stranger(shop)
    raw = owner_client.get(reverse("inbox:raw", args=[message.pk]))
    assert raw.status_code == 200 and raw["Content-Type"] == "message/rfc822"
    assert b"gino@newco.example" in b"".join(raw.streaming_content)
    assert raw["Content-Disposition"].startswith("attachment")
    answer = owner_client.post(reverse("inbox:discard", args=[message.pk]))
    assert answer.status_code == 302
    message.refresh_from_db()
    assert message.status == InboundStatus.DISCARDED


def test_a_client_contact_never_sees_the_inbox(shop, client):
    client.force_login(shop.anna_user)
    message = InboundMessageFactory(tenant=shop.tenant, mailbox=shop.mailbox)
    for url in (reverse("inbox:review"), reverse("inbox:log"), reverse("inbox:message", args=[message.pk])):
        assert client.get(url).status_code == 403


def test_an_invalid_assignment_shows_the_form_again(shop, owner_client):
    message = stranger(shop)
    answer = owner_client.post(reverse("inbox:message", args=[message.pk]), {"client": "999999"})
    assert answer.status_code == 200 and "Select a valid choice" in answer.content.decode()


# --- API ----------------------------------------------------------------------------------------


@pytest.fixture
def api(owner):
    from rest_framework.test import APIClient

    from msp.models import ApiToken

    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(owner)[1]}")
    return http


def test_the_api_lists_assigns_and_discards(shop, api):
    first, second = stranger(shop), stranger(shop, subject="Second")
    listed = api.get("/api/v1/inbox/messages/?status=review").json()
    assert [row["id"] for row in listed["results"]] == [second.pk, first.pk]
    assert listed["results"][0]["from_address"] == "gino@newco.example"

    refused = api.post(f"/api/v1/inbox/messages/{first.pk}/assign/", {"client": 10**9}, format="json")
    assert refused.status_code == 400 and "client" in refused.json()
    assigned = api.post(
        f"/api/v1/inbox/messages/{first.pk}/assign/",
        {"client": shop.acme.pk, "create_contact": True},
        format="json",
    )
    assert assigned.status_code == 200 and assigned.json()["status"] == "ticket" and assigned.json()["ticket"]
    again = api.post(f"/api/v1/inbox/messages/{first.pk}/assign/", {"client": shop.acme.pk}, format="json")
    assert again.status_code == 400

    discarded = api.post(f"/api/v1/inbox/messages/{second.pk}/discard/")
    assert discarded.status_code == 200 and discarded.json()["status"] == "discarded"
    assert api.get(f"/api/v1/inbox/messages/{second.pk}/").json()["status"] == "discarded"
