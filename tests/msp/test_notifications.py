"""A member's notifications in the browser and the API: their own only (never a colleague's
of the same tenant, never another tenant's), read one or all, and which reach them by e-mail."""

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.urls import reverse
from rest_framework.test import APIClient

from msp.mail import email_queue, tenant_from_email
from msp.models import ApiToken, Notification, NotificationKind, NotificationPreference, OutboundEmail
from msp.notifications import notify
from msp.roles import Role
from tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tech(tenant, make_member):
    return make_member(tenant, Role.TECHNICIAN, email="tech@msp.example", first_name="Ada")


@pytest.fixture
def colleague(tenant, make_member):
    return make_member(tenant, Role.TECHNICIAN, email="colleague@msp.example")


@pytest.fixture
def rows(tenant, other_tenant, tech, colleague, make_member):
    """Two of the tech's (one read), one of a colleague, one of another tenant's member."""
    from django.utils import timezone

    stranger = make_member(other_tenant, Role.TECHNICIAN)
    return {
        "unread": NotificationFactory(tenant=tenant, membership=tech, title="Mine unread", url="/tickets/"),
        "read": NotificationFactory(
            tenant=tenant, membership=tech, title="Mine read", read_at=timezone.now()
        ),
        "colleague": NotificationFactory(tenant=tenant, membership=colleague, title="Colleague's"),
        "stranger": NotificationFactory(tenant=other_tenant, membership=stranger, title="Stranger's"),
    }


def test_the_list_shows_the_members_own_and_the_header_counts_unread(client, tech, rows):
    client.force_login(tech.user)
    page = client.get(reverse("notifications:list")).content.decode()
    assert "Mine unread" in page and "Mine read" in page
    assert "Colleague's" not in page and "Stranger's" not in page
    assert 'data-unread="1"' in page  # the header's count, on every page
    unread = client.get(reverse("notifications:list") + "?status=unread").content.decode()
    assert "Mine unread" in unread and "Mine read" not in unread
    badge = client.get(reverse("notifications:badge"), headers={"HX-Request": "true"}).content.decode()
    assert 'data-unread="1"' in badge and "<html" not in badge


def test_reading_one_opens_it_and_a_colleagues_is_not_found(client, tech, rows):
    client.force_login(tech.user)
    response = client.post(reverse("notifications:read", args=[rows["unread"].pk]), {"open": "1"})
    assert response.status_code == 302 and response.url == "/tickets/"
    rows["unread"].refresh_from_db()
    assert rows["unread"].read_at is not None
    for other in (rows["colleague"], rows["stranger"]):
        assert client.post(reverse("notifications:read", args=[other.pk])).status_code == 404
        other.refresh_from_db()
        assert other.read_at is None
    assert 'data-unread="' not in client.get(reverse("notifications:list")).content.decode()


def test_mark_all_read_touches_only_the_members_own(client, tech, rows):
    client.force_login(tech.user)
    assert client.post(reverse("notifications:read-all")).status_code == 302
    assert not Notification.unscoped.filter(membership=tech, read_at__isnull=True).exists()
    assert (
        Notification.unscoped.filter(pk__in=[rows["colleague"].pk, rows["stranger"].pk], read_at=None).count()
        == 2
    )


def test_client_contacts_have_no_notification_pages(client, tenant, make_member):
    contact = make_member(tenant, Role.CLIENT)
    client.force_login(contact.user)
    assert client.get(reverse("notifications:list")).status_code == 403
    assert "notification-badge" not in client.get(reverse("dashboard")).content.decode()


def test_the_settings_page_chooses_what_comes_by_email(client, tenant, tech):
    client.force_login(tech.user)
    page = client.get(reverse("notifications:settings")).content.decode()
    assert page.count("checked") >= len(NotificationKind.values)  # every kind on by default
    response = client.post(reverse("notifications:settings"), {"email_kinds": [NotificationKind.TICKET_NEW]})
    assert response.status_code == 302
    off = set(
        NotificationPreference.unscoped.filter(membership=tech, email=False).values_list("kind", flat=True)
    )
    assert off == set(NotificationKind.values) - {NotificationKind.TICKET_NEW}
    bad = client.post(reverse("notifications:settings"), {"email_kinds": ["nonsense"]})
    assert bad.status_code == 200 and "nonsense" in bad.content.decode()  # a form error; nothing changed
    assert NotificationPreference.unscoped.filter(membership=tech, email=False).count() == len(off)

    notify(tenant=tenant, memberships=[tech], kind=NotificationKind.SLA, content=lambda: ("SLA!", "late"))
    notify(tenant=tenant, memberships=[tech], kind=NotificationKind.TICKET_NEW, content=lambda: ("New!", "x"))
    assert Notification.unscoped.filter(membership=tech).count() == 2
    assert list(OutboundEmail.unscoped.values_list("subject", flat=True)) == ["New!"]


