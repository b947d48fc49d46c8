"""The accountant's export: a period's documents in Xero's, QuickBooks Online's and a journal's
layout, each exported once per format, every document it cannot export listed with its reason."""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import ValidationError
from djmoney.money import Money

from billing.accounting import QBO_CREDIT_MEMO_HEADER, QBO_INVOICE_HEADER, XERO_BANK_HEADER, XERO_SALES_HEADER
from billing.models import ExportedItem, Invoice, InvoiceLine, LineKind, TaxRate
from billing.services import LineDraft, credit_note_create, invoice_draft_create, invoice_issue, invoice_pay
from billing.services.exports import account_mappings_save, export_batch_create, mapping_rows
from msp.scoping import scope_of
from tests.billing.italy import italian_buyer, italian_seller
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

EUR = "EUR"
DAY = datetime.date(2026, 11, 30)
NOVEMBER = {"period_start": datetime.date(2026, 11, 1), "period_end": datetime.date(2026, 11, 30)}
XERO_TAX = {"22": "22% (VAT on Income)", "N4": "Tax Exempt (0%)", "N2.1": "Reverse charge (0%)"}
XERO_RATES = {
    "22% (VAT on Income)": Decimal("22"),
    "Tax Exempt (0%)": Decimal("0"),
    "Reverse charge (0%)": Decimal("0"),
}


def eur(amount: str) -> Money:
    return Money(Decimal(amount), EUR)


def issue(client, lines: list[tuple[str, str, str, str, str]]) -> Invoice:
    """An invoice issued on DAY; each line (kind, quantity, unit price, VAT code, nature) at the
    catalogue rate of its code (the tax snapshot set on the lines as helper "fiscal" will)."""
    rates = {"22": Decimal("22"), "N4": Decimal("0"), "N2.1": Decimal("0")}
    drafts = [
        LineDraft(
            kind=kind,
            description=f"{kind} line",
            quantity=Decimal(quantity),
            unit_price=eur(price),
            tax_rate=rates[code],
        )
        for kind, quantity, price, code, _nature in lines
    ]
    invoice = invoice_draft_create(client=client, lines=drafts)
    with scope_of(client.tenant_id):
        for row, (_kind, _q, _p, code, nature) in zip(invoice.lines.order_by("position"), lines, strict=True):
            InvoiceLine.objects.filter(pk=row.pk).update(tax_code=code, tax_nature=nature)
    return invoice_issue(invoice=invoice, on=DAY)


FULL_MAPPINGS = [
    *[
        {"kind": "sales", "key": kind, "account": f"40{i}", "qbo_name": f"Service {kind}"}
        for i, kind in enumerate(LineKind.values)
    ],
    {"kind": "receivables", "key": "", "account": "1100"},
    {"kind": "bank", "key": "bank_transfer", "account": "1200 Bank"},
    {"kind": "vat", "key": "22", "account": "2200", "xero_tax_type": XERO_TAX["22"], "qbo_name": "22% IVA"},
    {"kind": "vat", "key": "N4", "account": "2201", "xero_tax_type": XERO_TAX["N4"], "qbo_name": "Esente"},
    {
        "kind": "vat",
        "key": "N2.1",
        "account": "2202",
        "xero_tax_type": XERO_TAX["N2.1"],
        "qbo_name": "Reverse",
    },
]


