"""`/api/v1/inbox/mailboxes/`: CRUD for owners and admins, the password write-only, the
connection test and the poll on demand."""

import pytest

from inbox.models import Mailbox
from msp.roles import Role
from msp.secrets import reveal
from tests.inbox.dovecot import message
from tests.msp.test_api import api_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/inbox/mailboxes/"


def stored_password(pk) -> str | None:
    return reveal(Mailbox.unscoped.get(pk=pk).imap_password)


def test_a_mailbox_is_created_read_changed_and_deleted_and_its_password_never_answered(owner):
    api = api_for(owner)
    created = api.post(
        URL,
        {
            "name": "Support",
            "address": "support@alpha.example",
            "imap_host": "imap.alpha.example",
            "imap_username": "support@alpha.example",
            "password": "s3cret pass",
        },
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert "password" not in body and "imap_password" not in body
    assert body["has_password"] is True
    assert (body["imap_port"], body["imap_security"], body["imap_folder"]) == (993, "ssl", "INBOX")
    assert (body["failures"], body["messages_filed"], body["last_error"]) == (0, 0, "")
    pk = body["id"]
    assert stored_password(pk) == "s3cret pass"
    assert "s3cret" not in Mailbox.unscoped.get(pk=pk).imap_password  # encrypted at rest

    listed = api.get(URL).json()
    assert [row["address"] for row in listed["results"]] == ["support@alpha.example"]
    assert "s3cret" not in str(listed)

    changed = api.patch(f"{URL}{pk}/", {"imap_folder": "Support", "password": ""})
    assert changed.status_code == 200 and changed.json()["imap_folder"] == "Support"
    assert stored_password(pk) == "s3cret pass"  # empty: kept
    api.patch(f"{URL}{pk}/", {"password": "new one"})
    assert stored_password(pk) == "new one"

    assert api.delete(f"{URL}{pk}/").status_code == 204
    assert not Mailbox.unscoped.filter(pk=pk).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"imap_host": "imap.example", "imap_username": "u"}, "password"),
        ({"imap_host": "imap.example", "password": "p"}, "imap_username"),
        (
            {"imap_host": "imap.example", "imap_username": "u", "password": "p", "imap_port": 70000},
            "imap_port",
        ),
        ({"imap_security": "rot13"}, "imap_security"),
        ({"address": "not an address"}, "address"),
        ({"imap_password": "sneaky"}, "imap_password"),
    ],
)
def test_bad_settings_are_refused_with_a_400_naming_the_field(owner, body, field):
    api = api_for(owner)
    answer = api.post(URL, {"name": "Support", "address": "support@alpha.example", **body})
    assert answer.status_code == 400
    assert field in answer.json()
    assert not Mailbox.unscoped.exists()


def test_two_mailboxes_cannot_share_an_address(owner):
    api = api_for(owner)
    assert api.post(URL, {"name": "One", "address": "help@alpha.example"}).status_code == 201
    again = api.post(URL, {"name": "Two", "address": "HELP@alpha.example"})
    assert again.status_code == 400 and "address" in again.json()


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.ACCOUNT_MANAGER, Role.CLIENT])
def test_only_owners_and_admins_manage_mailboxes(tenant, make_member, role):
    assert api_for(make_member(tenant, role)).get(URL).status_code == 403


def test_an_admin_may(tenant, make_member):
    assert api_for(make_member(tenant, Role.ADMIN)).get(URL).status_code == 200


def test_a_webhook_only_mailbox_has_no_connection_to_test_and_is_not_polled(owner):
    api = api_for(owner)
    pk = api.post(URL, {"name": "Hooked", "address": "hooked@alpha.example"}).json()["id"]
    tested = api.post(f"{URL}{pk}/test/")
    assert tested.status_code == 200
    assert tested.json() == {
        "ok": False,
        "answer": "This mailbox has no IMAP server: it is fed by its webhook only.",
    }
    polled = api.post(f"{URL}{pk}/poll/")
    assert polled.status_code == 400
    assert "not polled" in str(polled.json())


@pytest.mark.dovecot
def test_the_connection_test_and_the_poll_through_the_api(
    owner, imap_account, django_capture_on_commit_callbacks
):
    imap_account.deliver([message("Through the API")])
    api = api_for(owner)
    pk = api.post(
        URL,
        {
            "name": "Support",
            "address": "support@alpha.example",
            "imap_host": "127.0.0.1",
            "imap_port": imap_account.server.port,
            "imap_security": "none",
            "imap_username": imap_account.username,
            "password": imap_account.password,
        },
    ).json()["id"]

    tested = api.post(f"{URL}{pk}/test/").json()
    assert tested["ok"] is True and "holds 1 message." in tested["answer"]

    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"{URL}{pk}/poll/").status_code == 202
    mailbox = api.get(f"{URL}{pk}/").json()
    assert mailbox["messages_filed"] == 1 and mailbox["last_polled_at"]

    api.patch(f"{URL}{pk}/", {"password": "wrong"})
    tested = api.post(f"{URL}{pk}/test/").json()
    assert tested == {
        "ok": False,
        "answer": "The server refused the sign-in: [AUTHENTICATIONFAILED] Authentication failed.",
    }


def test_a_webhook_token_through_the_api(owner):
    api = api_for(owner)
    pk = api.post(URL, {"name": "Pushed", "address": "pushed@alpha.example"}).json()["id"]
    made = api.post(f"{URL}{pk}/webhook-token/")
    assert made.status_code == 201
    token = made.json()["token"]
    assert token.startswith("mbx_") and made.json()["prefix"] == token[:12]
    assert api.get(f"{URL}{pk}/").json()["webhook_token_prefix"] == token[:12]
    assert token not in str(api.get(URL).json())

    assert api.delete(f"{URL}{pk}/webhook-token/").status_code == 204
    assert api.get(f"{URL}{pk}/").json()["webhook_token_prefix"] == ""
