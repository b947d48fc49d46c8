"""SdI receipts: read from the official files, matched to the e-invoice by its file name,
moving its state; and every bad input refused with nothing changed."""

import pytest
from django.core.exceptions import ValidationError

from billing.einvoice.receipts import receipt_parse
from billing.einvoice.sdi import DuplicateReceipt, einvoices_mark_sent, sdi_receipt_import
from billing.models import EInvoice, EInvoiceState, SdiReceipt
from msp.scoping import scope_of, unscoped
from tests.billing.sdi_files import ade_receipt_xml, einvoice_for, receipt_xml, sample
from tests.factories import ClientFactory, issued_invoice

pytestmark = pytest.mark.django_db
S = EInvoiceState


@pytest.mark.parametrize(
    ("kind", "notified"),
    [("RC", True), ("NS", True), ("MC", True), ("NE", False), ("DT", False), ("AT", True)],
)
def test_the_official_sample_receipts_are_read(kind, notified):
    parsed = receipt_parse(sample(kind))
    assert (parsed.kind, parsed.sdi_id, parsed.filename) == (kind, "111", "IT01234567890_11111.xml")
    assert (parsed.notified_at is not None) == notified
    if kind == "NS":
        assert parsed.errors == [{"code": "00100", "text": "Certificato di firma scaduto", "hint": ""}]
    if kind == "NE":
        assert parsed.outcome == "EC01" and parsed.description == "Notifica di esempio"


def test_a_b2b_rejection_of_the_agenzia_carries_its_hint():
    parsed = receipt_parse(
        ade_receipt_xml(
            "NS",
            "IT01234567890_00001.xml",
            errors=[("00305", "1.4.1.1.2 <IdCodice> non valido", "Verificare il CessionarioCommittente")],
        )
    )
    assert parsed.kind == "NS" and parsed.errors[0]["hint"] == "Verificare il CessionarioCommittente"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<RicevutaConsegna><NomeFile>x", "not well-formed XML"),
        (b"", "empty"),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<r xmlns="http://www.fatturapa.gov.it/sdi/messaggi/v1.0">&x;</r>',
            "DOCTYPE",
        ),
        (b'<p:FatturaElettronica xmlns:p="urn:x"/>', r"an invoice \(FatturaPA\)"),
        (
            b'<t:MetadatiInvioFile xmlns:t="http://www.fatturapa.gov.it/sdi/messaggi/v1.0"/>',
            "not a receipt for a file you sent",
        ),
        (b"<html><body>hello</body></html>", "root element is html"),
        # The official RC without its MessageId: the schema says what is wrong.
        (sample("RC").replace(b"<MessageId>123456</MessageId>", b""), "does not follow the SdI schema"),
        (b"<r>" + b"x" * (1024 * 1024) + b"</r>", "larger than"),
    ],
)
def test_what_is_not_a_receipt_is_refused_with_the_reason(content, message):
    with pytest.raises(ValidationError, match=message):
        receipt_parse(content)


@pytest.fixture
def invoice(tenant):
    return issued_invoice(ClientFactory(tenant=tenant, name="Comune di Prova"), "Managed services")


def _import(tenant, content, **kwargs):
    return sdi_receipt_import(tenant=tenant, content=content, source="api", **kwargs)


def test_a_delivery_receipt_delivers_the_file_and_is_kept_once(tenant, invoice):
    file = einvoice_for(invoice, state=S.SENT)
    content = receipt_xml("RC", file.filename, "4242")
    receipt = _import(tenant, content, filename="IT01234567890_00001_RC_001.xml")
    file.refresh_from_db()
    assert (file.state, file.sdi_id, file.state_at is not None) == (S.DELIVERED, "4242", True)
    assert (receipt.kind, receipt.state_before, receipt.state_after) == ("RC", S.SENT, S.DELIVERED)
    assert receipt.file.read() == content and len(receipt.sha256) == 64
    before = file.state_at
    with pytest.raises(DuplicateReceipt, match="already imported"):
        _import(tenant, content)
    file.refresh_from_db()
    with scope_of(tenant.pk):
        assert SdiReceipt.objects.count() == 1
    assert file.state_at == before


def test_a_rejection_records_its_codes_and_a_later_delivery_contradicts_it(tenant, invoice):
    file = einvoice_for(invoice)
    _import(
        tenant,
        receipt_xml(
            "NS", file.filename, "7", errors=[("00305", "IdCodice non valido"), ("00404", "File duplicato")]
        ),
    )
    file.refresh_from_db()
    assert file.state == S.REJECTED
    assert file.errors == [
        {"code": "00305", "text": "IdCodice non valido", "hint": ""},
        {"code": "00404", "text": "File duplicato", "hint": ""},
    ]
    with pytest.raises(ValidationError, match="does not fit"):
        _import(tenant, receipt_xml("RC", file.filename, "7"))
    file.refresh_from_db()
    assert file.state == S.REJECTED
    with scope_of(tenant.pk):
        assert SdiReceipt.objects.count() == 1