@pytest.fixture
def month(tenant):
    """November: an Italian client's invoice (22 %, labour, an N4 exempt line), a German client's
    reverse-charge invoice part paid, a credit note for the first, and a German client without
    a VAT number whose reverse-charge invoice cannot be exported."""
    tenant.tax_rate = Decimal("22.00")
    italian_seller(tenant)  # issuing between Italians makes the FatturaPA file: full identities
    with scope_of(tenant.pk):
        TaxRate.objects.create(tenant=tenant, name="IVA 22%", code="22", rate=Decimal("22"))
        TaxRate.objects.create(tenant=tenant, name="Esente art. 10", code="N4", rate=0, nature="N4")
    acme = italian_buyer(ClientFactory(tenant=tenant, name="Acme", currency=EUR))
    globex = ClientFactory(
        tenant=tenant, name="Globex, GmbH", currency=EUR, country="DE", vat_number="DE136695976"
    )
    initech = ClientFactory(tenant=tenant, name="Initech", currency=EUR, country="DE", vat_number="")
    first = issue(
        acme,
        [
            ("recurring_fee", "2", "350.00", "22", ""),
            ("labour", "1.33", "85.00", "22", ""),
            ("service", "1", "99.99", "N4", "N4"),
        ],
    )
    second = issue(globex, [("recurring_fee", "10", "60.00", "N2.1", "N2.1")])
    third = issue(initech, [("labour", "3", "85.00", "N2.1", "N2.1")])
    note = invoice_issue(invoice=credit_note_create(invoice=first, reason="Wrong month"), on=DAY)
    with scope_of(tenant.pk):
        for line in InvoiceLine.objects.filter(invoice=note):
            original = InvoiceLine.objects.get(invoice=first, position=line.position)
            InvoiceLine.objects.filter(pk=line.pk).update(
                tax_code=original.tax_code, tax_nature=original.tax_nature
            )
    payment = invoice_pay(
        invoice=second, amount=eur("200.00"), paid_at=DAY, method="bank_transfer", reference="CRO 42"
    )
    account_mappings_save(tenant=tenant, rows=FULL_MAPPINGS)
    return {"first": first, "second": second, "third": third, "note": note, "payment": payment}


def files_of(batch) -> dict[str, str]:
    content = batch.file.open("rb").read()
    if batch.filename.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}
    return {batch.filename: content.decode("utf-8")}


def rows_of(text: str) -> tuple[list[str], list[dict]]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    return header, [dict(zip(header, row, strict=True)) for row in reader]


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def xero_import(text: str) -> dict[str, dict]:
    """What Xero makes of its sales invoice file: one document per *InvoiceNumber, a credit
    note when its total is negative, each line's amount and tax from its quantity, unit amount
    and tax type (tax exclusive, rounded per line)."""
    header, rows = rows_of(text)
    assert header == XERO_SALES_HEADER
    documents: dict[str, dict] = {}
    for row in rows:
        number = row["*InvoiceNumber"]
        document = documents.setdefault(
            number,
            {
                "contact": row["*ContactName"],
                "date": row["*InvoiceDate"],
                "subtotal": Decimal(0),
                "tax": Decimal(0),
            },
        )
        assert document["contact"] == row["*ContactName"] and document["date"] == row["*InvoiceDate"]
        for required in (
            "*ContactName",
            "*InvoiceDate",
            "*DueDate",
            "*Description",
            "*Quantity",
            "*UnitAmount",
            "*AccountCode",
            "*TaxType",
        ):
            assert row[required], f"{number}: {required} empty"
        amount = cents(Decimal(row["*Quantity"]) * Decimal(row["*UnitAmount"]))
        document["subtotal"] += amount
        document["tax"] += cents(amount * XERO_RATES[row["*TaxType"]] / 100)
    for document in documents.values():
        document["total"] = document["subtotal"] + document["tax"]
        document["type"] = "ACCRECCREDIT" if document["total"] < 0 else "ACCREC"
    return documents


