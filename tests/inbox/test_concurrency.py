"""On PostgreSQL: the same e-mail received by several workers at once (two pollers, a poll and
the webhook, a provider retrying) is filed once; different e-mails at once are each filed."""

import pytest
from rest_framework.test import APIClient

from inbox.choices import InboundStatus
from inbox.models import InboundMessage
from inbox.services import mailbox_webhook_token_rotate, message_receive
from tests.concurrency import answers_at_once, run_at_once
from tests.inbox.conftest import sample
from tests.inbox.test_receive import mail
from tickets.models import Attachment, Ticket, TicketComment

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_one_message_received_by_eight_workers_at_once_is_filed_once(shop):
    outcomes = []

    def receive(raw, source):
        return lambda: outcomes.append(message_receive(mailbox=shop.mailbox, raw=raw, source=source))

    for name, check in (("latin1.eml", "ticket"), ("outlook_reply.eml", "reply")):
        outcomes.clear()
        raw = sample(name)
        assert run_at_once([receive(raw, "imap" if i % 2 else "webhook") for i in range(8)]) == []
        assert len({message.pk for message in outcomes}) == 1
        assert sorted(message.duplicate for message in outcomes) == [False] + [True] * 7
        assert outcomes[0].status == check
    assert InboundMessage.unscoped.filter(tenant=shop.tenant).count() == 2
    assert Ticket.unscoped.filter(tenant=shop.tenant).count() == 2  # the shop's and Nicolò's
    assert TicketComment.unscoped.filter(ticket=shop.ticket).count() == 1
    assert Attachment.unscoped.filter(ticket=shop.ticket).count() == 1


def test_many_different_messages_at_once_are_each_filed(shop):
    raws = [mail(subject=f"Problem {i}", Message_ID=f"<p{i}@acme-corp.example>").as_bytes() for i in range(8)]
    assert (
        run_at_once(
            [lambda raw=raw: message_receive(mailbox=shop.mailbox, raw=raw, source="imap") for raw in raws]
        )
        == []
    )
    statuses = list(InboundMessage.unscoped.filter(tenant=shop.tenant).values_list("status", flat=True))
    assert sorted(statuses) == [InboundStatus.NEW_TICKET] * 8
    assert Ticket.unscoped.filter(client=shop.acme).count() == 9


def test_the_webhook_retried_at_once_answers_200_every_time_and_files_once(shop):
    token = mailbox_webhook_token_rotate(mailbox=shop.mailbox)

    def post():
        http = APIClient()
        http.credentials(HTTP_X_MAILBOX_TOKEN=token)
        return http.post("/api/v1/inbox/webhook/", sample("html_only.eml"), content_type="message/rfc822")

    assert answers_at_once([post] * 6) == [200] * 6
    assert InboundMessage.unscoped.filter(tenant=shop.tenant).count() == 1
    assert Ticket.unscoped.filter(client=shop.globex).count() == 1
