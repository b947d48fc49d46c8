"""The provider's webhook: four forms of one message, each filed once; clear 4xx otherwise."""

import base64
import json

import pytest
from rest_framework.test import APIClient

from inbox.choices import DropReason, InboundSource, InboundStatus
from inbox.models import InboundMessage
from inbox.services import mailbox_webhook_token_revoke, mailbox_webhook_token_rotate
from msp.models import ApiToken
from tests.factories import MailboxFactory, TenantFactory
from tests.inbox.conftest import sample
from tickets.models import Attachment, Ticket

pytestmark = pytest.mark.django_db
URL = "/api/v1/inbox/webhook/"


@pytest.fixture
def token(shop):
    return mailbox_webhook_token_rotate(mailbox=shop.mailbox)


@pytest.fixture
def provider(token):
    http = APIClient()
    http.credentials(HTTP_X_MAILBOX_TOKEN=token)
    return http


def test_the_token_is_shown_once_and_only_its_digest_kept(shop, token):
    shop.mailbox.refresh_from_db()
    assert token.startswith("mbx_") and token not in shop.mailbox.webhook_digest
    assert shop.mailbox.webhook_prefix == token[:12]
    newer = mailbox_webhook_token_rotate(mailbox=shop.mailbox)
    old = APIClient()
    old.credentials(HTTP_X_MAILBOX_TOKEN=token)
    assert old.post(URL, sample("latin1.eml"), content_type="message/rfc822").status_code == 401
    fresh = APIClient()
    fresh.credentials(HTTP_X_MAILBOX_TOKEN=newer)
    assert fresh.post(URL, sample("latin1.eml"), content_type="message/rfc822").status_code == 200
    mailbox_webhook_token_revoke(mailbox=shop.mailbox)
    assert fresh.post(URL, sample("latin1.eml"), content_type="message/rfc822").status_code == 401


def test_the_raw_message_as_the_body_is_filed_once(shop, provider):
    first = provider.post(URL, sample("latin1.eml"), content_type="message/rfc822")
    assert first.status_code == 200, first.content
    answer = first.json()
    assert answer["status"] == "ticket" and answer["duplicate"] is False and answer["ticket"]
    again = provider.post(URL, sample("latin1.eml"), content_type="message/rfc822").json()
    assert again == {**answer, "duplicate": True}
    message = InboundMessage.unscoped.get(pk=answer["id"])
    assert message.source == InboundSource.WEBHOOK and message.mailbox == shop.mailbox


def test_multipart_with_the_message_file(shop, provider):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("message.eml", sample("outlook_reply.eml"), content_type="message/rfc822")
    answer = provider.post(URL, {"message": upload}, format="multipart")
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "reply" and answer.json()["ticket"] == shop.ticket.pk


def test_json_raw_base64(shop, provider):
    raw = base64.b64encode(sample("html_only.eml")).decode()
    answer = provider.post(URL, {"raw": raw}, format="json")
    assert answer.status_code == 200 and answer.json()["status"] == "ticket"
    bad = provider.post(URL, {"raw": "not base64 at all!"}, format="json")
    assert bad.status_code == 400 and "raw" in bad.json()


def test_json_fields_assembled_into_a_message(shop, provider):
    fields = {
        "from": "Anna Rossi <anna.rossi@acme-corp.example>",
        "to": "support@alpha-msp.example",
        "subject": "Re: Printer on floor 2 is down",
        "text": "Fixed, thanks!\n\nOn Tue, 3 Mar 2026, Alpha MSP wrote:\n> Does it work now?",
        "html": "<p>Fixed, thanks!</p>",
        "in_reply_to": "<psa.ticket-reply.1@alpha-msp.example>",
        "attachments": [
            {
                "filename": "log.txt",
                "content_type": "text/plain",
                "content_base64": base64.b64encode(b"all ok\n").decode(),
            }
        ],
    }
    answer = provider.post(URL, fields, format="json")
    assert answer.status_code == 200, answer.content
    result = answer.json()
    assert result["status"] == "reply" and result["ticket"] == shop.ticket.pk
    message = InboundMessage.unscoped.get(pk=result["id"])
    assert message.body == "Fixed, thanks!"
    assert list(
        Attachment.unscoped.filter(comment_id=result["comment"]).values_list("original_name", flat=True)
    ) == ["log.txt"]
    # The same fields again (no Message-ID given): the same message, filed once.
    assert provider.post(URL, fields, format="json").json()["duplicate"] is True


