"""Issue 19, fiscal identity: the MSP's and its clients' tax numbers checked alike in the
browser and the API, the VAT catalogue with its exemption natures, lines that carry them, the
PDF that prints them, batch issue, credit notes in the AR summary and the client's statement."""

from decimal import Decimal

import pytest
from django.urls import reverse
from djmoney.money import Money

from billing.models import ClientBillingTerms, Invoice, InvoiceStatus, TaxRate
from billing.services import LineDraft, credit_note_create, invoice_draft_create, invoice_issue
from msp.models import Client
from msp.scoping import scope_of
from tests.billing.test_invoices_api import pdf_text
from tests.factories import ClientFactory, issued_invoice
from tests.msp.test_api import api_for

pytestmark = pytest.mark.django_db

CLIENT_FORM = {"name": "Acme Dental", "currency": "EUR", "timezone": "Europe/Rome", "country": "IT"}


def _rate(tenant, code, rate, nature="", law="", name=None):
    with scope_of(tenant.pk):
        return TaxRate.objects.create(
            tenant=tenant,
            name=name or code,
            code=code,
            rate=Decimal(rate),
            nature=nature,
            legal_reference=law,
        )


def _clients(tenant):
    with scope_of(tenant.pk):
        return list(Client.objects.values_list("name", "vat_number", "fiscal_code", "sdi_code"))


# --- the browser's forms ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"vat_number": "IT01234567890"}, "vat_number", "is not a valid VAT number of IT"),
        ({"vat_number": "DE136695976"}, "vat_number", "is not a VAT number of IT"),
        ({"fiscal_code": "RSSMRA85T10A562X"}, "fiscal_code", "is not a valid Italian fiscal code"),
        ({"sdi_code": "ABC123"}, "sdi_code", "The Codice Destinatario has 7 letters or digits."),
        (
            {"sdi_code": "ABC1234", "public_administration": "on"},
            "sdi_code",
            "office code (Codice Univoco Ufficio) has 6 letters or digits",
        ),
        ({"postcode": "2012"}, "postcode", "An Italian postcode (CAP) has 5 digits."),
    ],
)
def test_the_client_form_refuses_a_malformed_number_beside_its_field(
    owner_client, tenant, fields, field, message
):
    page = owner_client.post(reverse("clients:create"), {**CLIENT_FORM, **fields})
    assert page.status_code == 200  # the form again, with the error
    form = page.context["form"]
    assert message in " ".join(form.errors[field]), form.errors
    assert _clients(tenant) == []


def test_the_client_form_keeps_the_numbers_normalised(owner_client, tenant):
    made = owner_client.post(
        reverse("clients:create"),
        {
            **CLIENT_FORM,
            "vat_number": "007 431 101 57",
            "fiscal_code": "rssmra85t10a562s",
            "sdi_code": "m5uxcr1",
            "street": "Via Roma 1",
            "postcode": "20121",
            "city": "Milano",
            "province": "mi",
        },
    )
    assert made.status_code == 302
    assert _clients(tenant) == [("Acme Dental", "IT00743110157", "RSSMRA85T10A562S", "M5UXCR1")]
    with scope_of(tenant.pk):
        acme = Client.objects.get()
    page = owner_client.get(acme.get_absolute_url()).content.decode()
    assert "IT00743110157" in page and "M5UXCR1" in page and "Milano (MI)" in page


def test_a_public_administrations_six_character_office_code_is_taken(owner_client, tenant):
    made = owner_client.post(
        reverse("clients:create"), {**CLIENT_FORM, "sdi_code": "UFABCD", "public_administration": "on"}
    )
    assert made.status_code == 302
    assert _clients(tenant)[0][3] == "UFABCD"


def test_the_organisation_settings_check_vat_number_and_iban(owner_client, tenant):
    page = owner_client.get(reverse("tenant_settings"))
    form = page.context["form"]
    data = {
        k: v for k, v in form.initial.items() if v is not None and k not in ("logo", "default_hourly_rate")
    }
    data.update({"default_hourly_rate_0": "", "default_hourly_rate_1": "EUR", "smtp_security": "starttls"})
    bad = owner_client.post(
        reverse("tenant_settings"),
        {**data, "country": "IT", "vat_number": "IT02839750990", "iban": "IT60X05428"},
    )
    assert bad.status_code == 200
    errors = bad.context["form"].errors
    assert "is not a valid VAT number" in str(errors["vat_number"]) and "not a valid IBAN" in str(
        errors["iban"]
    )
    tenant.refresh_from_db()
    assert tenant.vat_number == "" and tenant.iban == ""
    good = owner_client.post(
        reverse("tenant_settings"),
        {**data, "country": "IT", "vat_number": "02839750995", "iban": "IT60 X054 2811 1010 0000 0123 456"},
    )
    assert good.status_code == 302, good.context["form"].errors
    tenant.refresh_from_db()
    assert (tenant.vat_number, tenant.iban) == ("IT02839750995", "IT60X0542811101000000123456")


