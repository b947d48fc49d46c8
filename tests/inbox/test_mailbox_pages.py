"""The support mailboxes' pages (owners and admins): the list with each one's polling state,
the settings form (password write-only), the connection test inline, poll now, delete."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from inbox.models import InboundMessage, Mailbox
from inbox.services import mailbox_create
from msp.roles import Role
from msp.secrets import reveal
from tests.inbox.conftest import imap_mailbox
from tests.inbox.dovecot import message

pytestmark = pytest.mark.django_db


def form_data(**changes):
    return {
        "name": "Support",
        "address": "support@alpha.example",
        "is_active": "on",
        "imap_host": "imap.alpha.example",
        "imap_port": "993",
        "imap_security": "ssl",
        "imap_username": "support@alpha.example",
        "password": "s3cret pass",
        "imap_folder": "INBOX",
        **changes,
    }


def test_the_list_shows_each_mailboxs_state_and_its_last_error_in_red(owner_client, tenant):
    healthy = mailbox_create(tenant=tenant, name="Help", address="help@alpha.example")
    broken = mailbox_create(
        tenant=tenant,
        name="Support",
        address="support@alpha.example",
        imap_host="imap.alpha.example",
        imap_username="support",
        password="x",
    )
    Mailbox.unscoped.filter(pk=broken.pk).update(
        last_error="The server refused the sign-in: [AUTHENTICATIONFAILED] Authentication failed.",
        failures=3,
        last_polled_at=timezone.now(),
        next_poll_at=timezone.now() + timezone.timedelta(minutes=8),
    )

    page = owner_client.get(reverse("inbox:mailboxes")).content.decode()

    assert "help@alpha.example" in page and "Webhook only" in page
    assert (
        '<span class="text-danger mailbox-error">The server refused the sign-in: '
        "[AUTHENTICATIONFAILED] Authentication failed.</span>" in page
    )
    assert "3 times in a row" in page
    assert f'href="{reverse("inbox:mailbox", args=[healthy.pk])}"' in page


def test_a_mailbox_is_created_in_the_browser_its_password_stored_encrypted_and_never_shown(owner_client):
    answer = owner_client.post(reverse("inbox:mailbox-create"), form_data())

    mailbox = Mailbox.unscoped.get()
    assert answer.status_code == 302 and answer["Location"] == reverse("inbox:mailbox", args=[mailbox.pk])
    assert reveal(mailbox.imap_password) == "s3cret pass"
    for url in (
        reverse("inbox:mailbox", args=[mailbox.pk]),
        reverse("inbox:mailbox-update", args=[mailbox.pk]),
    ):
        page = owner_client.get(url).content.decode()
        assert "s3cret" not in page and mailbox.imap_password not in page
    edit = owner_client.get(reverse("inbox:mailbox-update", args=[mailbox.pk])).content.decode()
    assert "A password is stored. Leave empty to keep it." in edit


def test_an_edit_with_an_empty_password_keeps_the_stored_one(owner_client, tenant):
    mailbox = mailbox_create(tenant=tenant, **{k: v for k, v in form_data().items() if k != "is_active"})
    answer = owner_client.post(
        reverse("inbox:mailbox-update", args=[mailbox.pk]), form_data(password="", imap_folder="Support")
    )
    assert answer.status_code == 302
    mailbox = Mailbox.unscoped.get(pk=mailbox.pk)
    assert (mailbox.imap_folder, reveal(mailbox.imap_password)) == ("Support", "s3cret pass")


def test_a_form_missing_what_imap_needs_is_shown_again_with_the_reasons(owner_client):
    page = owner_client.post(reverse("inbox:mailbox-create"), form_data(password="", imap_port="0"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Give the password of this user." in text
    assert "A port is a number from 1 to 65535." in text
    assert not Mailbox.unscoped.exists()


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.ACCOUNT_MANAGER])
def test_staff_other_than_owners_and_admins_cannot_open_them(client, tenant, make_member, role):
    client.force_login(make_member(tenant, role).user)
    assert client.get(reverse("inbox:mailboxes")).status_code == 403


def test_delete_asks_then_deletes(owner_client, tenant):
    mailbox = mailbox_create(tenant=tenant, name="Old", address="old@alpha.example")
    url = reverse("inbox:mailbox-delete", args=[mailbox.pk])
    assert "Delete Old &lt;old@alpha.example&gt;?" in owner_client.get(url).content.decode()
    assert owner_client.post(url)["Location"] == reverse("inbox:mailboxes")
    assert not Mailbox.unscoped.filter(pk=mailbox.pk).exists()


@pytest.mark.dovecot
def test_test_connection_shows_the_servers_answer_inline(owner_client, tenant, imap_account):
    imap_account.deliver([message("One"), message("Two")])
    mailbox = imap_mailbox(tenant, imap_account)
    url = reverse("inbox:mailbox-test", args=[mailbox.pk])

    fragment = owner_client.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('<div id="connection-answer"')
    assert "Connected." in fragment and "The folder INBOX holds 2 messages." in fragment

    page = owner_client.post(url).content.decode()  # without JavaScript: the mailbox's page
    assert "<h1>Support</h1>" in page and "The folder INBOX holds 2 messages." in page


@pytest.mark.dovecot
def test_settings_are_tried_before_they_are_saved(owner_client, tenant, imap_account):
    typed = form_data(
        imap_host="127.0.0.1",
        imap_port=str(imap_account.server.port),
        imap_security="none",
        imap_username=imap_account.username,
        password="wrong",
    )
    fragment = owner_client.post(reverse("inbox:mailbox-test-settings"), typed, HTTP_HX_REQUEST="true")
    assert "Not connected." in fragment.content.decode()
    assert "[AUTHENTICATIONFAILED]" in fragment.content.decode()
    assert not Mailbox.unscoped.exists()  # nothing saved

    # On an edit, an empty password tries the stored one.
    mailbox = imap_mailbox(tenant, imap_account)
    typed.update(password="", imap_folder="INBOX")
    edit = owner_client.post(reverse("inbox:mailbox-test", args=[mailbox.pk]), typed)
    text = edit.content.decode()
    assert "Connected." in text and 'id="mailbox-form"' in text  # the form again, as typed
    assert imap_account.password not in text


@pytest.mark.dovecot
def test_poll_now_polls_on_the_worker(owner_client, tenant, imap_account, django_capture_on_commit_callbacks):
    imap_account.deliver([message("Urgent")])
    mailbox = imap_mailbox(tenant, imap_account)
    Mailbox.unscoped.filter(pk=mailbox.pk).update(next_poll_at=timezone.now() + timezone.timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        answer = owner_client.post(reverse("inbox:mailbox-poll", args=[mailbox.pk]))

    assert answer["Location"] == reverse("inbox:mailbox", args=[mailbox.pk])
    page = owner_client.get(answer["Location"]).content.decode()
    assert "is being polled" in page
    assert InboundMessage.unscoped.filter(mailbox=mailbox).count() == 1


def test_a_webhook_token_is_made_shown_once_rotated_and_revoked(owner_client, tenant):
    mailbox = mailbox_create(tenant=tenant, name="Pushed", address="pushed@alpha.example")
    page_url = reverse("inbox:mailbox-webhook", args=[mailbox.pk])
    assert (
        "No webhook token" in owner_client.get(reverse("inbox:mailbox", args=[mailbox.pk])).content.decode()
    )

    made = owner_client.post(page_url)
    assert made["Location"] == page_url
    shown = owner_client.get(page_url)
    assert shown["Cache-Control"] == "no-store"
    token = re.search(r'id="new-token" type="text" value="(mbx_[^"]+)"', shown.content.decode()).group(1)
    assert f"X-Mailbox-Token: {token}" in shown.content.decode()
    again = owner_client.get(page_url).content.decode()
    assert token not in again and "was shown once" in again  # once

    webhook = "/api/v1/inbox/webhook/"
    raw = message("Pushed by the provider")
    pushed = APIClient().post(webhook, raw, content_type="message/rfc822", HTTP_X_MAILBOX_TOKEN=token)
    assert pushed.status_code == 200, pushed.content

    owner_client.post(page_url)  # a new one: the old one stops working
    refused = APIClient().post(webhook, raw, content_type="message/rfc822", HTTP_X_MAILBOX_TOKEN=token)
    assert refused.status_code == 401

    owner_client.post(reverse("inbox:mailbox-webhook-revoke", args=[mailbox.pk]))
    assert Mailbox.unscoped.get(pk=mailbox.pk).webhook_digest == ""


def test_the_pages_in_italian(owner, owner_client, tenant):
    owner.user.language = "it"
    owner.user.save()
    mailbox = mailbox_create(tenant=tenant, name="Assistenza", address="assistenza@alpha.example")

    listed = owner_client.get(reverse("inbox:mailboxes")).content.decode()
    page = owner_client.get(reverse("inbox:mailbox", args=[mailbox.pk])).content.decode()

    assert "<h1>Caselle di assistenza</h1>" in listed and "Solo webhook" in listed
    assert "Impostazioni IMAP" in page and "Crea un token" in page
