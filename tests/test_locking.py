"""A row deleted by a concurrent request between its read and its lock is a 404, never a 500
(msp.locking; issue 20: DELETE+DELETE of one time entry answered 500 in 7 of 10).

Every service that locks a row again goes through ``lock_row`` (the source check below), and
each one handed a row deleted meanwhile raises ``RowGone``, an ``Http404``. What the API and
the browser answer is shown here, on any database, by deleting the row at the moment the
request reads it the second time (the service's locked re-read). That deletion shares the
request's connection, so it rolls back with the refused request: the end state of real
concurrent requests is checked by the PostgreSQL races in tests/*/test_concurrency.py."""

import ast
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from django.db import connection
from django.http import Http404
from django.urls import reverse
from djmoney.money import Money

from contracts.choices import ContractKind
from msp.locking import RowGone
from msp.roles import Role
from msp.scoping import tenant_scope
from tests.factories import AssetFactory, ClientFactory, ContractFactory, OfferFactory, UserFactory
from tests.timetracking.helpers import api_for, balance, prepaid, ticket_on
from timetracking.models import TimeEntry
from timetracking.services import time_entry_create, time_entry_delete, time_entry_update

ROOT = Path(__file__).resolve().parents[1]
APPS = ["msp", "assets", "contracts", "sales", "tickets", "timetracking", "billing", "monitoring", "reports"]


def _locked_gets(path: Path) -> list[int]:
    """Lines calling ``.get(...)`` on a chain that contains ``select_for_update``."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
            if "select_for_update" in ast.unparse(node.func.value):
                lines.append(node.lineno)
    return lines


def test_every_locked_re_read_goes_through_lock_row():
    """``Model.objects.select_for_update().get(pk=row.pk)`` raises DoesNotExist (a 500) when a
    concurrent request deleted the row: ``msp.locking.lock_row`` makes it a 404."""
    found = [
        f"{path.relative_to(ROOT)}:{line}"
        for app in [*APPS, "portal"]
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
        for line in _locked_gets(path)
    ]
    assert not found, "use msp.locking.lock_row:\n" + "\n".join(found)


def test_row_gone_is_a_404():
    assert issubclass(RowGone, Http404)


# --- each service that locks a row again, handed one deleted meanwhile ---------------------


def _gone(row):
    """Delete the row behind the caller's back (as another request would); the copy stays."""
    type(row).unscoped.filter(pk=row.pk).delete()
    return row


@pytest.mark.django_db
def test_time_entry_services_on_an_entry_deleted_meanwhile_raise_row_gone():
    contract = prepaid(client=ClientFactory(currency="EUR"))
    entry = time_entry_create(ticket=ticket_on(contract), technician=UserFactory(), minutes=30)
    time_entry_delete(entry=entry)  # the first request
    with pytest.raises(RowGone):
        time_entry_delete(entry=entry)  # the second, holding the row it read before
    with pytest.raises(RowGone):
        time_entry_update(entry=entry, minutes=45)
    assert balance(contract) == 600  # given back once


@pytest.mark.django_db
def test_offer_services_on_an_offer_deleted_meanwhile_raise_row_gone():
    from sales.services import offer_accept, offer_decline, offer_delete, offer_send, offer_update

    offer = OfferFactory(client__currency="EUR")
    option = offer.options.model.unscoped.filter(offer=offer).first()
    with tenant_scope(offer.tenant):
        offer = type(offer).objects.get(pk=offer.pk)
        _gone(offer)
        for call in (
            lambda: offer_delete(offer=offer),
            lambda: offer_send(offer=offer, by=None, contacts=[]),
            lambda: offer_accept(offer=offer, option=option, by=None),
            lambda: offer_decline(offer=offer, by=None),
            lambda: offer_update(offer=offer, by=None, quantities={"server": 1}),
        ):
            with pytest.raises(RowGone):
                call()