def test_a_public_administration_accepts_refuses_or_lets_the_deadline_pass(tenant, invoice, client):
    accepted, refused, silent = (
        einvoice_for(issued_invoice(invoice.client), p, S.SENT) for p in ("0000A", "0000B", "0000C")
    )
    for file in (accepted, refused, silent):
        _import(
            tenant,
            receipt_xml(
                "RC",
                file.filename,
                file.progressive[-1].replace("A", "1").replace("B", "2").replace("C", "3"),
            ),
        )
    _import(tenant, receipt_xml("NE", accepted.filename, "1"))
    _import(tenant, receipt_xml("NE", refused.filename, "2", outcome="EC02"))
    _import(tenant, receipt_xml("DT", silent.filename, "3"))
    for file in (accepted, refused, silent):
        file.refresh_from_db()
    assert (accepted.state, refused.state, silent.state) == (S.ACCEPTED, S.REFUSED, S.DEADLINE)
    assert refused.errors == [{"code": "EC02", "text": "Notifica di esempio", "hint": ""}]


def test_a_receipt_arriving_after_a_later_one_is_kept_without_moving_back(tenant, invoice):
    file = einvoice_for(invoice, state=S.SENT)
    _import(tenant, receipt_xml("NE", file.filename, "5"))
    late = _import(tenant, receipt_xml("RC", file.filename, "5"))
    file.refresh_from_db()
    assert file.state == S.ACCEPTED and (late.state_before, late.state_after) == (S.ACCEPTED, S.ACCEPTED)


@pytest.mark.parametrize("kind", ["MC", "AT"])
def test_a_file_the_sdi_could_not_deliver_is_in_the_clients_area(tenant, invoice, kind):
    file = einvoice_for(invoice, state=S.SENT)
    _import(tenant, receipt_xml(kind, file.filename))
    file.refresh_from_db()
    assert file.state == S.NOT_DELIVERED


def test_unknown_or_another_tenants_file_is_refused_and_nothing_changes(tenant, other_tenant, invoice):
    theirs = einvoice_for(issued_invoice(ClientFactory(tenant=other_tenant)), "00009", S.SENT)
    for filename in ("IT01234567890_ZZZZZ.xml", theirs.filename):
        with pytest.raises(ValidationError, match="No e-invoice of yours is named"):
            _import(tenant, receipt_xml("RC", filename))
    with unscoped():
        assert not SdiReceipt.unscoped.exists()
        assert EInvoice.unscoped.get(pk=theirs.pk).state == S.SENT


def test_a_receipt_for_another_sdi_file_of_the_same_name_is_refused(tenant, invoice):
    file = einvoice_for(invoice, state=S.SENT, sdi_id="100")
    with pytest.raises(ValidationError, match="SdI file 200"):
        _import(tenant, receipt_xml("RC", file.filename, "200"))


def test_files_are_marked_sent_one_or_many_and_each_refusal_says_why(tenant, other_tenant, invoice):
    ready = einvoice_for(invoice, "00001")
    other = einvoice_for(issued_invoice(invoice.client), "00002")
    sent = einvoice_for(issued_invoice(invoice.client), "00003", S.SENT)
    old = einvoice_for(issued_invoice(invoice.client), "00004", superseded=True)
    theirs = einvoice_for(issued_invoice(ClientFactory(tenant=other_tenant)), "00005")
    result = einvoices_mark_sent(tenant=tenant, ids=[ready.pk, other.pk, sent.pk, old.pk, theirs.pk])
    assert {row.pk for row in result.sent} == {ready.pk, other.pk}
    assert result.refused == [
        (sent.filename, "It is sent already."),
        (old.filename, "A newer file replaced it."),
        (str(theirs.pk), "No such e-invoice."),
    ]
    with unscoped():
        assert EInvoice.unscoped.get(pk=theirs.pk).state == S.READY


def test_a_rejected_file_is_corrected_and_sent_again_with_a_new_progressive(tenant):
    from billing.einvoice.sdi import einvoice_resend
    from billing.models import Invoice
    from tests.billing.italy import italian_buyer, italian_seller

    italian_seller(tenant)
    client = italian_buyer(ClientFactory(tenant=tenant, name="Rossi"), sdi_code="XXXXXXX")
    invoice = issued_invoice(client, "Managed services")
    with scope_of(tenant.pk):
        first = EInvoice.objects.get(invoice=invoice)
    assert first.state == S.READY
    with pytest.raises(ValidationError, match="only a rejected or refused file is sent again"):
        einvoice_resend(invoice=invoice)
    _import(
        tenant,
        receipt_xml("NS", first.filename, "77", errors=[("00311", "1.1.4 <CodiceDestinatario> non valido")]),
    )
    client.sdi_code = "ABC1234"  # the correction
    client.save()

    second = einvoice_resend(invoice=invoice)

    first.refresh_from_db()
    invoice.refresh_from_db()
    assert (first.superseded, first.state, first.errors[0]["code"]) == (True, S.REJECTED, "00311")
    assert (second.superseded, second.state, second.progressive) == (False, S.READY, "00002")
    assert second.filename != first.filename
    assert b"<CodiceDestinatario>ABC1234</CodiceDestinatario>" in second.xml.read()
    with scope_of(tenant.pk):
        assert Invoice.objects.filter(client=client).count() == 1  # the same invoice, its number kept
    with pytest.raises(ValidationError, match="only a rejected or refused file is sent again"):
        einvoice_resend(invoice=invoice)  # the new file waits to be sent