def test_a_periods_xero_file_imports_back_every_invoice_and_credit_note_to_the_cent(tenant, month):
    batch = export_batch_create(tenant=tenant, format="xero", **NOVEMBER)
    files = files_of(batch)
    documents = xero_import(files["xero-sales-invoices.csv"])

    first, second, note = month["first"], month["second"], month["note"]
    assert set(documents) == {first.number, second.number, note.number}
    for invoice in (first, second):
        assert documents[invoice.number]["type"] == "ACCREC"
        assert documents[invoice.number]["total"] == invoice.total.amount
        assert documents[invoice.number]["tax"] == invoice.tax.amount
    assert documents[note.number]["type"] == "ACCRECCREDIT"
    assert documents[note.number]["total"] == -note.total.amount
    assert documents[first.number]["date"] == "30/11/2026"
    assert documents[second.number]["contact"] == "Globex, GmbH"
    assert (batch.invoice_count, batch.credit_note_count, batch.payment_count) == (2, 1, 1)

    # The payment, on Xero's bank statement layout for the account it was paid into.
    header, rows = rows_of(files["xero-bank-1200-bank.csv"])
    assert header == XERO_BANK_HEADER
    assert rows == [
        {
            "*Date": "30/11/2026",
            "*Amount": "200.00",
            "Payee": "Globex, GmbH",
            "Description": f"Payment of {second.number} by Globex, GmbH (CRO 42)",
            "Reference": second.number,
            "Cheque Number": "",
        }
    ]
    # Initech's reverse-charge invoice needs its VAT number: listed, not dropped, not exported.
    assert [(p["code"], p["document"], p["line"]) for p in batch.problems] == [
        ("vat_number", month["third"].number, 1)
    ]
    assert "Initech has no VAT number" in batch.problems[0]["reason"]
    assert not ExportedItem.unscoped.filter(document_id=month["third"].pk, kind="invoice").exists()


def test_a_second_export_of_the_period_exports_nothing_new_unless_asked_again(tenant, month):
    first = export_batch_create(tenant=tenant, format="xero", **NOVEMBER)
    second = export_batch_create(tenant=tenant, format="xero", **NOVEMBER)
    assert second.document_count == 0 and not second.file
    assert second.skipped_count == first.document_count == 4
    assert [p["code"] for p in second.problems] == ["vat_number"]  # still listed: never exported

    # Another format has its own record; asking again exports the period once more.
    assert export_batch_create(tenant=tenant, format="journal", **NOVEMBER).document_count == 4
    again = export_batch_create(tenant=tenant, format="xero", again=True, **NOVEMBER)
    assert again.document_count == 4 and again.again
    assert set(xero_import(files_of(again)["xero-sales-invoices.csv"])) == {
        month["first"].number,
        month["second"].number,
        month["note"].number,
    }
    assert ExportedItem.unscoped.filter(batch=again, again=True).count() == 4
    # A document fixed later (Initech's VAT number added) is exported by the next batch only.
    with scope_of(tenant.pk):
        month["third"].client.__class__.objects.filter(pk=month["third"].client_id).update(
            vat_number="DE136695976"
        )
    later = export_batch_create(tenant=tenant, format="xero", **NOVEMBER)
    assert (later.invoice_count, later.problems) == (1, [])


def test_the_journal_balances_per_document_and_payment(tenant, month):
    batch = export_batch_create(tenant=tenant, format="journal", **NOVEMBER)
    assert batch.filename == "journal-2026-11-01-2026-11-30.csv"
    header, rows = rows_of(files_of(batch)[batch.filename])
    assert header == [
        "entry",
        "date",
        "document",
        "type",
        "contact",
        "account",
        "description",
        "debit",
        "credit",
        "vat_code",
        "currency",
    ]
    entries = defaultdict(list)
    for row in rows:
        entries[row["entry"]].append(row)
        assert row["account"], row
        assert bool(row["debit"]) != bool(row["credit"]), row
    assert len(entries) == 4  # two invoices, the credit note, the payment
    for rows_ in entries.values():
        debit = sum(Decimal(r["debit"] or 0) for r in rows_)
        credit = sum(Decimal(r["credit"] or 0) for r in rows_)
        assert debit == credit, rows_
    by_document = {(r["document"], r["type"]): r for r in rows if r["account"] == "1100"}
    first, note = month["first"], month["note"]
    assert Decimal(by_document[(first.number, "invoice")]["debit"]) == first.total.amount
    assert Decimal(by_document[(note.number, "credit_note")]["credit"]) == note.total.amount
    vat = [r for r in rows if r["document"] == first.number and r["account"] == "2200"]
    assert [(r["vat_code"], Decimal(r["credit"])) for r in vat] == [("22", first.tax.amount)]
    payment = [r for r in rows if r["type"] == "payment"]
    assert [(r["account"], r["debit"], r["credit"]) for r in payment] == [
        ("1200 Bank", "200.00", ""),
        ("1100", "", "200.00"),
    ]