@pytest.mark.django_db
def test_invoice_services_on_a_draft_deleted_meanwhile_raise_row_gone():
    from billing.models import LineKind
    from billing.services import LineDraft, invoice_draft_create, invoice_issue, invoice_pay, invoice_void
    from billing.services.invoices import invoice_draft_delete

    client = ClientFactory(currency="EUR")
    line = LineDraft(kind=LineKind.ADJUSTMENT, description="Work", unit_price=Money("10.00", "EUR"))
    draft = _gone(invoice_draft_create(client=client, lines=[line]))
    for call in (
        lambda: invoice_issue(invoice=draft),
        lambda: invoice_draft_delete(invoice=draft),
        lambda: invoice_void(invoice=draft, reason="wrong"),
        lambda: invoice_pay(
            invoice=draft, amount=Money("1.00", "EUR"), paid_at=date(2026, 1, 1), method="bank"
        ),
    ):
        with pytest.raises(RowGone):
            call()


@pytest.mark.django_db
def test_buying_a_block_on_a_contract_deleted_meanwhile_raises_row_gone():
    from contracts.services.hours import block_purchase

    contract = _gone(ContractFactory(kind=ContractKind.PREPAID_HOURS, client__currency="EUR"))
    with pytest.raises(RowGone):
        block_purchase(contract=contract, minutes=600, price=Money("900.00", "EUR"))


@pytest.mark.django_db
def test_linking_a_machine_to_an_asset_deleted_meanwhile_raises_row_gone():
    from monitoring.messages import Message
    from monitoring.models import UnknownSource
    from monitoring.services.ingest import ingest
    from monitoring.services.unknown import unknown_link

    asset = AssetFactory(hostname="", serial="")
    tenant = asset.tenant
    ingest(tenant=tenant, messages=[Message(type="alert", hostname="pc-42", check="cpu", severity="warning")])
    unknown = UnknownSource.unscoped.get(tenant=tenant, hostname="pc-42")
    _gone(asset)
    with pytest.raises(RowGone):
        unknown_link(unknown=unknown, asset=asset)
    assert UnknownSource.unscoped.get(pk=unknown.pk).state == "pending"  # nothing changed


# --- what the API and the browser answer ------------------------------------------------------


@contextmanager
def deleted_when_read_again(row):
    """Delete ``row`` (through its service, as a concurrent request does) the moment the request
    reads its table a second time: after the view loaded it, as the service locks it again."""
    table = f'"{row._meta.db_table}"'
    reads = 0

    def wrapper(execute, sql, params, many, context):
        nonlocal reads
        if sql.lstrip().upper().startswith("SELECT") and f"FROM {table}" in sql:
            reads += 1
            if reads == 2:
                time_entry_delete(entry=TimeEntry.unscoped.get(pk=row.pk))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield
    assert reads >= 2, "the request never read the entry again"


@pytest.fixture
def entry_of(tenant, make_member):
    member = make_member(tenant, Role.TECHNICIAN)
    contract = prepaid(client=ClientFactory(tenant=tenant, currency="EUR"))
    entry = time_entry_create(ticket=ticket_on(contract), technician=member.user, minutes=30)
    return member, contract, entry


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["delete", "patch"])
def test_the_api_answers_404_json_when_the_entry_goes_under_its_feet(entry_of, method):
    member, contract, entry = entry_of
    http = api_for(member)
    url = f"/api/v1/time-entries/{entry.pk}/"
    with deleted_when_read_again(entry):
        response = getattr(http, method)(url, {"minutes": 45}, format="json")
    assert response.status_code == 404, response.content
    assert "deleted" in response.json()["detail"]


@pytest.mark.django_db
def test_the_browser_answers_404_when_the_entry_goes_under_its_feet(client, entry_of):
    member, contract, entry = entry_of
    client.force_login(member.user)
    with deleted_when_read_again(entry):
        response = client.post(
            reverse("timesheet:entry-delete", args=[entry.pk]), {"panel": "1"}, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 404
    entry = time_entry_create(ticket=entry.ticket, technician=member.user, minutes=30)
    with deleted_when_read_again(entry):
        response = client.post(
            reverse("timesheet:entry-update", args=[entry.pk]),
            {"ticket": entry.ticket_id, "minutes": 45, "billable": "on"},
        )
    assert response.status_code == 404
