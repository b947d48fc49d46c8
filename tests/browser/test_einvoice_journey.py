"""E-invoicing in headless Chromium: an Italian MSP runs the month, issues its drafts in one
action from the list, downloads the period's e-invoices as a ZIP (the Italian client's
FatturaPA file passes the official schema), marks the file as sent, uploads the SdI's delivery
receipt and sees it delivered; the Italian client's contact downloads the invoice in the portal."""

import io
import re
import zipfile
from decimal import Decimal

from django.utils import timezone
from lxml import etree
from playwright.sync_api import expect

from assets.choices import AssetKind
from billing.einvoice.fatturapa import fatturapa_check
from billing.models import ClientBillingTerms, TaxRate
from billing.periods import Period
from msp.roles import Role
from msp.scoping import scope_of
from tests.billing.italy import SELLER_VAT, italian_buyer, italian_seller
from tests.billing.sdi_files import receipt_xml
from tests.billing.test_invoices_api import pdf_text
from tests.browser.test_hours_journey import log_in, log_out
from tests.factories import (
    AssetFactory,
    ClientFactory,
    ContractFactory,
    MembershipFactory,
    ServiceTierFactory,
    TenantFactory,
    UserFactory,
)


def world():
    """Lantern IT (Milan) bills Acme Dental (Rome, Codice Destinatario ABC1234) on Gold for a
    server and three desktops, and Müller (Berlin, EU reverse charge) for one server."""
    tenant = TenantFactory(
        name="Lantern IT", slug="lantern-it", default_currency="EUR", tax_rate=Decimal("22")
    )
    italian_seller(tenant, legal_name="Lantern IT S.r.l.")
    MembershipFactory(
        tenant=tenant, user=UserFactory(username="olivia", first_name="Olivia"), role=Role.OWNER
    )
    gold = ServiceTierFactory(
        tenant=tenant, name="Gold", currency="EUR", prices={"server": "350.00", "desktop": "60.00"}
    )
    acme = italian_buyer(ClientFactory(tenant=tenant, name="Acme Dental", currency="EUR"))
    ContractFactory(tenant=tenant, client=acme, tier=gold, name="Acme Gold")
    AssetFactory(tenant=tenant, client=acme, kind=AssetKind.SERVER)
    for _ in range(3):
        AssetFactory(tenant=tenant, client=acme, kind=AssetKind.DESKTOP)
    MembershipFactory(tenant=tenant, user=UserFactory(username="jane"), role=Role.CLIENT, client=acme)
    mueller = ClientFactory(
        tenant=tenant,
        name="Müller",
        legal_name="Müller Zahntechnik GmbH",
        currency="EUR",
        vat_number="DE136695976",
        street="Hauptstraße 5",
        postcode="10115",
        city="Berlin",
        country="DE",
    )
    ContractFactory(tenant=tenant, client=mueller, tier=gold, name="Müller Gold")
    AssetFactory(tenant=tenant, client=mueller, kind=AssetKind.SERVER)
    with scope_of(tenant.pk):
        TaxRate.objects.create(tenant=tenant, name="IVA 22%", code="22", rate=Decimal("22"))
        reverse_charge = TaxRate.objects.create(
            tenant=tenant,
            name="EU services, reverse charge",
            code="N2.1",
            rate=Decimal("0"),
            nature="N2.1",
            legal_reference="Art. 7-ter DPR 633/72",
        )
        ClientBillingTerms.objects.create(tenant=tenant, client=mueller, vat=reverse_charge)
    return tenant