def test_notify_skips_client_contacts_and_other_tenants_members(tenant, other_tenant, tech, make_member):
    contact = make_member(tenant, Role.CLIENT)
    stranger = make_member(other_tenant, Role.TECHNICIAN)
    created = notify(
        tenant=tenant,
        memberships=[tech, contact, stranger],
        kind=NotificationKind.SLA,
        content=lambda: ("t", "b"),
    )
    assert [n.membership_id for n in created] == [tech.pk]
    with pytest.raises(ValueError):
        notify(tenant=tenant, memberships=[tech], kind="nope", content=lambda: ("t", "b"))


def _api(membership):
    _token, key = ApiToken.issue(membership)
    return APIClient(headers={"authorization": f"Token {key}"})


def test_api_lists_filters_and_marks_the_members_own(tech, rows):
    api = _api(tech)
    listed = api.get("/api/v1/notifications/").json()
    assert listed["count"] == 2 and {r["title"] for r in listed["results"]} == {"Mine unread", "Mine read"}
    assert {r["read"] for r in listed["results"]} == {True, False}
    unread = api.get("/api/v1/notifications/?read=false").json()
    assert [r["title"] for r in unread["results"]] == ["Mine unread"]
    assert api.get("/api/v1/notifications/?read=maybe").status_code == 400

    url = f"/api/v1/notifications/{rows['unread'].pk}/"
    assert api.patch(url, {"read": "yes please"}, format="json").status_code == 400
    assert api.patch(url, {"read": True, "title": "x"}, format="json").status_code == 400
    rows["unread"].refresh_from_db()
    assert rows["unread"].read_at is None  # bad input changes nothing
    marked = api.patch(url, {"read": True}, format="json")
    assert marked.status_code == 200 and marked.json()["read"] is True
    assert api.patch(url, {"read": False}, format="json").json()["read"] is False

    for other in (rows["colleague"], rows["stranger"]):
        assert (
            api.patch(f"/api/v1/notifications/{other.pk}/", {"read": True}, format="json").status_code == 404
        )
    assert api.post("/api/v1/notifications/read/", {}, format="json").json() == {"marked": 1}
    assert Notification.unscoped.filter(read_at=None).count() == 2  # the colleague's and the stranger's


def test_api_refuses_client_contacts(tenant, make_member):
    assert _api(make_member(tenant, Role.CLIENT)).get("/api/v1/notifications/").status_code == 403


def test_every_mail_goes_out_in_the_msps_name(tenant, django_capture_on_commit_callbacks):
    assert tenant_from_email(tenant) == "Alpha MSP <noreply@localhost>"
    tenant.email_from_name, tenant.email_from_address = "Alpha, IT", "help@alpha.example"
    assert tenant_from_email(tenant) == '"Alpha, IT" <help@alpha.example>'
    tenant.save()
    with django_capture_on_commit_callbacks(execute=True):
        email_queue(
            EmailMessage("Hi", "Body", to=["x@example.com"]), tenant_id=tenant.pk
        )  # no sender of its own
        email_queue(EmailMessage("Own", "Body", "me@else.example", to=["x@example.com"]), tenant_id=tenant.pk)
    assert [m.from_email for m in mail.outbox] == ['"Alpha, IT" <help@alpha.example>', "me@else.example"]


def test_compose_greets_signs_and_keeps_the_subject_on_one_line(tenant):
    from msp.mail import compose

    message = compose(
        tenant=tenant,
        to=["a@example.com"],
        subject="Two\nlines",
        body="The news.",
        name="Ada",
        link="https://x/1",
    )
    assert message.subject == "Two lines"
    assert message.body == "Hello Ada,\n\nThe news.\n\nhttps://x/1\n\n— Alpha MSP\n"
    assert (
        compose(tenant=tenant, to=["a@example.com"], subject="S", body="B").body
        == "Hello,\n\nB\n\n— Alpha MSP\n"
    )


def test_api_marking_ids_that_are_not_yours_is_a_400_naming_them(tech, rows):
    """Issue 20: unknown ids were skipped with a 200, as if done."""
    api = _api(tech)
    strangers = sorted([rows["colleague"].pk, rows["stranger"].pk, 999_999])
    answer = api.post("/api/v1/notifications/read/", {"ids": [rows["unread"].pk, *strangers]}, format="json")
    assert answer.status_code == 400
    assert answer.json()["ids"] == [f"You have no notification with the id {', '.join(map(str, strangers))}."]
    assert Notification.unscoped.filter(read_at=None).count() == 3  # nothing marked
    answer = api.post("/api/v1/notifications/read/", {"ids": [rows["unread"].pk]}, format="json")
    assert answer.json() == {"marked": 1}