def test_json_fields_with_no_text_and_a_message_id(shop, provider):
    answer = provider.post(
        URL,
        {
            "from": "nicolo@bianchi-srl.example",
            "subject": "Help",
            "html": "<p>Printer <b>broken</b></p>",
            "message_id": "<x1@b.example>",
        },
        format="json",
    )
    assert answer.status_code == 200
    message = InboundMessage.unscoped.get(pk=answer.json()["id"])
    assert message.message_id == "x1@b.example" and message.body == "Printer broken"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "detail"),
        ({"subject": "no sender"}, "detail"),
        ({"from": "a@b.example", "surprise": 1}, "surprise"),
        ({"from": "a@b.example\r\nBcc: x@y.example"}, "from"),
        ({"from": "a@b.example", "attachments": [{"filename": "a.txt"}]}, "attachments"),
        ({"from": 5}, "from"),
        ([1, 2], "detail"),
    ],
)
def test_bad_json_is_a_clear_400_and_records_nothing(shop, provider, body, field):
    answer = provider.post(URL, body, format="json")
    assert answer.status_code == 400 and field in answer.json(), answer.content
    assert not InboundMessage.unscoped.exists()


def test_an_empty_raw_body_is_refused(shop, provider):
    answer = provider.post(URL, b"  \r\n", content_type="message/rfc822")
    assert answer.status_code == 400


def test_a_body_over_the_cap_is_413_and_one_between_the_caps_is_recorded_as_too_large(
    shop, provider, settings
):
    settings.INBOX_MAX_BYTES = 30_000
    over = b"From: a@b.example\r\n\r\n" + b"x" * 120_000
    answer = provider.post(URL, over, content_type="message/rfc822")
    assert answer.status_code == 413 and "detail" in answer.json()
    between = b"From: a@b.example\r\nMessage-ID: <big@b.example>\r\n\r\n" + b"x" * 35_000
    answer = provider.post(URL, between, content_type="message/rfc822")
    assert answer.status_code == 200 and answer.json()["reason"] == DropReason.TOO_LARGE


def test_no_token_a_wrong_token_or_a_members_token(shop, owner, provider):
    anonymous = APIClient().post(URL, sample("latin1.eml"), content_type="message/rfc822")
    assert anonymous.status_code == 401 and "detail" in anonymous.json()
    wrong = APIClient()
    wrong.credentials(HTTP_X_MAILBOX_TOKEN="mbx_wrong")
    assert wrong.post(URL, sample("latin1.eml"), content_type="message/rfc822").status_code == 401
    member = APIClient()
    member.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.issue(owner)[1]}")
    assert member.post(URL, sample("latin1.eml"), content_type="message/rfc822").status_code == 403
    assert not InboundMessage.unscoped.exists()


def test_a_switched_off_mailbox_refuses(shop, provider):
    type(shop.mailbox).unscoped.filter(pk=shop.mailbox.pk).update(is_active=False)
    assert provider.post(URL, sample("latin1.eml"), content_type="message/rfc822").status_code == 401


def test_the_token_files_into_its_own_tenant_only(shop, provider):
    other = TenantFactory(name="Bravo", slug="bravo")
    bravo = MailboxFactory(tenant=other, address="help@bravo.example")
    bravo_token = mailbox_webhook_token_rotate(mailbox=bravo)
    theirs = APIClient()
    theirs.credentials(HTTP_X_MAILBOX_TOKEN=bravo_token)
    answer = theirs.post(URL, sample("latin1.eml"), content_type="message/rfc822").json()
    assert answer["status"] == InboundStatus.REVIEW  # Bravo knows no Nicolò
    assert InboundMessage.unscoped.get(pk=answer["id"]).tenant_id == other.pk
    mine = provider.post(URL, sample("latin1.eml"), content_type="message/rfc822").json()
    assert mine["status"] == "ticket" and Ticket.unscoped.get(pk=mine["ticket"]).tenant_id == shop.tenant.pk


def test_unknown_content_type_is_415(shop, provider):
    answer = provider.post(URL, json.dumps({"x": 1}), content_type="text/csv")
    assert answer.status_code == 415


def test_json_nested_too_deep_is_a_400(shop, provider):
    from msp.api.parsers import MAX_DEPTH

    for body in (
        b"[" * 100_000 + b"]" * 100_000,
        ('{"raw": ' + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "}").encode(),
    ):
        answer = provider.post(URL, body, content_type="application/json")
        assert answer.status_code == 400 and "nested more than 64 levels" in answer.json()["detail"]
    assert not InboundMessage.unscoped.exists()
