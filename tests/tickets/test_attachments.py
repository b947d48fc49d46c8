"""Ticket attachments: who may download a file (staff, the ticket's own client contacts, never
another client's or an internal note's, never another tenant), the size cap and the checks of
the kind of file, uploads from the portal, the ticket page and the API."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from msp.models import IdempotencyKey, Tenant
from msp.roles import Role
from tests.factories import ClientFactory, TicketCommentFactory, TicketFactory, attachment_create
from tests.timetracking.helpers import api_for
from tickets.files import check_file, clean_name
from tickets.models import Attachment, Ticket, TicketComment

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
ZIP = b"PK\x03\x04" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03" + b"\x00" * 64
MB = 1024 * 1024


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def body_of(response) -> bytes:
    return b"".join(response.streaming_content)


# --- the checks: the name's extension and the content's first bytes, never the sender's type --


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("screen.png", PNG, "image/png"),
        ("Screen.PNG", PNG, "image/png"),
        ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 32, "image/jpeg"),
        ("invoice.pdf", PDF, "application/pdf"),
        ("report.docx", ZIP, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("backup.log", "2026-12-05 ERROR disk full (è)\n".encode(), "text/plain"),
        ("export.csv", b"a,b\n1,2\n", "text/csv"),
        (
            "mail.eml",
            b"From: a@b.example\r\nContent-Type: text/html\r\n\r\n<html><body>Hi</body></html>",
            "message/rfc822",
        ),
        ("windows.log", "Ändern: ok\r\n".encode("cp1252"), "text/plain"),
        ("unicode.log", "riga è ok\r\n".encode("utf-16"), "text/plain"),
        ("diagram.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="1"/></svg>', "image/svg+xml"),
    ],
)
def test_accepted_kinds_get_the_allow_lists_content_type(name, content, content_type):
    checked = check_file(upload(name, content, content_type="text/html"), max_bytes=MB)
    assert checked.content_type == content_type and checked.size == len(content) and checked.name == name


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("setup.exe", EXE, "type"),
        ("page.html", b"<html></html>", "type"),
        ("run.sh", b"#!/bin/sh\n", "type"),
        ("noextension", b"hello", "type"),
        ("screen.png", EXE, "content"),  # a program named as a picture
        ("screen.png", b"GIF89a....", "content"),  # another kind than its name says
        ("notes.txt", EXE, "content"),
        ("notes.txt", b"#!/usr/bin/env python\nimport os\n", "content"),
        ("notes.txt", b"<!DOCTYPE html><html><script>alert(1)</script>", "content"),
        ("notes.txt", b"\x00\x01\x02binary", "content"),
        ("invoice.pdf", b"not a pdf at all", "content"),
        (
            "diagram.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "content",
        ),
        ("diagram.svg", b'<svg onload="alert(1)"></svg>', "content"),
        ("diagram.svg", b'<svg><a href="javascript:alert(1)">x</a></svg>', "content"),
        ("empty.txt", b"", "empty"),
    ],
)
def test_refused_kinds(name, content, code):
    with pytest.raises(ValidationError) as refused:
        check_file(upload(name, content, content_type="image/png"), max_bytes=MB)
    assert refused.value.code == code


def test_the_size_cap_is_inclusive():
    assert check_file(upload("a.txt", b"a" * MB), max_bytes=MB).size == MB
    with pytest.raises(ValidationError) as refused:
        check_file(upload("a.txt", b"a" * (MB + 1)), max_bytes=MB)
    assert refused.value.code == "too_large" and "up to 1 MB" in refused.value.messages[0]


def test_names_lose_folders_and_control_characters():
    assert clean_name("../../etc/passwd.txt") == "passwd.txt"
    assert clean_name("C:\\Users\\me\\shot.png") == "shot.png"
    assert clean_name("bad\r\nname.txt") == "badname.txt"
    assert len(clean_name("x" * 300 + ".txt")) == 200 and clean_name("x" * 300 + ".txt").endswith(".txt")


# --- who may download ---------------------------------------------------------------------------


@pytest.fixture
def files(acme, seeded, tech):
    """A ticket of Acme with a file on the ticket, one on a public reply, one on an internal note."""
    ticket = TicketFactory(tenant=seeded, client=acme, subject="Printer")
    reply = TicketCommentFactory(ticket=ticket, body="Try this driver", public=True)
    note = TicketCommentFactory(ticket=ticket, body="Their admin password", public=False)
    return {
        "ticket": ticket,
        "on_ticket": attachment_create(ticket, name="screen.txt", content=b"SCREEN"),
        "on_reply": attachment_create(ticket, name="driver.txt", content=b"DRIVER", comment=reply),
        "on_note": attachment_create(ticket, name="secret.txt", content=b"SECRET", comment=note),
    }


def signed_in(client, membership):
    client.force_login(membership.user)
    return client


def test_staff_download_every_file_as_an_attachment_never_sniffed(client, files, tech):
    http = signed_in(client, tech)
    for key, content in (("on_ticket", b"SCREEN"), ("on_reply", b"DRIVER"), ("on_note", b"SECRET")):
        response = http.get(reverse("tickets:attachment", args=[files[key].pk]))
        assert response.status_code == 200 and body_of(response) == content
        assert response["Content-Disposition"].startswith("attachment;")
        assert files[key].original_name in response["Content-Disposition"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Type"] == "text/plain"
        assert "sandbox" in response["Content-Security-Policy"]
    page = http.get(reverse("tickets:detail", args=[files["ticket"].pk])).content.decode()
    for key in ("on_ticket", "on_reply", "on_note"):
        assert reverse("tickets:attachment", args=[files[key].pk]) in page


def test_a_client_contact_gets_its_companys_public_files_only(client, make_member, files, acme):
    http = signed_in(client, make_member(acme.tenant, Role.CLIENT, client=acme))
    for key in ("on_ticket", "on_reply"):
        assert http.get(reverse("tickets:attachment", args=[files[key].pk])).status_code == 200
    # An internal note's file is, to a client contact, a file that does not exist.
    assert http.get(reverse("tickets:attachment", args=[files["on_note"].pk])).status_code == 404
    page = http.get(reverse("portal:ticket", args=[files["ticket"].pk])).content.decode()
    assert "screen.txt" in page and "driver.txt" in page and "secret.txt" not in page
    listed = http.get(reverse("api:ticket-attachments", args=[files["ticket"].pk])).json()["results"]
    assert {row["name"] for row in listed} == {"screen.txt", "driver.txt"}
    note_download = reverse(
        "api:ticket-attachment-download",
        kwargs={"pk": files["ticket"].pk, "attachment_pk": files["on_note"].pk},
    )
    assert http.get(note_download).status_code == 404


def test_another_client_and_another_tenant_get_404(client, make_member, files, seeded, other_tenant):
    other_client = ClientFactory(tenant=seeded, name="Beta")
    urls = [
        reverse("tickets:attachment", args=[files[key].pk]) for key in ("on_ticket", "on_reply", "on_note")
    ]
    urls += [reverse("api:ticket-attachments", args=[files["ticket"].pk])]
    urls += [
        reverse(
            "api:ticket-attachment-download", kwargs={"pk": files["ticket"].pk, "attachment_pk": files[k].pk}
        )
        for k in ("on_ticket", "on_note")
    ]
    for membership in (
        make_member(seeded, Role.CLIENT, client=other_client),
        make_member(other_tenant, Role.OWNER),
    ):
        http = signed_in(client, membership)
        for url in urls:
            assert http.get(url).status_code == 404, (membership.role, url)
        client.logout()


def test_a_file_of_another_ticket_is_not_downloaded_through_this_one(client, files, tech, acme, seeded):
    other = TicketFactory(tenant=seeded, client=acme)
    url = reverse(
        "api:ticket-attachment-download", kwargs={"pk": other.pk, "attachment_pk": files["on_ticket"].pk}
    )
    assert signed_in(client, tech).get(url).status_code == 404


# --- uploads: the portal, the ticket page, the API -------------------------------------------


@pytest.fixture
def contact_member(make_member, acme, contact):
    return make_member(acme.tenant, Role.CLIENT, client=acme, email=contact.email)


def test_portal_new_ticket_and_reply_take_files_the_technician_downloads(client, contact_member, acme, tech):
    http = signed_in(client, contact_member)
    response = http.post(
        reverse("portal:ticket-create"),
        {
            "subject": "Printer jams",
            "priority": "P3",
            "files": [upload("jam.png", PNG), upload("log.txt", b"E42\n")],
        },
    )
    ticket = Ticket.unscoped.get(subject="Printer jams")
    assert response.status_code == 302
    assert sorted(a.original_name for a in Attachment.unscoped.filter(ticket=ticket, comment=None)) == [
        "jam.png",
        "log.txt",
    ]
    http.post(
        reverse("portal:ticket-reply", args=[ticket.pk]),
        {"body": "Another one", "files": upload("b.pdf", PDF)},
    )
    reply_file = Attachment.unscoped.get(original_name="b.pdf")
    assert reply_file.comment.body == "Another one" and reply_file.uploaded_by == contact_member.user
    assert reply_file.content_type == "application/pdf"

    client.logout()
    http = signed_in(client, tech)
    page = http.get(reverse("tickets:detail", args=[ticket.pk])).content.decode()
    assert "jam.png" in page and "b.pdf" in page
    download = http.get(reverse("tickets:attachment", args=[reply_file.pk]))
    assert body_of(download) == PDF


def test_portal_refuses_a_bad_file_beside_the_field_and_opens_nothing(client, contact_member, acme):
    http = signed_in(client, contact_member)
    response = http.post(
        reverse("portal:ticket-create"),
        {"subject": "Look", "priority": "P3", "files": [upload("ok.png", PNG), upload("virus.png", EXE)]},
    )
    assert response.status_code == 400
    assert "virus.png" in response.context["form"].errors["files"][0]
    assert not Ticket.unscoped.filter(subject="Look").exists() and not Attachment.unscoped.exists()


def test_the_tenants_size_cap_applies_and_owners_set_it(client, owner, contact_member, acme, seeded):
    response = signed_in(client, owner).post(
        reverse("tenant_settings"),
        {
            "name": seeded.name,
            "default_currency": seeded.default_currency,
            "timezone": seeded.timezone,
            "language": seeded.language,
            "tax_rate": seeded.tax_rate,
            "invoice_prefix": "",
            "attachment_max_mb": 1,
            "tax_regime": "RF01",
        },
    )
    assert response.status_code == 302
    seeded.refresh_from_db()
    assert seeded.attachment_max_mb == 1
    client.logout()
    http = signed_in(client, contact_member)
    big = upload("big.log", b"a" * (MB + 1))
    response = http.post(reverse("portal:ticket-create"), {"subject": "Big", "priority": "P3", "files": big})
    assert response.status_code == 400 and "up to 1 MB" in response.context["form"].errors["files"][0]
    assert not Ticket.unscoped.filter(subject="Big").exists()


def test_staff_attach_to_an_internal_note_which_the_portal_never_shows(
    client, tech, contact_member, acme, seeded
):
    ticket = TicketFactory(tenant=seeded, client=acme, subject="VPN")
    response = signed_in(client, tech).post(
        reverse("tickets:reply", args=[ticket.pk]),
        {"body": "Config attached", "public": "0", "files": upload("vpn.txt", b"secret=1\n")},
    )
    assert response.status_code == 302
    note_file = Attachment.unscoped.get(original_name="vpn.txt")
    assert note_file.comment.public is False and note_file.uploaded_by == tech.user
    client.logout()
    http = signed_in(client, contact_member)
    assert "vpn.txt" not in http.get(reverse("portal:ticket", args=[ticket.pk])).content.decode()
    assert http.get(reverse("tickets:attachment", args=[note_file.pk])).status_code == 404


def test_a_refused_file_on_the_ticket_page_keeps_the_message_and_writes_nothing(client, tech, acme, seeded):
    ticket = TicketFactory(tenant=seeded, client=acme)
    response = signed_in(client, tech).post(
        reverse("tickets:reply", args=[ticket.pk]),
        {"body": "Here is the installer", "public": "1", "files": upload("setup.exe", EXE)},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Here is the installer" in page and "setup.exe" in page and "not accepted" in page
    assert not TicketComment.unscoped.filter(ticket=ticket).exists() and not Attachment.unscoped.exists()


def test_api_upload_list_and_download(tech, files, contact_member):
    http = api_for(tech)
    url = reverse("api:ticket-attachments", args=[files["ticket"].pk])
    created = http.post(
        url, {"file": upload("trace.log", b"trace\n", content_type="image/png")}, format="multipart"
    )
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["name"] == "trace.log" and data["content_type"] == "text/plain" and data["size"] == 6
    assert data["comment"] is None and data["uploaded_by"] == tech.user.username and "file" not in data
    download = http.get(data["download_url"])
    assert download.status_code == 200 and body_of(download) == b"trace\n"
    assert download["Content-Disposition"].startswith("attachment;")
    listed = http.get(url).json()
    assert listed["count"] == 4
    assert [row["name"] for row in listed["results"]][-1] == "trace.log"

    note = files["on_note"].comment
    on_note = http.post(url, {"file": upload("n.txt", b"n"), "comment": note.pk}, format="multipart")
    assert on_note.status_code == 201 and on_note.json()["comment"] == note.pk

    # A client contact may not put a file on an internal note: to it, the note does not exist.
    contact_api = api_for(contact_member)
    refused = contact_api.post(url, {"file": upload("x.txt", b"x"), "comment": note.pk}, format="multipart")
    assert refused.status_code == 400 and "comment" in refused.json()
    assert not Attachment.unscoped.filter(original_name="x.txt").exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [("evil.png", EXE), ("page.html", b"<html>"), ("empty.txt", b"")],
)
def test_api_refuses_bad_files_with_a_json_error(tech, files, name, content):
    url = reverse("api:ticket-attachments", args=[files["ticket"].pk])
    before = Attachment.unscoped.count()
    refused = api_for(tech).post(url, {"file": upload(name, content)}, format="multipart")
    assert refused.status_code == 400 and "file" in refused.json()
    assert Attachment.unscoped.count() == before


def test_api_upload_over_the_tenant_cap_is_refused(tech, files, seeded):
    Tenant.objects.filter(pk=seeded.pk).update(attachment_max_mb=1)
    url = reverse("api:ticket-attachments", args=[files["ticket"].pk])
    refused = api_for(tech).post(url, {"file": upload("big.txt", b"a" * (MB + 1))}, format="multipart")
    assert refused.status_code == 400 and "up to 1 MB" in refused.json()["file"][0]


def test_a_large_upload_with_an_idempotency_key_is_stored_once(tech, files):
    """Over Django's 2.5 MB body limit: the key's fingerprint must not read the body whole."""
    http = api_for(tech)
    url = reverse("api:ticket-attachments", args=[files["ticket"].pk])
    content = b"log line\n" * (3 * MB // 9)
    before = Attachment.unscoped.count()

    def send(data: bytes, name="big.log"):
        return http.post(url, {"file": upload(name, data)}, format="multipart", HTTP_IDEMPOTENCY_KEY="up-1")

    first = send(content)
    assert first.status_code == 201, first.content
    again = send(content)
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() and Attachment.unscoped.count() == before + 1
    other = send(content[:-1] + b"X")  # the same key with another file: a client bug
    assert other.status_code == 409 and Attachment.unscoped.count() == before + 1
    assert IdempotencyKey.objects.filter(key="up-1").count() == 1


def test_check_reads_a_file_that_is_not_an_upload():
    class Stream(io.BytesIO):
        name = "notes.txt"
        size = 5

    assert check_file(Stream(b"hello"), max_bytes=MB).content_type == "text/plain"


def test_an_s3_bucket_setting_selects_django_storages_or_fails_at_start(tmp_path):
    """ATTACHMENTS_S3_BUCKET switches the attachments storage to django-storages' S3 backend;
    without the package installed, start-up fails with the reason instead of writing locally."""
    import importlib.util
    import json
    import os
    import subprocess
    import sys

    from django.conf import settings

    env = {
        **os.environ,
        "ATTACHMENTS_S3_BUCKET": "psa-files",
        "ATTACHMENTS_S3_ENDPOINT_URL": "https://s3.example.com",
        "DEBUG": "true",
        "MSP_VAR_DIR": str(tmp_path),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    script = "import json, msp.settings as s; print(json.dumps(s.STORAGES['attachments']))"
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if importlib.util.find_spec("storages") is None:
        assert result.returncode != 0 and "django-storages" in result.stderr
    else:
        storage = json.loads(result.stdout)
        assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
        assert storage["OPTIONS"]["bucket_name"] == "psa-files"
        assert storage["OPTIONS"]["endpoint_url"] == "https://s3.example.com"


def test_uploads_past_the_tenants_limit_are_not_written_whole(seeded):
    """On disk, a file is written only up to the tenant's limit (one byte past it, to be judged
    too large), yet keeps its true size."""
    from types import SimpleNamespace

    from msp.uploads import CappedTemporaryFileUploadHandler

    seeded.attachment_max_mb = 1
    handler = CappedTemporaryFileUploadHandler(SimpleNamespace(membership=SimpleNamespace(tenant=seeded)))
    handler.new_file("files", "huge.log", "text/plain", 5 * MB)
    for start in range(0, 5 * MB, 64 * 1024):
        assert handler.receive_data_chunk(b"a" * 64 * 1024, start) is None
    uploaded = handler.file_complete(5 * MB)
    assert uploaded.size == 5 * MB and len(uploaded.read()) == MB + 1
    with pytest.raises(ValidationError) as refused:
        check_file(uploaded, max_bytes=seeded.attachment_max_bytes)
    assert refused.value.code == "too_large"
    uploaded.close()


def test_a_large_upload_through_the_portal_is_refused_as_too_large(client, contact_member, seeded):
    Tenant.objects.filter(pk=seeded.pk).update(attachment_max_mb=1)
    http = signed_in(client, contact_member)
    big = upload("big.log", b"a" * (3 * MB))  # past Django's in-memory size: streamed to disk
    response = http.post(reverse("portal:ticket-create"), {"subject": "Big", "priority": "P3", "files": big})
    assert response.status_code == 400 and "is 3 MB" in response.context["form"].errors["files"][0]
    assert not Ticket.unscoped.filter(subject="Big").exists()