def test_a_zero_rate_without_its_nature_is_refused_in_the_browser(owner_client, tenant):
    page = owner_client.post(reverse("billing:taxrate-create"), {"name": "Exempt", "code": "E", "rate": "0"})
    assert page.status_code == 200
    assert "needs its exemption nature" in str(page.context["form"].errors["nature"])
    with scope_of(tenant.pk):
        assert not TaxRate.objects.exists()
    made = owner_client.post(
        reverse("billing:taxrate-create"),
        {"name": "Exempt", "code": "N4", "rate": "0", "nature": "N4", "legal_reference": "Art. 10 DPR 633/72",
         "is_active": "on"},
    )  # fmt: skip
    assert made.status_code == 302
    listed = owner_client.get(reverse("billing:taxrates")).content.decode()
    assert "Art. 10 DPR 633/72" in listed and "N4 Exempt" in listed


def test_a_rate_in_use_is_not_deleted(owner_client, tenant):
    exempt = _rate(tenant, "N4", "0", "N4")
    acme = ClientFactory(tenant=tenant)
    with scope_of(tenant.pk):
        ClientBillingTerms.objects.create(tenant=tenant, client=acme, vat=exempt)
    owner_client.post(reverse("billing:taxrate-delete", args=[exempt.pk]))
    with scope_of(tenant.pk):
        assert TaxRate.objects.filter(pk=exempt.pk).exists()


def test_the_billing_terms_take_a_rate_of_the_catalogue(owner_client, tenant):
    exempt = _rate(tenant, "N4", "0", "N4")
    acme = ClientFactory(tenant=tenant)
    url = reverse("billing:client-terms", args=[acme.pk])
    both = owner_client.post(url, {"payment_terms_days": "30", "vat": exempt.pk, "tax_rate": "10"})
    assert both.status_code == 400 and "not both" in both.content.decode()
    assert owner_client.post(url, {"payment_terms_days": "30", "vat": exempt.pk}).status_code == 302
    with scope_of(tenant.pk):
        assert ClientBillingTerms.objects.get(client=acme).vat == exempt


# --- the API -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"vat_number": "IT01234567890"}, "vat_number", "is not a valid VAT number of IT"),
        ({"fiscal_code": "RSSMRA85T10A562X"}, "fiscal_code", "is not a valid Italian fiscal code"),
        ({"sdi_code": "ABC123"}, "sdi_code", "The Codice Destinatario has 7 letters or digits."),
        ({"sdi_code": "ABCD123", "public_administration": True}, "sdi_code", "has 6 letters or digits"),
    ],
)
def test_the_clients_api_answers_400_with_the_fields_message(owner, tenant, fields, field, message):
    api = api_for(owner)
    answer = api.post("/api/v1/clients/", {**CLIENT_FORM, **fields}, format="json")
    assert answer.status_code == 400
    assert message in " ".join(answer.json()[field])
    assert _clients(tenant) == []


def test_the_clients_api_stores_normalised_numbers_and_rechecks_on_patch(owner, tenant):
    api = api_for(owner)
    made = api.post(
        "/api/v1/clients/", {**CLIENT_FORM, "vat_number": "00743110157", "sdi_code": "m5uxcr1"}, format="json"
    )
    assert made.status_code == 201, made.json()
    body = made.json()
    assert (body["vat_number"], body["sdi_code"], body["country"]) == ("IT00743110157", "M5UXCR1", "IT")
    url = f"/api/v1/clients/{body['id']}/"
    bad = api.patch(url, {"fiscal_code": "NOTACODE12345678"}, format="json")
    assert bad.status_code == 400 and "fiscal_code" in bad.json()
    moved = api.patch(url, {"country": "DE"}, format="json")  # an Italian number is no German one
    assert moved.status_code == 400 and "is not a VAT number of DE" in str(moved.json()["vat_number"])
    assert _clients(tenant) == [("Acme Dental", "IT00743110157", "", "M5UXCR1")]


