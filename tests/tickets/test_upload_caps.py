"""A multipart body is not read on without end (issue 20: multipart uploads were not capped
at all): past the request's cap the handler stops reading, the API answers 413 with a JSON
error, the browser shows the page again with the error; nothing is written."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assets.models import Asset
from msp.models import Tenant
from msp.uploads import MAX_FILES_PER_REQUEST
from tests.factories import TicketFactory
from tests.timetracking.helpers import api_for
from tickets.models import Attachment, TicketComment

pytestmark = pytest.mark.django_db
MB = 1024 * 1024


def test_an_api_upload_past_the_cap_is_a_413_with_json(tech, acme, seeded, settings):
    # The API reads the body after authentication, so the tenant's limit applies (capped by the ceiling).
    settings.ATTACHMENT_MAX_MB_CEILING = 1
    Tenant.objects.filter(pk=seeded.pk).update(attachment_max_mb=1)
    csv = b"client,kind,name\n" + b"Acme,desktop,PC\n" * (3 * MB // 16)
    response = api_for(tech).post(
        "/api/v1/assets/import/", {"file": SimpleUploadedFile("big.csv", csv)}, format="multipart"
    )
    assert response.status_code == 413, response.json()
    assert response.json() == {"detail": "The upload is larger than 1 MB in all; nothing was saved."}
    assert not Asset.unscoped.exists()


def test_a_browser_upload_past_the_cap_shows_the_page_again_with_the_error(client, tech, acme, seeded):
    Tenant.objects.filter(pk=seeded.pk).update(attachment_max_mb=1)
    ticket = TicketFactory(tenant=seeded, client=acme)
    client.force_login(tech.user)
    page = reverse("tickets:detail", args=[ticket.pk])
    big = SimpleUploadedFile("dump.log", b"a" * ((MAX_FILES_PER_REQUEST + 1) * MB))
    response = client.post(
        reverse("tickets:reply", args=[ticket.pk]),
        {"body": "The dump", "public": "1", "files": big},
        HTTP_REFERER=f"http://testserver{page}",
        follow=True,
    )
    assert response.redirect_chain[-1][0].endswith(page)
    assert "larger than 10 MB in all; nothing was saved" in response.content.decode()
    assert not TicketComment.unscoped.filter(ticket=ticket).exists() and not Attachment.unscoped.exists()


def test_an_upload_under_the_cap_is_judged_by_the_usual_checks(tech, acme, seeded):
    """Past the file limit but under the request's cap: the attachment check's own 400."""
    Tenant.objects.filter(pk=seeded.pk).update(attachment_max_mb=1)
    ticket = TicketFactory(tenant=seeded, client=acme)
    url = reverse("api:ticket-attachments", args=[ticket.pk])
    big = SimpleUploadedFile("big.txt", b"a" * (3 * MB))
    refused = api_for(tech).post(url, {"file": big}, format="multipart")
    assert refused.status_code == 400 and "up to 1 MB" in refused.json()["file"][0]
