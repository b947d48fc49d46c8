"""The hour ledger reads as a statement: ticket, technician's name and work note on each row,
in the reader's language, in the portal, on the contract page and in the API."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contracts.ledger import ledger_describe
from contracts.models import LedgerEntry
from contracts.selectors import ledger_rows
from msp.roles import Role
from msp.scoping import tenant_scope
from tests.timetracking.helpers import api_for, prepaid, ticket_on
from timetracking.services import time_entry_create, time_entry_delete, time_entry_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(tenant):
    return prepaid(client=_client(tenant), currency="EUR")


def _client(tenant):
    from tests.factories import ClientFactory

    return ClientFactory(tenant=tenant, name="Acme Dental", currency="EUR")


@pytest.fixture
def giulia(tenant, make_member):
    return make_member(tenant, Role.TECHNICIAN, username="grossi", first_name="Giulia", last_name="Rossi")


@pytest.fixture
def worked(contract, giulia):
    ticket = ticket_on(contract, subject="Printer jammed")
    entry = time_entry_create(ticket=ticket, technician=giulia.user, minutes=25, note="Replaced the fuser")
    return ticket, entry


def test_rows_name_ticket_technician_and_note(contract, worked):
    ticket, entry = worked
    with tenant_scope(contract.tenant):
        debit, credit = ledger_describe(ledger_rows(contract))
    assert debit.description == f"#{ticket.pk} Printer jammed · Giulia Rossi: Replaced the fuser"
    assert credit.description == "Hour block bought (Initial)"
    assert "grossi" not in debit.description and "Time entry" not in debit.description


def test_edits_and_deletes_read_as_given_back(contract, worked):
    ticket, entry = worked
    time_entry_update(entry=entry, minutes=30)
    time_entry_delete(entry=entry)
    with tenant_scope(contract.tenant):
        texts = [row.description for row in ledger_describe(ledger_rows(contract))]
    # newest first: the deletion's reversal, the re-draw, the edit's reversal, the first draw, the block
    assert texts[0] == f"Given back: time entry {entry.pk}, deleted"
    assert texts[1] == f"Time entry {entry.pk}, since deleted"
    assert texts[-1] == "Hour block bought (Initial)"


def test_a_page_of_rows_costs_one_query_for_its_sources(contract, giulia):
    ticket = ticket_on(contract, subject="Backups")
    for n in range(12):
        time_entry_create(ticket=ticket, technician=giulia.user, minutes=5, note=f"check {n}")
    with tenant_scope(contract.tenant), CaptureQueriesContext(connection) as ctx:
        rows = ledger_describe(ledger_rows(contract))
    assert len(rows) == 13 and len(ctx) == 2  # the rows (with their blocks), the time entries


def test_contract_page_in_english_and_italian(client, tenant, make_member, contract, worked):
    ticket, _entry = worked
    manager = make_member(tenant, Role.ACCOUNT_MANAGER)
    client.force_login(manager.user)
    body = client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()
    assert f"#{ticket.pk} Printer jammed" in body and "Giulia Rossi" in body and "Replaced the fuser" in body
    # The ledger describes its rows (the History panel below it names the entries it audits).
    ledger = body.split('data-testid="history"')[0]
    assert "Time entry #" not in ledger and "Hour block bought (Initial)" in ledger
    manager.user.language = "it"
    manager.user.save()
    body = client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()
    assert "Blocco di ore acquistato (Iniziale)" in body and "Giulia Rossi" in body
    assert "Descrizione" in body


def test_portal_statement_in_italian(client, tenant, make_member, contract, worked):
    ticket, entry = worked
    contact = make_member(tenant, Role.CLIENT, client=contract.client, language="it")
    client.force_login(contact.user)
    time_entry_update(entry=entry, minutes=40)
    body = client.get(reverse("portal:hours")).content.decode()
    assert f"#{ticket.pk} Printer jammed" in body and "Giulia Rossi" in body and "Replaced the fuser" in body
    assert "restituit" in body  # the edit's reversal, in Italian
    assert "Time entry" not in body and "Voce di tempo #" not in body


def test_api_rows_carry_the_description_in_the_readers_language(tenant, make_member, contract, worked):
    ticket, entry = worked
    manager = make_member(tenant, Role.ACCOUNT_MANAGER)
    http = api_for(manager)
    rows = http.get(f"/api/v1/contracts/{contract.pk}/ledger/").json()["results"]
    assert rows[0]["description"] == f"#{ticket.pk} Printer jammed · Giulia Rossi: Replaced the fuser"
    assert rows[0]["time_entry"] == entry.pk
    assert rows[1]["description"] == "Hour block bought (Initial)"
    rows = http.get(f"/api/v1/contracts/{contract.pk}/ledger/", HTTP_ACCEPT_LANGUAGE="it").json()["results"]
    assert rows[1]["description"] == "Blocco di ore acquistato (Iniziale)"
    assert LedgerEntry.unscoped.filter(contract=contract).count() == 2