def test_the_organisation_api_reads_and_checks_the_msps_identity(owner, tenant, make_member):
    api = api_for(owner)
    assert api.get("/api/v1/organisation/").json()["vat_number"] == ""
    bad = api.patch("/api/v1/organisation/", {"country": "IT", "vat_number": "IT02839750990"}, format="json")
    assert bad.status_code == 400 and "vat_number" in bad.json()
    tenant.refresh_from_db()
    assert tenant.country_code == ""
    good = api.patch(
        "/api/v1/organisation/",
        {"country": "IT", "vat_number": "02839750995", "street": "Via Torino 15", "postcode": "20123",
         "city": "Milano", "province": "MI", "iban": "IT60X0542811101000000123456"},
        format="json",
    )  # fmt: skip
    assert good.status_code == 200, good.json()
    assert good.json()["vat_number"] == "IT02839750995"
    from msp.roles import Role

    assert api_for(make_member(tenant, Role.TECHNICIAN)).get("/api/v1/organisation/").status_code == 403


def test_the_tax_rates_api_refuses_a_zero_rate_without_nature(owner, tenant):
    api = api_for(owner)
    bare = api.post("/api/v1/tax-rates/", {"name": "Exempt", "code": "E", "rate": "0"}, format="json")
    assert bare.status_code == 400 and "needs its exemption nature" in str(bare.json()["nature"])
    positive = api.post(
        "/api/v1/tax-rates/", {"name": "Odd", "code": "X", "rate": "22", "nature": "N4"}, format="json"
    )
    assert positive.status_code == 400 and "Only a 0 % rate" in str(positive.json()["nature"])
    with scope_of(tenant.pk):
        assert not TaxRate.objects.exists()
    made = api.post(
        "/api/v1/tax-rates/",
        {
            "name": "Reverse charge",
            "code": "N6.7",
            "rate": "0",
            "nature": "N6.7",
            "legal_reference": "Art. 17",
        },
        format="json",
    )
    assert made.status_code == 201 and made.json()["category"] == "AE"
    again = api.post("/api/v1/tax-rates/", {"name": "Twice", "code": "n6.7", "rate": "22"}, format="json")
    assert again.status_code == 400 and "code" in again.json()


# --- lines, credit notes, the PDF --------------------------------------------------------


def _line(client, description="Work", amount="100.00", **kwargs):
    return LineDraft(
        kind="adjustment",
        description=description,
        unit_price=Money(Decimal(amount), client.currency),
        **kwargs,
    )


def test_lines_carry_the_clients_nature_code_and_law_and_credit_notes_copy_them(tenant):
    tenant.tax_rate = Decimal("22.00")
    tenant.save()
    standard = _rate(tenant, "22", "22")
    exempt = _rate(tenant, "N4", "0", "N4", "Art. 10 DPR 633/72")
    acme = ClientFactory(tenant=tenant, currency="EUR")
    bellini = ClientFactory(tenant=tenant, currency="EUR")
    with scope_of(tenant.pk):
        ClientBillingTerms.objects.create(tenant=tenant, client=bellini, vat=exempt)
    normal = invoice_draft_create(client=acme, lines=[_line(acme), _line(acme, "Licence", vat=exempt)])
    with scope_of(tenant.pk):
        first, second = normal.lines.order_by("position")
    assert (first.tax_rate, first.tax_code, first.tax_nature) == (Decimal("22.00"), "22", "")
    assert (second.tax_rate, second.tax_nature, second.tax_reference) == (
        Decimal("0"),
        "N4",
        "Art. 10 DPR 633/72",
    )
    assert normal.tax.amount == Decimal("22.00")

    invoice = invoice_issue(invoice=invoice_draft_create(client=bellini, lines=[_line(bellini)]))
    with scope_of(tenant.pk):
        line = invoice.lines.get()
    assert (line.tax_rate, line.tax_nature, line.tax_code, line.tax_reference) == (
        Decimal("0"), "N4", "N4", "Art. 10 DPR 633/72"
    )  # fmt: skip
    assert "N4" in invoice.tax_note and "Art. 10" in invoice.tax_note
    exempt.legal_reference = "changed since"
    exempt.save()
    note = credit_note_create(invoice=invoice, reason="Wrong month")
    with scope_of(tenant.pk):
        copied = note.lines.get()
    assert (copied.tax_nature, copied.tax_code, copied.tax_reference) == ("N4", "N4", "Art. 10 DPR 633/72")
    assert standard.pk  # the standard rate stayed in the catalogue


