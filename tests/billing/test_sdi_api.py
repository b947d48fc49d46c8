"""`einvoices/receipts/` and `einvoices/sent/`: an intermediary's integration sends receipts."""

import pytest

from billing.models import EInvoiceState, SdiReceipt
from msp.roles import Role
from msp.scoping import unscoped
from tests.billing.sdi_files import ade_receipt_xml, einvoice_for, receipt_xml
from tests.factories import ClientFactory, issued_invoice
from tests.msp.test_api import api_for

pytestmark = pytest.mark.django_db
S = EInvoiceState
URL = "/api/v1/einvoices/receipts/"


@pytest.fixture
def invoice(tenant):
    return issued_invoice(ClientFactory(tenant=tenant, name="Rossi Srl"))


def test_receipts_are_sent_as_a_file_or_raw_xml_and_read_back(owner, invoice):
    api = api_for(owner)
    file = einvoice_for(invoice, "00001", S.SENT)
    sent = api.post(
        URL,
        {"file": _file("IT01234567890_00001_RC_001.xml", receipt_xml("RC", file.filename, "31"))},
        format="multipart",
    )
    assert sent.status_code == 201, sent.json()
    body = sent.json()
    assert (body["kind"], body["sdi_id"], body["einvoice"], body["invoice"], body["state_after"]) == (
        "RC", "31", file.pk, invoice.pk, "delivered",
    )  # fmt: skip
    second = einvoice_for(issued_invoice(invoice.client), "00002", S.SENT)
    raw = api.post(
        f"{URL}?filename=ns.xml",
        ade_receipt_xml(
            "NS", second.filename, errors=[("00305", "IdCodice non valido", "Verificare il cliente")]
        ),
        content_type="application/xml",
    )
    assert raw.status_code == 201, raw.json()
    assert raw.json()["errors"] == [
        {"code": "00305", "text": "IdCodice non valido", "hint": "Verificare il cliente"}
    ]
    listed = api.get(URL).json()
    assert [row["filename"] for row in listed["results"]] == ["ns.xml", "IT01234567890_00001_RC_001.xml"]
    assert api.get(f"{URL}{body['id']}/").json()["sha256"] == body["sha256"]


def test_bad_receipts_are_refused_with_the_reason_and_nothing_changes(owner, other_tenant, invoice):
    api = api_for(owner)
    file = einvoice_for(invoice, "00001", S.SENT)
    theirs = einvoice_for(issued_invoice(ClientFactory(tenant=other_tenant)), "00009", S.SENT)
    malformed = api.post(URL, b"<NotificaScarto>", content_type="application/xml")
    assert malformed.status_code == 400 and "not well-formed XML" in malformed.json()["file"][0]
    for name in ("IT01234567890_XXXXX.xml", theirs.filename):
        unknown = api.post(URL, receipt_xml("RC", name), content_type="text/xml")
        assert unknown.status_code == 400
        assert unknown.json()["file"] == [
            f"No e-invoice of yours is named {name}: the receipt was not imported."
        ]
    nothing = api.post(URL, {"other": "x"}, format="multipart")
    assert nothing.status_code == 400 and "file" in nothing.json()
    first = api.post(URL, receipt_xml("RC", file.filename), content_type="application/xml")
    again = api.post(URL, receipt_xml("RC", file.filename), content_type="application/xml")
    assert again.status_code == 409 and again.json()["receipt"] == first.json()["id"]
    with unscoped():
        assert SdiReceipt.unscoped.count() == 1
        assert type(theirs).unscoped.get(pk=theirs.pk).state == S.SENT
    their_receipt_api = api_for(_owner_of(other_tenant))
    assert their_receipt_api.get(f"{URL}{first.json()['id']}/").status_code == 404


def test_files_are_marked_sent_by_id(owner, invoice, make_member, tenant):
    file = einvoice_for(invoice, "00001")
    api = api_for(owner)
    done = api.post("/api/v1/einvoices/sent/", {"ids": [file.pk, 10**9]}, format="json")
    assert done.status_code == 200
    assert [row["state"] for row in done.json()["sent"]] == ["sent"]
    assert done.json()["refused"] == [{"file": str(10**9), "reason": "No such e-invoice."}]
    again = api.post("/api/v1/einvoices/sent/", {"ids": [file.pk]}, format="json")
    assert again.status_code == 200 and again.json()["sent"] == []
    assert again.json()["refused"][0]["reason"] == "It is sent already."
    technician = api_for(make_member(tenant, Role.TECHNICIAN))
    assert technician.post("/api/v1/einvoices/sent/", {"ids": [file.pk]}, format="json").status_code == 403
    assert technician.get(URL).status_code == 403


def test_only_a_rejected_file_is_sent_again(owner, invoice):
    einvoice_for(invoice, "00001", S.DELIVERED)
    answer = api_for(owner).post(f"/api/v1/invoices/{invoice.pk}/einvoice/resend/")
    assert answer.status_code == 400
    assert "only a rejected or refused file is sent again" in str(answer.json())


def _file(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="application/xml")


def _owner_of(tenant):
    from tests.factories import MembershipFactory, UserFactory

    return MembershipFactory(tenant=tenant, role=Role.OWNER, user=UserFactory())
