"""FatturaPA: a month's invoices and a credit note as the SdI gets them, valid against the
official 1.2.2 schema and equal to the invoices to the cent; and every refusal changes nothing."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from djmoney.money import Money
from lxml import etree

from assets.choices import AssetKind
from billing.einvoice.fatturapa import fatturapa_einvoice, progressive_text, schema
from billing.models import EInvoice, Invoice, InvoiceLine, InvoiceSequence, InvoiceStatus, LineKind
from billing.periods import Period
from billing.services import (
    LineDraft,
    credit_note_create,
    invoice_draft_create,
    invoice_issue,
    invoice_lines_add,
)
from billing.services.run import billing_run
from contracts.choices import ContractKind
from contracts.models import BlockOrigin
from contracts.services.hours import block_purchase
from msp.models import Tenant
from msp.scoping import scope_of
from tests.billing.italy import IBAN, PERSON_CODE, SELLER_VAT, italian_buyer, italian_seller
from tests.factories import (
    AssetFactory,
    ClientFactory,
    ContractFactory,
    ServiceTierFactory,
    TicketFactory,
    TimeEntryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DECEMBER = Period(2026, 12)
ISSUED_ON = datetime.date(2027, 1, 4)
EXEMPT_REFERENCE = "Esente art. 10 n. 20 DPR 633/72"


def eur(amount):
    return Money(Decimal(amount), "EUR")


def xml_of(einvoice: EInvoice) -> etree._Element:
    with einvoice.xml.open("rb") as stored:
        data = stored.read()
    root = etree.fromstring(data)
    schema().assertValid(root)  # the official XSD, vendored: the SdI's first check
    return root


def decimals(root, path: str) -> list[Decimal]:
    return [Decimal(node.text) for node in root.iterfind(path)]


def one(root, path: str) -> str:
    (node,) = root.iterfind(path)
    return node.text


BODY = "FatturaElettronicaBody"
DOCUMENT = f"{BODY}/DatiGenerali/DatiGeneraliDocumento"


@pytest.fixture
def month(tenant, django_capture_on_commit_callbacks):
    """The issue's month: Acme on Gold with 2 servers and 10 desktops, a prepaid 10 h block
    (auto-renewed once), 3 h of break/fix labour; Acme and the MSP both Italian."""
    tenant.tax_rate = Decimal("22.00")
    tenant.default_currency = "EUR"
    italian_seller(tenant)
    gold = ServiceTierFactory(
        tenant=tenant, name="Gold", currency="EUR", prices={"server": "350.00", "desktop": "60.00"}
    )
    acme = italian_buyer(ClientFactory(tenant=tenant, name="Acme", currency="EUR"))
    ContractFactory(tenant=tenant, client=acme, tier=gold, name="Acme Gold")
    for _ in range(2):
        AssetFactory(tenant=tenant, client=acme, kind=AssetKind.SERVER)
    for _ in range(10):
        AssetFactory(tenant=tenant, client=acme, kind=AssetKind.DESKTOP)
    prepaid = ContractFactory(
        tenant=tenant,
        client=acme,
        kind=ContractKind.PREPAID_HOURS,
        tier=None,
        auto_renew=True,
        renew_threshold_minutes=300,
        renew_block_minutes=600,
        renew_block_price=eur("900.00"),
    )
    technician = UserFactory(first_name="Marta", last_name="Rossi")
    with django_capture_on_commit_callbacks(execute=True):
        block_purchase(contract=prepaid, minutes=600, price=eur("900.00"), origin=BlockOrigin.INITIAL)
    with django_capture_on_commit_callbacks(execute=True):
        TimeEntryFactory(
            ticket=TicketFactory(tenant=tenant, client=acme, contract=prepaid),
            technician=technician,
            minutes=400,
        )
    breakfix = ContractFactory(
        tenant=tenant, client=acme, kind=ContractKind.BREAK_FIX, tier=None, hourly_rate=eur("85.00")
    )
    server_down = TicketFactory(tenant=tenant, client=acme, contract=breakfix, subject="Server down")
    for minutes in (60, 90, 30):
        TimeEntryFactory(ticket=server_down, technician=technician, minutes=minutes, note=f"Worked {minutes}")
    billing_run(tenant=tenant, period=DECEMBER)  # drafts (auto-issue is off)
    with scope_of(tenant.pk):
        monthly = Invoice.objects.get(client=acme, period_start=DECEMBER.start)
        block = Invoice.objects.filter(client=acme, period_start__isnull=True).order_by("pk").first()
    # A 0 % exempt line (training, art. 10): its nature and legal reference as the catalogue's
    # rate would carry them (helper "fiscal" makes the drafting fill them).
    invoice_lines_add(
        invoice=monthly,
        lines=[
            LineDraft(
                kind=LineKind.SERVICE,
                description="Corso di formazione – sicurezza informatica (€ 300)",
                unit_price=eur("300.00"),
                tax_rate=Decimal("0"),
            )
        ],
    )
    with scope_of(tenant.pk):
        InvoiceLine.objects.filter(invoice=monthly, tax_rate=0).update(
            tax_nature="N4", tax_code="N4", tax_reference=EXEMPT_REFERENCE
        )
    return {"tenant": tenant, "acme": acme, "monthly": monthly, "block": block}


def test_the_months_invoices_and_a_credit_note_are_valid_fatturapa_equal_to_the_cent(month):
    tenant, monthly, block = month["tenant"], month["monthly"], month["block"]
    monthly = invoice_issue(invoice=monthly, on=ISSUED_ON)
    block = invoice_issue(invoice=block, on=ISSUED_ON)
    with scope_of(tenant.pk):
        labour = monthly.lines.filter(kind=LineKind.LABOUR).order_by("position").last()
    note = credit_note_create(
        invoice=monthly,
        reason="Labour of 30 min billed twice",
        lines=[LineDraft(kind=labour.kind, description=labour.description, unit_price=labour.unit_price)],
    )
    note = invoice_issue(invoice=note, on=ISSUED_ON + datetime.timedelta(days=3))

    with scope_of(tenant.pk):
        files = {row.invoice_id: row for row in EInvoice.objects.all()}
        monthly_lines = list(monthly.lines.order_by("position"))
    assert set(files) == {monthly.pk, block.pk, note.pk}
    # The names the SdI expects: the seller's VAT number and the tenant's progressive, in order.
    assert [files[pk].filename for pk in (monthly.pk, block.pk, note.pk)] == [
        f"{SELLER_VAT}_00001.xml",
        f"{SELLER_VAT}_00002.xml",
        f"{SELLER_VAT}_00003.xml",
    ]

    root = xml_of(files[monthly.pk])
    assert root.tag == "{http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2}FatturaElettronica"
    assert root.get("versione") == "FPR12"
    header = "FatturaElettronicaHeader"
    assert one(root, f"{header}/DatiTrasmissione/ProgressivoInvio") == "00001"
    assert one(root, f"{header}/DatiTrasmissione/CodiceDestinatario") == "ABC1234"
    assert one(root, f"{header}/CedentePrestatore/DatiAnagrafici/IdFiscaleIVA/IdCodice") == "01234560017"
    assert one(root, f"{header}/CedentePrestatore/DatiAnagrafici/RegimeFiscale") == "RF01"
    assert (
        one(root, f"{header}/CessionarioCommittente/DatiAnagrafici/Anagrafica/Denominazione") == "Acme S.p.A."
    )
    assert one(root, f"{DOCUMENT}/TipoDocumento") == "TD01"
    assert one(root, f"{DOCUMENT}/Numero") == monthly.number
    assert one(root, f"{DOCUMENT}/Data") == "2027-01-04"

    # To the cent: the document's total, the lines' totals and the summary's sums are the invoice's.
    assert (
        decimals(root, f"{DOCUMENT}/ImportoTotaleDocumento") == [monthly.total.amount] == [Decimal("2197.10")]
    )
    rows = list(root.iterfind(f"{BODY}/DatiBeniServizi/DettaglioLinee"))
    assert len(rows) == len(monthly_lines) == 6
    assert [Decimal(row.findtext("PrezzoTotale")) for row in rows] == [
        line.amount.amount for line in monthly_lines
    ]
    assert (
        sum(decimals(root, f"{BODY}/DatiBeniServizi/DettaglioLinee/PrezzoTotale")) == monthly.subtotal.amount
    )
    summary = [
        (r.findtext("AliquotaIVA"), r.findtext("Natura"), r.findtext("ImponibileImporto"), r.findtext("Imposta"),
         r.findtext("RiferimentoNormativo"))
        for r in root.iterfind(f"{BODY}/DatiBeniServizi/DatiRiepilogo")
    ]  # fmt: skip
    assert summary == [
        ("22.00", None, "1555.00", "342.10", None),
        ("0.00", "N4", "300.00", "0.00", EXEMPT_REFERENCE),
    ]
    assert (
        sum(decimals(root, f"{BODY}/DatiBeniServizi/DatiRiepilogo/ImponibileImporto"))
        == monthly.subtotal.amount
    )
    assert sum(decimals(root, f"{BODY}/DatiBeniServizi/DatiRiepilogo/Imposta")) == monthly.tax.amount
    exempt = rows[-1]
    assert (exempt.findtext("AliquotaIVA"), exempt.findtext("Natura")) == ("0.00", "N4")
    # The Latin-1 text the schema allows: the dash and the euro sign spelt out.
    assert exempt.findtext("Descrizione") == "Corso di formazione - sicurezza informatica (EUR 300)"
    # The month's period on its lines; the fee of 2 servers at 350.00.
    fee = rows[0]
    assert (fee.findtext("DataInizioPeriodo"), fee.findtext("DataFinePeriodo")) == (
        "2026-12-01",
        "2026-12-31",
    )
    assert (fee.findtext("Quantita"), fee.findtext("PrezzoUnitario"), fee.findtext("PrezzoTotale")) == (
        "2.00",
        "350.00",
        "700.00",
    )
    payment = f"{BODY}/DatiPagamento/DettaglioPagamento"
    assert one(root, f"{BODY}/DatiPagamento/CondizioniPagamento") == "TP02"
    assert one(root, f"{payment}/ModalitaPagamento") == "MP05"
    assert one(root, f"{payment}/IBAN") == IBAN
    assert one(root, f"{payment}/DataScadenzaPagamento") == monthly.due_date.isoformat()
    assert decimals(root, f"{payment}/ImportoPagamento") == [monthly.total.amount]

    # The prepaid block's invoice.
    root = xml_of(files[block.pk])
    assert (
        decimals(root, f"{DOCUMENT}/ImportoTotaleDocumento") == [block.total.amount] == [Decimal("1098.00")]
    )
    assert sum(decimals(root, f"{BODY}/DatiBeniServizi/DatiRiepilogo/Imposta")) == block.tax.amount

    # The credit note: TD04 naming the invoice it corrects, no payment asked.
    root = xml_of(files[note.pk])
    assert one(root, f"{DOCUMENT}/TipoDocumento") == "TD04"
    assert one(root, f"{DOCUMENT}/Numero") == note.number
    assert one(root, f"{DOCUMENT}/Causale") == "Labour of 30 min billed twice"
    assert one(root, f"{BODY}/DatiGenerali/DatiFattureCollegate/IdDocumento") == monthly.number
    assert one(root, f"{BODY}/DatiGenerali/DatiFattureCollegate/Data") == "2027-01-04"
    assert decimals(root, f"{DOCUMENT}/ImportoTotaleDocumento") == [note.total.amount] == [Decimal("51.85")]
    assert root.find(f"{BODY}/DatiPagamento") is None
    # Stored once with its digest, ready to send.
    import hashlib

    for row in files.values():
        with row.xml.open("rb") as stored:
            assert hashlib.sha256(stored.read()).hexdigest() == row.sha256
        assert (row.state, row.superseded) == ("ready", False)


def _draft(tenant, client):
    return invoice_draft_create(
        client=client,
        lines=[LineDraft(kind=LineKind.LABOUR, description="Server migration", unit_price=eur("85.00"))],
    )


def _nothing_taken(tenant, draft):
    with scope_of(tenant.pk):
        draft.refresh_from_db()
        assert (draft.status, draft.number, draft.issue_date) == (InvoiceStatus.DRAFT, "", None)
        assert not EInvoice.objects.exists()
        assert not InvoiceSequence.objects.filter(last_number__gt=0).exists()  # no number, no progressive


@pytest.fixture
def italian(tenant):
    tenant.tax_rate = Decimal("22.00")
    italian_seller(tenant)
    return italian_buyer(ClientFactory(tenant=tenant, name="Acme", currency="EUR"))


def test_an_italian_client_without_codice_destinatario_or_pec_is_refused_and_nothing_changes(tenant, italian):
    italian_buyer(italian, sdi_code="", pec="")
    draft = _draft(tenant, italian)
    with pytest.raises(ValidationError) as refused:
        invoice_issue(invoice=draft, on=ISSUED_ON)
    assert "Acme S.p.A. has no Codice Destinatario and no PEC address" in " ".join(refused.value.messages)
    _nothing_taken(tenant, draft)

    # With a PEC address it goes out, to 0000000 and the PEC, with the first number and progressive.
    italian_buyer(italian, sdi_code="", pec="acme@pec.example.it")
    issued = invoice_issue(invoice=draft, on=ISSUED_ON)
    assert issued.number == "INV-2027-0001"
    with scope_of(tenant.pk):
        root = xml_of(EInvoice.objects.get(invoice=issued))
    assert one(root, "FatturaElettronicaHeader/DatiTrasmissione/CodiceDestinatario") == "0000000"
    assert one(root, "FatturaElettronicaHeader/DatiTrasmissione/PECDestinatario") == "acme@pec.example.it"
    assert one(root, "FatturaElettronicaHeader/DatiTrasmissione/ProgressivoInvio") == "00001"


def test_a_malformed_seller_vat_number_is_refused_and_nothing_changes(tenant, italian):
    Tenant.objects.filter(pk=tenant.pk).update(vat_number="IT01234560018")  # a wrong check digit
    draft = _draft(tenant, italian)
    with pytest.raises(ValidationError) as refused:
        invoice_issue(invoice=draft, on=ISSUED_ON)
    assert "Your organisation's VAT number: IT01234560018 is not a valid VAT number of IT" in " ".join(
        refused.value.messages
    )
    _nothing_taken(tenant, draft)


def test_what_the_schema_refuses_is_reported_with_its_message_and_nothing_changes(tenant, italian):
    Tenant.objects.filter(pk=tenant.pk).update(tax_regime="RF99")  # not one of the schema's
    draft = _draft(tenant, italian)
    with pytest.raises(ValidationError) as refused:
        invoice_issue(invoice=draft, on=ISSUED_ON)
    message = " ".join(refused.value.messages)
    assert "does not pass the official schema" in message and "RegimeFiscale" in message and "RF99" in message
    _nothing_taken(tenant, draft)


def test_a_zero_rate_line_without_its_nature_is_refused(tenant, italian):
    draft = invoice_draft_create(
        client=italian,
        lines=[
            LineDraft(kind=LineKind.SERVICE, description="Licence", unit_price=eur("10"), tax_rate=Decimal(0))
        ],
    )
    with pytest.raises(ValidationError) as refused:
        invoice_issue(invoice=draft, on=ISSUED_ON)
    assert "Line 1 (Licence) is at 0 % VAT without an exemption nature" in " ".join(refused.value.messages)
    _nothing_taken(tenant, draft)


def test_a_public_administration_and_a_private_person_get_their_formats(tenant, italian):
    italian_buyer(italian, public_administration=True, sdi_code="UFABCD")
    root = xml_of(_issued_file(tenant, italian))
    assert root.get("versione") == "FPA12"
    assert one(root, "FatturaElettronicaHeader/DatiTrasmissione/CodiceDestinatario") == "UFABCD"

    person = italian_buyer(
        ClientFactory(tenant=tenant, name="Mario Rossi", currency="EUR"),
        legal_name="",
        vat_number="",
        fiscal_code=PERSON_CODE,
        sdi_code="0000000",
    )
    root = xml_of(_issued_file(tenant, person))
    assert (
        one(root, "FatturaElettronicaHeader/CessionarioCommittente/DatiAnagrafici/CodiceFiscale")
        == PERSON_CODE
    )
    assert root.find("FatturaElettronicaHeader/CessionarioCommittente/DatiAnagrafici/IdFiscaleIVA") is None


def _issued_file(tenant, client) -> EInvoice:
    issued = invoice_issue(invoice=_draft(tenant, client), on=ISSUED_ON)
    with scope_of(tenant.pk):
        return EInvoice.objects.get(invoice=issued, superseded=False)


def test_sent_again_it_gets_a_new_progressive_and_keeps_the_old_file(tenant, italian):
    first = _issued_file(tenant, italian)
    again = fatturapa_einvoice(first.invoice)
    assert (first.progressive, again.progressive) == ("00001", "00002")
    with scope_of(tenant.pk):
        first.refresh_from_db()
        assert first.superseded and first.xml.storage.exists(first.xml.name)
        assert not again.superseded
        assert one(xml_of(again), f"{DOCUMENT}/Numero") == first.invoice.number  # the same invoice number


def test_clients_outside_italy_and_tenants_without_a_fiscal_identity_get_no_fatturapa(tenant, italian):
    german = ClientFactory(tenant=tenant, name="Berlin GmbH", currency="EUR", country="DE")
    assert invoice_issue(invoice=_draft(tenant, german), on=ISSUED_ON).number == "INV-2027-0001"
    Tenant.objects.filter(pk=tenant.pk).update(country="")
    italian.refresh_from_db()
    assert invoice_issue(invoice=_draft(tenant, italian), on=ISSUED_ON).number == "INV-2027-0002"
    with scope_of(tenant.pk):
        assert not EInvoice.objects.exists()


def test_progressives_are_five_base36_characters():
    assert [progressive_text(n) for n in (1, 35, 36, 36**5 - 1)] == ["00001", "0000Z", "00010", "ZZZZZ"]
    with pytest.raises(ValueError):
        progressive_text(36**5)