def test_the_pdf_prints_both_parties_tax_numbers_the_exemption_and_the_iban(owner_client, tenant):
    tenant.legal_name, tenant.country, tenant.vat_number = "Demo MSP S.r.l.", "IT", "IT02839750995"
    tenant.iban = "IT60X0542811101000000123456"
    # Between two Italian parties issuing makes the FatturaPA file, which needs both addresses.
    tenant.street, tenant.postcode, tenant.city, tenant.province = "Via Roma 1", "20121", "Milano", "MI"
    tenant.save()
    exempt = _rate(tenant, "N4", "0", "N4", "Art. 10 DPR 633/72")
    acme = ClientFactory(
        tenant=tenant, currency="EUR", legal_name="Acme Dental S.r.l.", country="IT",
        vat_number="IT00743110157", fiscal_code="RSSMRA85T10A562S", sdi_code="M5UXCR1",
        street="Corso Italia 10", postcode="00184", city="Roma", province="RM",
    )  # fmt: skip
    invoice = invoice_issue(invoice=invoice_draft_create(client=acme, lines=[_line(acme, vat=exempt)]))
    assert invoice.parties["buyer"]["vat"] == "IT00743110157" and invoice.parties["seller"]["iban"]
    text = pdf_text(owner_client.get(reverse("billing:pdf", args=[invoice.pk])).content)
    for expected in ("IT02839750995", "IT00743110157", "RSSMRA85T10A562S", "M5UXCR1", "N4 Exempt",
                     "Art. 10 DPR 633/72", "IT60 X054 2811 1010 0000 0123 456", "Acme Dental S.r.l."):  # fmt: skip
        assert expected in text, expected


# --- batch issue -------------------------------------------------------------------------


def _drafts(tenant):
    acme = ClientFactory(tenant=tenant, name="Acme", currency="EUR")
    good = [invoice_draft_create(client=acme, lines=[_line(acme, f"Work {i}")]) for i in range(2)]
    empty = invoice_draft_create(client=acme, lines=[])  # refused: nothing to invoice
    return good, empty


def test_the_api_issues_a_batch_and_lists_each_refusal(owner, tenant, other_tenant):
    (first, second), empty = _drafts(tenant)
    already = issued_invoice(first.client, "Before")
    theirs = invoice_draft_create(client=ClientFactory(tenant=other_tenant), lines=[])
    api = api_for(owner)
    ids = [first.pk, empty.pk, second.pk, already.pk, theirs.pk]
    answer = api.post("/api/v1/invoices/issue/", {"ids": ids}, format="json")
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert [row["id"] for row in body["issued"]] == [first.pk, second.pk]
    numbers = [row["number"] for row in body["issued"]]
    assert numbers == sorted(numbers) and all(numbers)
    refused = {row["id"]: row["reason"] for row in body["refused"]}
    assert refused == {
        empty.pk: "An invoice without lines cannot be issued.",
        already.pk: f"Invoice {already.number} has already been issued.",
        theirs.pk: "No such draft.",
    }
    empty.refresh_from_db()
    theirs.refresh_from_db()
    assert (empty.status, empty.number, theirs.status) == (InvoiceStatus.DRAFT, "", InvoiceStatus.DRAFT)
    assert api.post("/api/v1/invoices/issue/", {"ids": []}, format="json").status_code == 400
    assert api.post("/api/v1/invoices/issue/", {"ids": ["x"]}, format="json").status_code == 400


