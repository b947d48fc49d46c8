"""Attachments in headless Chromium: a client contact attaches a screenshot in the portal (a
program renamed as a picture is refused beside the field first), the technician downloads it
from the ticket page and attaches a file to an internal note, which the contact never sees."""

import re
from pathlib import Path

from playwright.sync_api import expect

from contracts.services import sla_seed
from msp.roles import Role
from tests.browser.test_hours_journey import log_in, log_out
from tests.factories import ClientFactory, ContactFactory, MembershipFactory, TenantFactory, UserFactory
from tickets.models import Attachment, Ticket

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(64))
EXE = b"MZ\x90\x00" + bytes(64)


def test_a_file_attached_in_the_portal_is_downloaded_by_the_technician(page, live_server, shot):
    url = live_server.url
    tenant = TenantFactory(name="Lantern IT", slug="lantern-it", timezone="UTC")
    sla_seed(tenant=tenant)
    MembershipFactory(tenant=tenant, user=UserFactory(username="tom"), role=Role.TECHNICIAN)
    acme = ClientFactory(tenant=tenant, name="Acme Dental")
    ContactFactory(tenant=tenant, client=acme, name="Jane Doe", email="jane@acme.example")
    MembershipFactory(
        tenant=tenant,
        user=UserFactory(username="jane", email="jane@acme.example"),
        role=Role.CLIENT,
        client=acme,
    )

    # The contact opens a ticket with a screenshot; a disguised program is refused first ----------
    log_in(page, url, "jane")
    page.goto(f"{url}/portal/tickets/new/")
    page.get_by_label(re.compile("^Subject")).fill("Printer shows an error")
    files = page.get_by_label("Attach files")
    files.set_input_files([{"name": "screenshot.png", "mimeType": "image/png", "buffer": EXE}])
    page.get_by_role("button", name="Open ticket").click()
    expect(page.locator(".field.has-error")).to_contain_text("does not contain what its name says")
    expect(page.get_by_label(re.compile("^Subject"))).to_have_value("Printer shows an error")
    assert not Ticket.unscoped.exists()
    shot(page, "portal-refuses-a-disguised-program")

    page.get_by_label("Attach files").set_input_files(
        [{"name": "screenshot.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.get_by_role("button", name="Open ticket").click()
    expect(page.locator("#messages")).to_contain_text("Your ticket was opened")
    expect(page.get_by_role("link", name=re.compile("screenshot.png"))).to_be_visible()
    ticket = Ticket.unscoped.get(subject="Printer shows an error")
    shot(page, "portal-ticket-with-its-file")
    log_out(page)

    # The technician downloads it from the ticket page, and attaches a file to a note ----------
    log_in(page, url, "tom")
    page.goto(f"{url}/tickets/{ticket.pk}/")
    link = page.get_by_role("link", name=re.compile("screenshot.png"))
    expect(link).to_be_visible()
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename == "screenshot.png"
    assert Path(download.path()).read_bytes() == PNG

    page.get_by_label(re.compile("^Message")).fill("Their printer admin password is in the file.")
    page.get_by_label("Internal note (staff only)").check()
    page.get_by_label("Attach files").set_input_files(
        [{"name": "printer-admin.txt", "mimeType": "text/plain", "buffer": b"admin / hunter2\n"}]
    )
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".comment-note")).to_contain_text("printer-admin.txt")
    shot(page, "ticket-page-with-files")
    note_file = Attachment.unscoped.get(original_name="printer-admin.txt")
    assert not note_file.comment.public
    log_out(page)

    # The contact never sees the note's file, not even by its address ----------------------------
    log_in(page, url, "jane")
    page.goto(f"{url}/portal/tickets/{ticket.pk}/")
    expect(page.get_by_role("link", name=re.compile("screenshot.png"))).to_be_visible()
    expect(page.get_by_text("printer-admin.txt")).to_have_count(0)
    response = page.request.get(f"{url}/tickets/attachments/{note_file.pk}/")
    assert response.status == 404
