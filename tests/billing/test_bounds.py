"""Amounts and batches have limits (issue 20, findings 3 and 4): an invoice whose line or
total cannot fit a money column (DECIMAL(14, 2)) is a 400 that writes nothing, not
PostgreSQL's "numeric field overflow"; a hand-typed invoice has at most 500 lines."""

from decimal import Decimal

import pytest

from billing.api.serializers import MAX_LINES
from billing.models import Invoice
from tests.factories import ClientFactory
from tests.msp.test_api import api_for

pytestmark = pytest.mark.django_db
URL = "/api/v1/invoices/"
BIGGEST = "9999999999.99"  # the largest quantity; a unit price may have 12 digits before the point


@pytest.fixture
def acme(tenant):
    tenant.tax_rate = Decimal("22.00")
    tenant.save()
    return ClientFactory(tenant=tenant, name="Acme Dental", currency="EUR")


@pytest.mark.parametrize(
    "lines",
    [
        [{"description": "Huge", "quantity": BIGGEST, "unit_price": "999999999999.99"}],
        [{"description": "Just", "quantity": "1", "unit_price": "999999999999.99"}],  # its tax tips it
        [
            {"description": f"Half {n}", "quantity": "1", "unit_price": "600000000000.00", "tax_rate": "0"}
            for n in (1, 2)
        ],
    ],
    ids=["line", "line-with-tax", "total"],
)
def test_an_amount_too_large_to_store_is_a_400(acme, owner, lines):
    response = api_for(owner).post(URL, {"client": acme.pk, "lines": lines}, format="json")
    assert response.status_code == 400, response.content
    assert "more than an amount can hold" in str(response.json())
    assert not Invoice.unscoped.exists()


def test_the_largest_amount_that_fits_is_accepted(acme, owner):
    lines = [{"description": "Big", "unit_price": "999999999999.99", "tax_rate": "0"}]
    response = api_for(owner).post(URL, {"client": acme.pk, "lines": lines}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["total"] == "999999999999.99"


def test_an_invoice_has_at_most_500_lines(acme, owner):
    lines = [{"description": f"Line {n}", "unit_price": "1.00"} for n in range(MAX_LINES + 1)]
    response = api_for(owner).post(URL, {"client": acme.pk, "lines": lines}, format="json")
    assert response.status_code == 400
    assert "lines" in response.json()
    assert not Invoice.unscoped.exists()