def test_quickbooks_gets_invoices_credit_memos_and_the_bank_upload(tenant, month):
    batch = export_batch_create(tenant=tenant, format="qbo", **NOVEMBER)
    files = files_of(batch)
    assert sorted(files) == ["qbo-bank-1200-bank.csv", "qbo-credit-memos.csv", "qbo-invoices.csv"]
    header, rows = rows_of(files["qbo-invoices.csv"])
    assert header == QBO_INVOICE_HEADER
    totals = defaultdict(Decimal)
    for row in rows:
        totals[row["InvoiceNo"]] += Decimal(row["ItemAmount"]) + Decimal(row["ItemTaxAmount"])
        assert row["Item(Product/Service)"].startswith("Service ") and row["ItemTaxCode"]
    assert totals == {
        month["first"].number: month["first"].total.amount,
        month["second"].number: month["second"].total.amount,
    }
    header, memos = rows_of(files["qbo-credit-memos.csv"])
    assert header == QBO_CREDIT_MEMO_HEADER and "Terms" not in header
    assert (
        sum(Decimal(r["ItemAmount"]) + Decimal(r["ItemTaxAmount"]) for r in memos)
        == month["note"].total.amount
    )
    assert memos[0]["Memo"] == f"Corrects {month['first'].number}: Wrong month"
    assert rows_of(files["qbo-bank-1200-bank.csv"])[1] == [
        {
            "Date": "30/11/2026",
            "Description": f"Payment of {month['second'].number} by Globex, GmbH (CRO 42)",
            "Amount": "200.00",
        }
    ]


def test_a_missing_mapping_is_listed_per_line_and_the_document_waits_for_it(tenant, month):
    account_mappings_save(
        tenant=tenant, rows=[{"kind": "sales", "key": "labour", "account": "", "qbo_name": ""}]
    )
    batch = export_batch_create(tenant=tenant, format="xero", **NOVEMBER)
    first, note = month["first"], month["note"]
    listed = {(p["document"], p["line"], p["code"]) for p in batch.problems}
    assert listed == {
        (first.number, 2, "mapping"),
        (note.number, 2, "mapping"),
        (month["third"].number, 1, "mapping"),
        (month["third"].number, 1, "vat_number"),
    }
    assert "No account code for sales of Labour." in {p["reason"] for p in batch.problems}
    assert (batch.invoice_count, batch.credit_note_count, batch.payment_count) == (1, 0, 1)
    assert set(xero_import(files_of(batch)["xero-sales-invoices.csv"])) == {month["second"].number}

    # The bank of a payment method and the journal's receivables are needed too.
    account_mappings_save(
        tenant=tenant, rows=[{"kind": "bank", "key": "bank_transfer"}, {"kind": "receivables"}]
    )
    journal = export_batch_create(tenant=tenant, format="journal", **NOVEMBER)
    reasons = {p["reason"] for p in journal.problems}
    assert "No account code for payments by Bank transfer." in reasons
    assert "No account code for receivables." in reasons
    assert journal.document_count == 0 and not journal.file

    account_mappings_save(tenant=tenant, rows=FULL_MAPPINGS)
    fixed = export_batch_create(tenant=tenant, format="xero", **NOVEMBER)
    assert (fixed.invoice_count, fixed.credit_note_count, fixed.payment_count, fixed.skipped_count) == (
        1,
        1,
        0,
        2,
    )


