"""The offer PDF (WeasyPrint) and the email that carries it, checked by reading the PDF's text."""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from contracts.services import tiers_seed
from msp.models import OutboundEmail, OutboundEmailStatus
from msp.roles import Role
from sales.models import Offer
from sales.pdf import render_offer_pdf
from sales.tasks import offer_send_task
from tests.factories import ClientFactory, ContactFactory, OfferFactory
from tests.sales.test_offers import SCENARIO, add_assets


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return text.replace("\xa0", " ").replace("\u202f", " ")  # no-break spaces of some locales


@pytest.fixture
def acme(tenant):
    tiers_seed(tenant=tenant)
    acme = ClientFactory(tenant=tenant, name="Acme Dental", billing_email="ap@acme.example")
    add_assets(acme, **SCENARIO)
    return acme


@pytest.mark.django_db
def test_pdf_has_the_client_the_three_tiers_and_their_totals(tenant, acme):
    offer = OfferFactory(tenant=tenant, client=acme, title="Managed IT for Acme Dental", quantities=SCENARIO)
    data = render_offer_pdf(offer)
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=1)  # A4
    text = pdf_text(data)
    assert "Acme Dental" in text and "Alpha MSP" in text
    assert "Managed IT for Acme Dental" in text
    for name, total in (("Silver", "€825.00"), ("Gold", "€1,425.00"), ("Platinum", "€1,950.00")):
        assert name in text and total in text
    assert "15 × €60.00" in text  # the per-kind lines with quantities and unit prices
    assert "Monitoring" in text and "Patch management" in text  # included features
    assert "Signature" in text and "Chosen option:" in text
    assert len(reader.pages) == 1  # one page to sign


@pytest.mark.django_db
def test_pdf_shows_discount_add_on_notes_and_validity(tenant, acme):
    valid_until = timezone.localdate() + timedelta(days=20)
    offer = OfferFactory(
        tenant=tenant,
        client=acme,
        discount_percent=10,
        hour_block_minutes=600,
        hour_block_price=800,
        notes="Onboarding within two weeks.",
        valid_until=valid_until,
    )
    text = pdf_text(render_offer_pdf(offer))
    assert "Discount 10 %" in text and "€1,755.00" in text  # 1,950 − 10 %
    assert "A block of 10 hours paid upfront for €800.00" in text
    assert "Onboarding within two weeks." in text
    assert "valid until" in text


@pytest.mark.django_db
def test_pdf_speaks_the_tenants_language(tenant, acme):
    tenant.language = "it"
    tenant.save(update_fields=["language"])
    offer = OfferFactory(tenant=tenant, client=acme)
    text = pdf_text(render_offer_pdf(offer))
    assert "1.950,00 €" in text  # Italian separators and symbol position


@pytest.mark.django_db
def test_pdf_endpoint_renders_on_the_spot(client, tenant, acme, make_member):
    offer = OfferFactory(tenant=tenant, client=acme)
    client.force_login(make_member(tenant, Role.ACCOUNT_MANAGER).user)
    response = client.get(reverse("offers:pdf", args=[offer.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="offer-{offer.pk}-acme-dental.pdf"'
    assert "Acme Dental" in pdf_text(response.content)
    inline = client.get(reverse("offers:pdf", args=[offer.pk]), {"inline": "1"})
    assert inline["Content-Disposition"].startswith("inline;")


@pytest.mark.django_db
def test_send_task_emails_each_contact_with_the_pdf(tenant, acme, django_capture_on_commit_callbacks):
    jane = ContactFactory(tenant=tenant, client=acme, name="Jane", email="jane@acme.example")
    joe = ContactFactory(tenant=tenant, client=acme, name="Joe", email="joe@acme.example")
    stranger = ContactFactory(tenant=tenant, client=ClientFactory(tenant=tenant), email="x@other.example")
    offer = OfferFactory(tenant=tenant, client=acme, status="sent")
    with django_capture_on_commit_callbacks(execute=True):  # the queued e-mails, sent by the worker
        result = offer_send_task.delay(
            tenant.pk, offer.pk, [jane.pk, joe.pk, stranger.pk], base_url="https://psa.example/"
        )
    assert result.get() == "queued for 2"
    assert OutboundEmail.unscoped.filter(tenant=tenant, status=OutboundEmailStatus.SENT).count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["jane@acme.example", "joe@acme.example"]
    for email in mail.outbox:
        [attachment] = email.message().iter_attachments()
        assert attachment.get_content_type() == "application/pdf"
        assert "Platinum" in pdf_text(attachment.get_content())
        assert f"https://psa.example/portal/offers/{offer.pk}/" in email.body


@pytest.mark.django_db
def test_send_task_survives_a_deleted_offer_or_no_recipients(tenant, acme):
    offer = OfferFactory(tenant=tenant, client=acme)
    assert offer_send_task(tenant.pk, offer.pk, []) == "no recipients"
    Offer.unscoped.filter(pk=offer.pk).delete()
    assert offer_send_task(tenant.pk, offer.pk, [1]) == "offer deleted"
    assert not mail.outbox


@pytest.mark.django_db
def test_a_task_runs_in_its_tenants_scope_and_sees_no_other_tenants_rows(tenant, other_tenant, acme):
    """The task's first argument is its tenant: handed another tenant's offer, it finds none."""
    jane = ContactFactory(tenant=tenant, client=acme, email="jane@acme.example")
    offer = OfferFactory(tenant=tenant, client=acme, status="sent")
    assert offer_send_task.delay(other_tenant.pk, offer.pk, [jane.pk]).get() == "offer deleted"
    assert not mail.outbox
    assert offer_send_task.delay(tenant.pk, offer.pk, [jane.pk]).get() == "queued for 1"