def test_the_list_issues_the_ticked_drafts_and_says_which_were_refused(owner_client, tenant):
    (first, second), empty = _drafts(tenant)
    listed = owner_client.get(reverse("billing:list")).content.decode()
    assert f'name="ids" value="{first.pk}"' in listed and "Issue the selected drafts" in listed
    done = owner_client.post(
        reverse("billing:issue-batch"),
        {"ids": [first.pk, second.pk, empty.pk], "next": reverse("billing:list") + "?status=draft"},
        follow=True,
    )
    page = done.content.decode()
    assert done.redirect_chain[-1][0].endswith("?status=draft")
    with scope_of(tenant.pk):
        issued = list(Invoice.objects.filter(status=InvoiceStatus.ISSUED).values_list("number", flat=True))
    assert len(issued) == 2 and all(number in page for number in issued)
    assert f"Draft #{empty.pk} (Acme) was not issued: An invoice without lines cannot be issued." in page
    nothing = owner_client.post(reverse("billing:issue-batch"), {}, follow=True)
    assert "Tick the drafts to issue." in nothing.content.decode()
    # A page without drafts offers no batch to issue.
    issued_only = owner_client.get(reverse("billing:list") + "?status=issued").content.decode()
    assert issued[0] in issued_only and "Issue the selected drafts" not in issued_only


# --- credit notes in the AR summary and the statement -------------------------------------


def test_credit_notes_show_in_the_receivables_and_the_clients_statement(owner_client, tenant):
    acme = ClientFactory(tenant=tenant, name="Acme", currency="EUR")
    invoice = issued_invoice(acme, "Setup", "100.00")
    note = invoice_issue(
        invoice=credit_note_create(
            invoice=invoice, reason="Discount", lines=[_line(acme, "Discount", "40.00")]
        )
    )
    listed = owner_client.get(reverse("billing:list")).content.decode()
    assert "Credit notes" in listed and "already taken off the open invoices" in listed
    statement = owner_client.get(reverse("billing:client-statement", args=[acme.pk])).content.decode()
    assert invoice.number in statement and note.number in statement
    assert f"for {invoice.number}" in statement
    invoice.refresh_from_db()
    assert invoice.outstanding == invoice.total - note.total
    assert f"{invoice.outstanding.amount}" in statement.split("tfoot")[1]  # the closing balance


def test_a_credit_note_on_a_paid_invoice_is_owed_to_the_client(owner_client, tenant):
    from billing.services import invoice_pay

    acme = ClientFactory(tenant=tenant, name="Acme", currency="EUR")
    invoice = issued_invoice(acme, "Setup", "100.00")
    invoice_pay(invoice=invoice, amount=invoice.total, paid_at=invoice.issue_date, method="bank_transfer")
    invoice_issue(
        invoice=credit_note_create(invoice=invoice, reason="Refund", lines=[_line(acme, "Back", "30.00")])
    )
    listed = owner_client.get(reverse("billing:list")).content.decode()
    assert "Owed to clients" in listed and "to refund" in listed


# --- the demo ----------------------------------------------------------------------------


def test_the_demo_msp_is_italian_with_a_catalogue_and_a_german_client(capsys):
    from django.core.management import call_command

    from msp.models import Tenant

    call_command("load_demo")
    demo = Tenant.objects.get(slug="demo")
    assert (demo.country_code, demo.vat_number, demo.iban[:2]) == ("IT", "IT02839750995", "IT")
    with scope_of(demo.pk):
        codes = set(TaxRate.objects.values_list("code", flat=True))
        assert {"22", "10", "N4", "N6.7", "N2.1"} <= codes
        clients = {c.name: c for c in Client.objects.all()}
        assert clients["Acme Dental"].sdi_code == "M5UXCR1"
        assert clients["Bellini Architetti"].sdi_code == "0000000" and clients["Bellini Architetti"].pec
        kaiser = clients["Kaiser Maschinenbau GmbH"]
        assert (kaiser.country_code, kaiser.vat_number) == ("DE", "DE136695976")
        assert ClientBillingTerms.objects.get(client=kaiser).vat.nature == "N2.1"
    # Every client's invoice is an e-invoice (FatturaPA in Italy, UBL for Kaiser and Evergreen)
    # and the accountant's export takes them all: the demo maps every account it needs.
    from billing.models import EInvoice
    from billing.services.exports import export_batch_create
    from billing.services.invoices import tenant_today

    with scope_of(demo.pk):
        for client in clients.values():
            invoice_issue(invoice=invoice_draft_create(client=client, lines=[_line(client, "Work")]))
        formats = sorted(EInvoice.objects.values_list("invoice__client__country", "format"))
        assert formats.count(("IT", "fatturapa")) == 4 and ("DE", "ubl") in formats and ("GB", "ubl") in formats
        today = tenant_today(demo)  # the issue dates' day
        batch = export_batch_create(tenant=demo, format="journal", period_start=today.replace(day=1), period_end=today)
        assert (batch.document_count, batch.problems) == (len(clients), [])
