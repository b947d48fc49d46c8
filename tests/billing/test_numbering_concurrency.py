"""On PostgreSQL: issuers racing for numbers from separate connections get 1..N, no gap,
no repeat; an issue that rolls back gives its number back."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connections, transaction
from djmoney.money import Money

from billing.models import Invoice, InvoiceSequence, LineKind
from billing.services import LineDraft, invoice_draft_create, invoice_issue
from tests.factories import ClientFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

DAY = datetime.date(2026, 11, 30)


def _draft(client):
    line = LineDraft(kind=LineKind.ADJUSTMENT, description="Work", unit_price=Money(Decimal("10.00"), "EUR"))
    return invoice_draft_create(client=client, lines=[line])


def test_concurrent_issuing_numbers_every_invoice_once_without_gaps(tenant):
    client = ClientFactory(tenant=tenant, currency="EUR")
    drafts = [_draft(client) for _ in range(24)]
    errors, start = [], threading.Barrier(len(drafts))

    def issue(draft):
        try:
            start.wait()
            invoice_issue(invoice=draft, on=DAY)  # the first issuers also race to create the series row
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue, args=(draft,)) for draft in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    numbers = sorted(Invoice.unscoped.filter(tenant=tenant).values_list("number", flat=True))
    assert numbers == [f"INV-2026-{n:04d}" for n in range(1, 25)]
    assert InvoiceSequence.unscoped.get(tenant=tenant).last_number == 24


def test_a_rolled_back_issue_gives_its_number_back(tenant):
    client = ClientFactory(tenant=tenant, currency="EUR")
    first, second = _draft(client), _draft(client)
    with pytest.raises(RuntimeError), transaction.atomic():
        invoice_issue(invoice=first, on=DAY)
        raise RuntimeError("the worker died before commit")
    assert invoice_issue(invoice=second, on=DAY).number == "INV-2026-0001"
    assert invoice_issue(invoice=first, on=DAY).number == "INV-2026-0002"