def test_a_voided_invoice_once_exported_is_flagged(tenant, month):
    from billing.services import invoice_void

    extra = issue(month["first"].client, [("onsite", "1", "50.00", "22", "")])
    export_batch_create(tenant=tenant, format="journal", **NOVEMBER)
    invoice_void(invoice=extra, reason="Sent twice")
    batch = export_batch_create(tenant=tenant, format="journal", **NOVEMBER)
    assert [(p["code"], p["document"]) for p in batch.problems if p["code"] == "voided"] == [
        ("voided", extra.number)
    ]


def test_bad_periods_and_formats_are_refused(tenant, month):
    with pytest.raises(ValidationError, match="ends before it starts"):
        export_batch_create(
            tenant=tenant, format="xero", period_start=DAY, period_end=DAY - datetime.timedelta(days=1)
        )
    with pytest.raises(ValidationError, match="at most a year"):
        export_batch_create(
            tenant=tenant, format="xero", period_start=datetime.date(2025, 1, 1), period_end=DAY
        )
    with pytest.raises(ValidationError, match="Choose QuickBooks"):
        export_batch_create(tenant=tenant, format="sage", **NOVEMBER)


def test_the_mappings_list_every_kind_method_and_vat_code_and_refuse_nonsense(tenant, month):
    with scope_of(tenant.pk):
        rows = {(row.kind, row.key): row for row in mapping_rows(tenant=tenant)}
    assert {key for kind, key in rows if kind == "vat"} == {"22", "N4", "N2.1"}
    assert rows[("sales", "labour")].account == "402" and rows[("bank", "card")].account == ""
    assert len([1 for kind, _key in rows if kind == "sales"]) == len(LineKind.values)
    with pytest.raises(ValidationError, match="per line kind"):
        account_mappings_save(tenant=tenant, rows=[{"kind": "sales", "key": "nonsense", "account": "1"}])
    with pytest.raises(ValidationError, match="per payment method"):
        account_mappings_save(tenant=tenant, rows=[{"kind": "bank", "key": "bitcoin", "account": "1"}])
    # A field a kind does not use is not kept (the bank has no Xero tax type).
    account_mappings_save(
        tenant=tenant, rows=[{"kind": "bank", "key": "card", "account": "1300", "xero_tax_type": "x"}]
    )
    with scope_of(tenant.pk):
        card = next(row for row in mapping_rows(tenant=tenant) if row.kind == "bank" and row.key == "card")
    assert (card.account, card.xero_tax_type) == ("1300", "")


def test_two_exports_at_once_cannot_both_take_a_document(tenant, month, monkeypatch):
    """The second of two exports that both read "not yet exported" (the first had not committed)
    is refused by the unique first export of each document, and leaves no batch or file."""
    from billing.models import ExportBatch
    from billing.services import exports

    first = export_batch_create(tenant=tenant, format="qbo", **NOVEMBER)
    monkeypatch.setattr(exports, "_exported", lambda *args: set())
    with pytest.raises(ValidationError, match="Another export of these documents has just been made"):
        export_batch_create(tenant=tenant, format="qbo", **NOVEMBER)
    assert list(ExportBatch.unscoped.values_list("pk", flat=True)) == [first.pk]
    assert ExportedItem.unscoped.count() == first.document_count


def test_an_msp_in_the_united_states_gets_us_dates(tenant, month):
    tenant.country = "US"
    tenant.save()
    batch = export_batch_create(tenant=tenant, format="xero", **NOVEMBER)
    _header, rows = rows_of(files_of(batch)["xero-sales-invoices.csv"])
    assert {row["*InvoiceDate"] for row in rows} == {"11/30/2026"}
    # Without payments, Xero's file is still the ZIP the page describes.
    tenant.country = "IT"
    tenant.save()
    account_mappings_save(tenant=tenant, rows=[{"kind": "bank", "key": "bank_transfer"}])
    again = export_batch_create(tenant=tenant, format="xero", again=True, **NOVEMBER)
    assert again.filename.endswith(".zip") and list(files_of(again)) == ["xero-sales-invoices.csv"]