def test_einvoice_journey(page, live_server, shot):
    url = live_server.url
    world()
    today = timezone.localdate()
    month = str(Period.of(today))

    # The owner runs the month: two drafts wait for review --------------------------------------
    log_in(page, url, "olivia")
    page.get_by_role("link", name="Invoices").first.click()
    page.get_by_role("link", name="Run the month").click()
    page.get_by_label("Month").fill(month)
    shot(page, "run-the-month")
    page.get_by_role("button", name="Bill this month").click()
    expect(page.locator("#messages")).to_contain_text("has started")
    acme_row = page.locator("tr", has_text="Acme Dental")
    mueller_row = page.locator("tr", has_text="Müller")
    expect(acme_row).to_contain_text("Draft")
    expect(acme_row).to_contain_text("646.60")  # 350 + 3 x 60 = 530.00, plus 22 %
    expect(mueller_row).to_contain_text("Draft")
    expect(mueller_row).to_contain_text("350.00")  # reverse charge: no VAT
    shot(page, "drafts-listed")

    # ... ticks both and issues them in one action ---------------------------------------------
    acme_row.get_by_role("checkbox").check()
    mueller_row.get_by_role("checkbox").check()
    shot(page, "drafts-ticked")
    page.get_by_role("button", name="Issue the selected drafts").click()
    expect(page.locator("#messages")).to_contain_text("Issued:")
    expect(page.locator("#messages .message-error")).to_have_count(0)
    expect(acme_row).to_contain_text("Issued")
    expect(mueller_row).to_contain_text("Issued")
    expect(page.locator("#results").get_by_role("checkbox")).to_have_count(0)  # no draft left
    number = re.search(r"INV-\d{4}-\d{4}", acme_row.inner_text()).group(0)
    shot(page, "issued")

    # ... downloads the month's e-invoices as one ZIP -------------------------------------------
    zip_form = page.get_by_role("form", name="E-invoices of a period")
    zip_form.get_by_label("from", exact=True).fill(today.replace(day=1).isoformat())
    zip_form.get_by_label("to", exact=True).fill(today.isoformat())
    with page.expect_download() as download:
        zip_form.get_by_role("button", name="Download ZIP").click()
    archive = zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read()))
    italian = f"{SELLER_VAT}_00001.xml"
    names = archive.namelist()
    assert italian in names and len(names) == 2, names  # Acme's FatturaPA, Müller's UBL
    xml = archive.read(italian)
    fatturapa_check(xml)  # the official FatturaPA 1.2.2 schema, vendored
    tree = etree.fromstring(xml)
    assert tree.findtext(".//CodiceDestinatario") == "ABC1234"
    assert tree.findtext(".//DatiGeneraliDocumento/Numero") == number
    assert tree.findtext(".//DatiGeneraliDocumento/ImportoTotaleDocumento") == "646.60"
    other = next(name for name in names if name != italian)
    assert b"Invoice" in archive.read(other) and b"DE136695976" in archive.read(other)
    shot(page, "zip-downloaded")

    # ... opens the Italian invoice, marks its file as sent, uploads the SdI's receipt ----------
    acme_row.get_by_role("link", name=number).click()
    expect(page.locator("h1")).to_contain_text(number)
    sdi = page.locator("#sdi")
    expect(sdi).to_contain_text(italian)
    expect(sdi.locator("dd .badge")).to_have_text("Ready to send")
    shot(page, "invoice-ready-to-send")
    sdi.get_by_role("button", name="Mark as sent").click()
    expect(page.locator("#messages")).to_contain_text("1 file marked as sent.")
    expect(sdi.locator("dd .badge")).to_have_text("Sent")
    expect(sdi.get_by_role("button", name="Mark as sent")).to_have_count(0)
    shot(page, "invoice-sent")
    sdi.get_by_label("Receipt files (XML)").set_input_files(
        {
            "name": f"{SELLER_VAT}_00001_RC_001.xml",
            "mimeType": "application/xml",
            "buffer": receipt_xml("RC", italian, "4242"),
        }
    )
    sdi.get_by_role("button", name="Upload receipt").click()
    expect(page.locator("#messages")).to_contain_text(f"RC receipt imported: {italian} is delivered.")
    expect(sdi.locator("dd .badge")).to_have_text("Delivered")
    expect(sdi).to_contain_text("4242")  # the SdI's identifier of the file
    expect(sdi.locator("tbody tr", has_text=italian)).to_contain_text("RC")
    shot(page, "invoice-delivered")
    log_out(page)

    # The Italian client's contact downloads the invoice in the portal -------------------------
    log_in(page, url, "jane")
    page.get_by_role("link", name="Invoices").first.click()
    row = page.locator("tr", has_text=number)
    expect(row).to_contain_text("Issued")
    expect(page.locator("tr", has_text="Müller")).to_have_count(0)
    with page.expect_download() as download:
        row.get_by_role("link", name="PDF").click()
    text = pdf_text(open(download.value.path(), "rb").read())
    assert number in text and "Acme Dental" in text, text
    shot(page, "portal-invoices")
