"""Documents that carry the MSP: the tenant's legal identity and logo (settings page, stored
through Django's storage, validated as an image), the offer's PDF and pages with the MSP's
identity, the client's contact and address, the tiers' SLA response times and the tax line;
the break/fix rate of work for a client without a contract."""

import io
import re
import subprocess
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from djmoney.money import Money
from PIL import Image

from msp.identity import logo_data_uri
from msp.models import Tenant
from msp.roles import Role
from msp.scoping import tenant_scope
from sales.models import OfferOption
from sales.pdf import render_offer_html, render_offer_pdf
from tests.factories import ClientFactory, ContactFactory, OfferFactory, SiteFactory, TicketFactory
from timetracking.models import TimeEntry
from timetracking.services import time_entry_create

pytestmark = pytest.mark.django_db


def png_bytes(size=(40, 20), color=(15, 118, 110)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def pdftotext(data: bytes) -> str:
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    return re.sub(r"\s+", " ", text.replace("\xa0", " ").replace("\u202f", " "))


@pytest.fixture
def identity(tenant):
    tenant.legal_name = "Alpha Servizi Informatici S.r.l."
    tenant.address = "Via Roma 1\n20121 Milano MI"
    tenant.vat_number = "IT01234567890"
    tenant.tax_rate = Decimal("22.00")
    tenant.logo.save("logo.png", SimpleUploadedFile("logo.png", png_bytes()), save=False)
    tenant.save()
    return tenant


@pytest.fixture
def acme(identity):
    acme = ClientFactory(tenant=identity, name="Acme Dental", currency="EUR")
    SiteFactory(tenant=identity, client=acme, name="Head office", address="Corso Buenos Aires 5, Milano")
    ContactFactory(
        tenant=identity, client=acme, name="Laura Verdi", email="laura@acme.example", portal_access=True
    )
    return acme


def test_the_offer_pdf_carries_the_msp_the_client_sla_and_tax(identity, acme):
    offer = OfferFactory(
        tenant=identity, client=acme, title="Managed IT for Acme", quantities={"desktop": 10}
    )
    html = render_offer_html(offer)
    assert 'src="data:image/png;base64,' in html  # the logo, read through the storage API
    text = pdftotext(render_offer_pdf(offer))
    assert "Alpha Servizi Informatici S.r.l." in text
    assert "Via Roma 1 20121 Milano MI" in text and "VAT number IT01234567890" in text
    assert "Corso Buenos Aires 5, Milano" in text and "Laura Verdi" in text and "laura@acme.example" in text
    squeezed = text.replace(" ", "")  # pdftotext joins "8 h" in a narrow cell
    assert "SLAfirstresponse8h4h2h" in squeezed and "SLAfirstresponse,servers4h2h1h" in squeezed
    assert "For Alpha Servizi Informatici S.r.l.".upper() in text.upper()
    assert "Tax 22 %" in text and "Per month, tax included" in text
    for option in OfferOption.unscoped.filter(offer=offer):
        tax = Money((option.monthly_total.amount * Decimal("0.22")).quantize(Decimal("0.01")), "EUR")
        assert str(tax) in text and str(option.monthly_total + tax) in text
    silver = OfferOption.unscoped.get(offer=offer, name="Silver")
    assert silver.monthly_total == Money("250.00", "EUR") or str(silver.monthly_total) in text


def test_the_offer_pdf_in_italian(identity, acme):
    identity.language = "it"
    identity.save()
    offer = OfferFactory(tenant=identity, client=acme, quantities={"desktop": 10})
    text = pdftotext(render_offer_pdf(offer))
    assert "Partita IVA IT01234567890" in text and "IVA 22 %" in text
    assert "Al mese, IVA inclusa" in text and "Alla cortese attenzione di Laura Verdi" in text


def test_the_offer_pages_show_identity_contact_sla_and_tax(client, identity, acme, make_member):
    offer = OfferFactory(tenant=identity, client=acme, quantities={"desktop": 10}, status="sent")
    manager = make_member(identity, Role.ACCOUNT_MANAGER)
    client.force_login(manager.user)
    body = client.get(offer.get_absolute_url()).content.decode()
    for text in ("Alpha Servizi Informatici S.r.l.", "IT01234567890", "Corso Buenos Aires 5", "Laura Verdi"):
        assert text in body
    assert "First response within 8 h" in body and "Tax 22 %" in body
    contact = make_member(identity, Role.CLIENT, client=acme)
    client.force_login(contact.user)
    body = client.get(reverse("portal:offer", args=[offer.pk])).content.decode()
    assert (
        "Alpha Servizi Informatici S.r.l." in body and "Tax 22 %" in body and "First response within" in body
    )


def test_the_owner_sets_the_identity_and_a_logo_checked_as_an_image(client, tenant, owner):
    client.force_login(owner.user)
    data = {
        "name": tenant.name,
        "default_currency": "EUR",
        "timezone": "Europe/Rome",
        "language": "en",
        "tax_rate": "22",
        "invoice_prefix": "",
        "legal_name": "Alpha S.r.l.",
        "address": "Via Roma 1",
        "vat_number": "IT01234560017",
        "default_hourly_rate_0": "85.00",
        "default_hourly_rate_1": "EUR",
        "attachment_max_mb": "10",
        "tax_regime": "RF01",
    }
    fake = SimpleUploadedFile("logo.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = client.post(reverse("tenant_settings"), {**data, "logo": fake})
    assert response.status_code == 200 and "logo" in response.context["form"].errors
    assert Tenant.objects.get(pk=tenant.pk).legal_name == ""  # nothing changed
    wrong_currency = {**data, "default_hourly_rate_1": "USD"}
    response = client.post(reverse("tenant_settings"), wrong_currency)
    assert "default_hourly_rate" in response.context["form"].errors
    logo = SimpleUploadedFile("brand.png", png_bytes(), content_type="image/png")
    response = client.post(reverse("tenant_settings"), {**data, "logo": logo})
    assert response.status_code == 302
    tenant = Tenant.objects.get(pk=tenant.pk)
    assert (tenant.legal_name, tenant.vat_number, tenant.document_name) == (
        "Alpha S.r.l.",
        "IT01234560017",
        "Alpha S.r.l.",
    )
    assert tenant.default_hourly_rate == Money("85.00", "EUR")
    assert tenant.logo.name.startswith(f"tenants/{tenant.pk}/") and tenant.logo.storage.exists(
        tenant.logo.name
    )
    assert logo_data_uri(tenant).startswith("data:image/png;base64,")
    page = client.get(reverse("tenant_settings")).content.decode()
    assert 'enctype="multipart/form-data"' in page and '<img src="data:image/png;base64,' in page
    response = client.post(reverse("tenant_settings"), {**data, "logo-clear": "on"})
    assert response.status_code == 302 and not Tenant.objects.get(pk=tenant.pk).logo


def test_a_technician_cannot_change_the_identity(client, tenant, make_member):
    tech = make_member(tenant, Role.TECHNICIAN)
    client.force_login(tech.user)
    assert client.post(reverse("tenant_settings"), {"legal_name": "Hacked"}).status_code == 403
    assert Tenant.objects.get(pk=tenant.pk).legal_name == ""


def test_work_for_a_client_without_a_contract_carries_the_break_fix_rate(client, tenant, make_member):
    tenant.default_hourly_rate = Money("80.00", "EUR")
    tenant.save()
    tech = make_member(tenant, Role.TECHNICIAN, first_name="Giulia", last_name="Rossi")
    walk_in = ClientFactory(tenant=tenant, name="Walk-in", currency="EUR")
    ticket = TicketFactory(tenant=tenant, client=walk_in, contract=None, subject="Laptop slow")
    with tenant_scope(tenant):
        entry = time_entry_create(ticket=ticket, technician=tech.user, minutes=45)
        not_billable = time_entry_create(ticket=ticket, technician=tech.user, minutes=10, billable=False)
    entry = TimeEntry.unscoped.get(pk=entry.pk)
    assert entry.hourly_rate == Money("80.00", "EUR") and entry.overage_minutes == 45
    assert entry.labour_amount == Money("60.00", "EUR")
    assert TimeEntry.unscoped.get(pk=not_billable.pk).labour_amount is None
    # A later change of the default never reprices the entry.
    tenant.default_hourly_rate = Money("100.00", "EUR")
    tenant.save()
    assert TimeEntry.unscoped.get(pk=entry.pk).labour_amount == Money("60.00", "EUR")
    client.force_login(tech.user)
    body = client.get(ticket.get_absolute_url()).content.decode()
    assert "break/fix rate of €100.00 per hour" in body and "recorded only" not in body
    assert "Giulia Rossi" in body and "€60.00" in body
    week = client.get(reverse("timesheet:week")).content.decode()
    assert "€60.00" in week


def test_a_client_billed_in_another_currency_is_recorded_only(tenant, make_member):
    tenant.default_hourly_rate = Money("80.00", "EUR")
    tenant.save()
    tech = make_member(tenant, Role.TECHNICIAN)
    abroad = ClientFactory(tenant=tenant, name="Abroad Inc", currency="USD")
    ticket = TicketFactory(tenant=tenant, client=abroad, contract=None)
    with tenant_scope(tenant):
        entry = time_entry_create(ticket=ticket, technician=tech.user, minutes=30)
    entry = TimeEntry.unscoped.get(pk=entry.pk)
    assert entry.hourly_rate is None and entry.labour_amount is None and entry.overage_minutes == 0


def test_the_time_entry_api_shows_the_rate_and_the_technicians_name(tenant, make_member):
    from tests.timetracking.helpers import api_for

    tenant.default_hourly_rate = Money("80.00", "EUR")
    tenant.save()
    admin = make_member(tenant, Role.ADMIN, first_name="Anna", last_name="Neri")
    walk_in = ClientFactory(tenant=tenant, currency="EUR")
    ticket = TicketFactory(tenant=tenant, client=walk_in, contract=None)
    with tenant_scope(tenant):
        time_entry_create(ticket=ticket, technician=admin.user, minutes=30)
    row = api_for(admin).get("/api/v1/time-entries/").json()["results"][0]
    assert (row["hourly_rate"], row["labour_amount"], row["technician_name"]) == (
        "80.00",
        "40.00",
        "Anna Neri",
    )
