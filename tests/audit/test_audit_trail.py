"""The audit trail (issue 20): every change to money or hours says who, when, from where,
before and after; it is shown on the contract and invoice pages and in the API, never to
another tenant, and cannot be changed or removed."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from djmoney.money import Money

from audit.models import AppendOnly, AuditEntry
from billing.models import Invoice, InvoiceStatus
from billing.services import invoice_issue
from billing.services.run import block_invoice
from contracts.models import Contract, HourBlock
from msp.roles import Role
from msp.scoping import tenant_scope, unscoped
from tests.factories import ClientFactory, issued_invoice, tenant_today
from tests.timetracking.helpers import api_for, prepaid, ticket_on
from timetracking.models import TimeEntry
from timetracking.services import time_entry_create

pytestmark = pytest.mark.django_db

TECH_IP, ADMIN_IP = "203.0.113.7", "198.51.100.9"


@pytest.fixture
def acme(tenant):
    return ClientFactory(tenant=tenant, name="Acme Dental", currency="EUR")


@pytest.fixture
def contract(acme):
    return prepaid(client=acme, currency="EUR")


@pytest.fixture
def tech(tenant, make_member):
    return make_member(tenant, Role.TECHNICIAN, first_name="Tina", last_name="Tecnica")


@pytest.fixture
def admin(tenant, make_member):
    return make_member(tenant, Role.ADMIN, first_name="Ada", last_name="Admin")


def browser(membership, ip) -> HttpClient:
    http = HttpClient(REMOTE_ADDR=ip)
    http.force_login(membership.user)
    return http


def history(membership, url, ip="192.0.2.1") -> dict:
    api = api_for(membership)
    response = api.get(url, REMOTE_ADDR=ip)
    assert response.status_code == 200, response.content
    return response.json()


def entries(**filters) -> list[AuditEntry]:
    with unscoped():
        return list(AuditEntry.objects.filter(**filters).order_by("id"))


def test_a_technicians_edit_and_delete_show_on_the_contract_page_and_api(contract, tech, admin):
    ticket = ticket_on(contract)
    tina = browser(tech, TECH_IP)
    for minutes in (15, 20):
        response = tina.post(
            reverse("timesheet:entry-create"), {"ticket": ticket.pk, "minutes": minutes, "billable": "on"}
        )
        assert response.status_code == 302
    kept, dropped = TimeEntry.unscoped.order_by("pk")
    assert (
        tina.post(
            reverse("timesheet:entry-update", args=[kept.pk]),
            {"ticket": ticket.pk, "minutes": 45, "billable": "on"},
        ).status_code
        == 302
    )
    assert tina.post(reverse("timesheet:entry-delete", args=[dropped.pk])).status_code == 302

    edit = entries(object_type="timetracking.timeentry", object_id=kept.pk, action="update")[0]
    assert (edit.user_id, edit.membership_id, edit.actor_name, edit.channel, edit.ip) == (
        tech.user_id,
        tech.pk,
        "Tina Tecnica",
        "browser",
        TECH_IP,
    )
    assert edit.changes["minutes"] == [15, 45]
    assert "note" not in edit.changes  # only what changed
    deletion = entries(object_type="timetracking.timeentry", object_id=dropped.pk, action="delete")[0]
    assert deletion.changes["minutes"] == [20, None] and deletion.contract_id == contract.pk

    # The contract page, as the admin: newest first, readable.
    page = browser(admin, ADMIN_IP).get(reverse("contracts:detail", args=[contract.pk])).content.decode()
    panel = page[page.index('data-testid="history"') :]
    assert "Tina Tecnica" in panel and TECH_IP in panel
    assert "15 min → 45 min" in panel
    assert panel.index(f"Time entry #{dropped.pk}") < panel.index(f"Time entry #{kept.pk}")

    # The API, as the technician herself (she may read the contract's history).
    rows = history(tech, f"/api/v1/contracts/{contract.pk}/history/")["results"]
    assert rows[0]["action"] == "delete" and rows[0]["object_id"] == dropped.pk
    assert rows[0]["ip"] == TECH_IP and rows[0]["actor"] == "Tina Tecnica" and rows[0]["channel"] == "browser"
    update = next(row for row in rows if row["action"] == "update" and row["object_id"] == kept.pk)
    minutes = next(change for change in update["changes"] if change["field"] == "minutes")
    assert (minutes["before"], minutes["after"], minutes["after_display"], minutes["label"]) == (
        15,
        45,
        "45 min",
        "Minutes",
    )


def test_renewal_settings_changed_through_the_api_and_a_block_bought(
    contract, admin, django_capture_on_commit_callbacks
):
    api = api_for(admin)
    response = api.patch(
        f"/api/v1/contracts/{contract.pk}/",
        {"renew_threshold_minutes": 120, "renew_block_price": "950.00"},
        format="json",
        REMOTE_ADDR=ADMIN_IP,
    )
    assert response.status_code == 200, response.content
    change = entries(object_type="contracts.contract", action="update")[-1]
    assert change.changes == {
        "renew_threshold_minutes": [300, 120],
        "renew_block_price": [["900.00", "EUR"], ["950.00", "EUR"]],
    }
    assert (change.channel, change.ip, change.user_id, change.membership_id) == (
        "api",
        ADMIN_IP,
        admin.user_id,
        admin.pk,
    )
    assert change.via  # the token's prefix

    # A block bought in the browser; its invoice is made by a Celery task (run on commit).
    with django_capture_on_commit_callbacks(execute=True):
        response = browser(admin, ADMIN_IP).post(
            reverse("contracts:block-create", args=[contract.pk]),
            {"hours": 5, "extra_minutes": 0, "price_0": "450.00", "price_1": "EUR", "origin": "manual"},
        )
    assert response.status_code == 302
    block = HourBlock.unscoped.latest("pk")
    bought = entries(object_type="contracts.hourblock", object_id=block.pk, action="create")[0]
    assert (bought.channel, bought.actor_name, bought.contract_id) == ("browser", "Ada Admin", contract.pk)
    assert bought.changes["minutes"] == [None, 300] and bought.changes["price"] == [None, ["450.00", "EUR"]]
    by_task = entries(object_type="billing.invoice", action="create")
    assert by_task and by_task[0].channel == "task" and by_task[0].via == "billing.tasks.block_invoice_task"

    rows = history(admin, f"/api/v1/contracts/{contract.pk}/history/")["results"]
    labels = {change["label"] for row in rows for change in row["changes"]}
    assert {"Renew below (minutes)", "Renewal block price", "Price", "Minutes"} <= labels
    renewal = next(
        row for row in rows if row["object_type"] == "contracts.contract" and row["action"] == "update"
    )
    shown = {
        change["field"]: (change["before_display"], change["after_display"]) for change in renewal["changes"]
    }
    assert shown["renew_threshold_minutes"] == ("5 h", "2 h")
    assert shown["renew_block_price"] == ("€900.00", "€950.00")


def test_an_invoice_issued_paid_and_another_voided(acme, admin):
    api = api_for(admin)
    draft = api.post(
        "/api/v1/invoices/",
        {"client": acme.pk, "lines": [{"description": "Migration", "unit_price": "100.00", "tax_rate": "0"}]},
        format="json",
        REMOTE_ADDR=ADMIN_IP,
    ).json()
    issued = api.post(f"/api/v1/invoices/{draft['id']}/issue/", REMOTE_ADDR=ADMIN_IP).json()
    paid = api.post(
        f"/api/v1/invoices/{draft['id']}/pay/",
        {"amount": "100.00", "paid_at": issued["issue_date"], "method": "card"},
        format="json",
        REMOTE_ADDR=ADMIN_IP,
    )
    assert paid.status_code == 201
    rows = history(admin, f"/api/v1/invoices/{draft['id']}/history/")["results"]
    status_changes = [
        next(c for c in row["changes"] if c["field"] == "status")["after"]
        for row in rows
        if row["object_type"] == "billing.invoice" and any(c["field"] == "status" for c in row["changes"])
    ]
    assert status_changes == ["paid", "issued", "draft"]  # newest first
    payment = next(row for row in rows if row["object_type"] == "billing.payment")
    assert payment["action"] == "create" and payment["ip"] == ADMIN_IP and payment["actor"] == "Ada Admin"
    assert {c["field"]: c["after_display"] for c in payment["changes"]}["amount"] == "€100.00"

    other = issued_invoice(acme, "Sent twice")
    admin_browser = browser(admin, ADMIN_IP)
    admin_browser.post(reverse("billing:void", args=[other.pk]), {"void-reason": "Sent twice"})
    assert Invoice.unscoped.get(pk=other.pk).status == InvoiceStatus.VOID
    page = admin_browser.get(reverse("billing:invoice_detail", args=[other.pk])).content.decode()
    panel = page[page.index('data-testid="history"') :]
    assert "Ada Admin" in panel and ADMIN_IP in panel and "Issued → Void" in panel and "Sent twice" in panel
    assert "System" in panel  # the issue, made outside any request (the factory)


def test_bulk_marks_of_billing_are_recorded(contract, admin):
    """Issuing marks the time entries and blocks it bills with one UPDATE each: the trail
    gets them too, one INSERT for all."""
    with tenant_scope(contract.tenant):
        block = HourBlock.objects.get(contract=contract)
        invoice = block_invoice(block=block)
        if invoice.status == InvoiceStatus.DRAFT:
            invoice_issue(invoice=invoice)
    marked = entries(object_type="contracts.hourblock", object_id=block.pk, action="update")
    assert marked and "invoiced_at" in marked[-1].changes and marked[-1].contract_id == contract.pk


def test_other_tenants_and_client_contacts_never_see_a_history(contract, tech, other_tenant, make_member):
    stranger = make_member(other_tenant, Role.OWNER)
    url = f"/api/v1/contracts/{contract.pk}/history/"
    assert api_for(stranger).get(url).status_code == 404
    contact = make_member(contract.tenant, Role.CLIENT, client=contract.client)
    assert api_for(contact).get(url).status_code == 403
    invoice = issued_invoice(contract.client)
    assert api_for(tech).get(f"/api/v1/invoices/{invoice.pk}/history/").status_code == 403
    page = browser(tech, TECH_IP).get(reverse("contracts:detail", args=[contract.pk])).content.decode()
    assert 'data-testid="history"' in page
    with tenant_scope(other_tenant):
        assert not AuditEntry.objects.exists()


def test_an_audit_row_cannot_be_changed_or_removed(contract):
    entry = entries(contract_id=contract.pk)[0]
    with tenant_scope(contract.tenant):
        entry.ip = "10.0.0.1"
        with pytest.raises(AppendOnly):
            entry.save()
        with pytest.raises(AppendOnly):
            entry.delete()
        with pytest.raises(AppendOnly):
            AuditEntry.objects.filter(pk=entry.pk).update(ip="10.0.0.1")
        with pytest.raises(AppendOnly):
            AuditEntry.objects.filter(pk=entry.pk).delete()
    assert entries(pk=entry.pk)[0].ip is None


@pytest.mark.postgres
def test_postgresql_refuses_a_raw_update_or_delete(contract):
    entry = entries(contract_id=contract.pk)[0]
    for sql in (
        "UPDATE audit_auditentry SET ip = '10.0.0.1' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    assert entries(pk=entry.pk)[0].ip is None


def test_the_history_panel_costs_the_same_for_3_or_30_changes(contract, admin):
    admin_browser = browser(admin, ADMIN_IP)
    url = reverse("contracts:detail", args=[contract.pk])
    ticket = ticket_on(contract)

    def log(count):
        with tenant_scope(contract.tenant):
            for _ in range(count):
                time_entry_create(ticket=ticket, technician=admin.user, minutes=5)

    def queries() -> int:
        admin_browser.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert admin_browser.get(url).status_code == 200
        return len(captured)

    log(3)
    few = queries()
    log(27)
    assert queries() == few
    older = admin_browser.get(url).content.decode()
    assert "history_before=" in older  # 30 changes: a link to the older ones


def test_the_contract_starts_its_history_with_what_it_was_created_with(acme):
    contract = prepaid(client=acme, currency="EUR", block_minutes=0, hourly_rate=Money("80.00", "EUR"))
    created = entries(object_type="contracts.contract", object_id=contract.pk)[0]
    assert created.action == "create" and created.channel == "system"
    assert created.changes["hourly_rate"] == [None, ["80.00", "EUR"]] and created.changes["auto_renew"] == [
        None,
        True,
    ]
    assert "balance_minutes" not in created.changes
    assert Contract.unscoped.get(pk=contract.pk).balance_minutes == 0
    assert tenant_today(acme.tenant)  # (dates in the tenant's zone)


def test_the_monthly_run_from_the_command_line_is_named_in_the_trail(contract):
    today = tenant_today(contract.tenant)
    call_command("run_billing", period=f"{today.year}-{today.month:02d}", stdout=io.StringIO())
    made = entries(object_type="billing.invoice", action="create")
    assert made and {(entry.channel, entry.via, entry.user_id) for entry in made} == {
        ("command", "run_billing", None)
    }


def test_an_italian_reader_reads_the_history_in_italian(contract, admin):
    api_for(admin).patch(f"/api/v1/contracts/{contract.pk}/", {"renew_threshold_minutes": 90}, format="json")
    admin.user.language = "it"
    admin.user.save()
    page = browser(admin, ADMIN_IP).get(reverse("contracts:detail", args=[contract.pk])).content.decode()
    panel = page[page.index('data-testid="history"') :]
    assert "Cronologia" in panel and "Modificato" in panel and "Token API" in panel
    assert "5 h → 1 h 30 min" in panel


def test_a_tiers_price_changes_show_on_its_page_and_in_the_api(tenant, admin, tech):
    from contracts.models import ServiceTier

    api = api_for(admin)
    tier = api.post(
        "/api/v1/tiers/",
        {"name": "Gold", "currency": "EUR", "prices": {"server": "250.00", "desktop": "45.00"}},
        format="json",
        REMOTE_ADDR=ADMIN_IP,
    )
    assert tier.status_code == 201, tier.content
    tier_id = tier.json()["id"]
    response = api.patch(
        f"/api/v1/tiers/{tier_id}/", {"prices": {"server": "275.00"}}, format="json", REMOTE_ADDR=ADMIN_IP
    )
    assert response.status_code == 200, response.content
    rows = history(tech, f"/api/v1/tiers/{tier_id}/history/")["results"]
    shown = [
        (row["action"], {c["field"]: (c["before_display"], c["after_display"]) for c in row["changes"]})
        for row in rows
    ]
    assert ("update", {"price": ("€250.00", "€275.00")}) in shown
    assert any(action == "delete" and changes["price"][0] == "€45.00" for action, changes in shown)
    assert rows[0]["ip"] == ADMIN_IP and rows[0]["actor"] == "Ada Admin"
    page = (
        browser(admin, ADMIN_IP).get(ServiceTier.unscoped.get(pk=tier_id).get_absolute_url()).content.decode()
    )
    panel = page[page.index('data-testid="history"') :]
    assert "€250.00 → €275.00" in panel


def test_a_save_that_changes_nothing_records_nothing(contract):
    """The same amount at another scale, the same moment in another zone: no change."""
    import zoneinfo

    with tenant_scope(contract.tenant):
        block = HourBlock.objects.get(contract=contract)
        before = AuditEntry.objects.count()
        block.price = Money("900", "EUR")
        block.purchased_at = block.purchased_at.astimezone(zoneinfo.ZoneInfo("Europe/Rome"))
        block.save()
        assert AuditEntry.objects.count() == before
        block.price = Money("900.01", "EUR")
        block.save()
        (entry,) = AuditEntry.objects.filter(object_id=block.pk, action="update")
    assert entry.changes == {"price": [["900.00", "EUR"], ["900.01", "EUR"]]}


def test_a_change_names_the_rows_it_points_to(contract, acme, admin, tenant):
    """A contract's creation reads "Client: Acme", not "Client #7", on the page and in the API;
    a row the reader cannot see (here: gone since) keeps its number; and the names of a page
    of entries cost one query per kind of row named, not one per entry."""
    from audit.display import describe

    with tenant_scope(tenant):
        created = Contract.objects.filter(pk=contract.pk).values_list("client_id", flat=True).get()
    rows = history(admin, f"/api/v1/contracts/{contract.pk}/history/")["results"]
    creation = next(
        row
        for row in rows
        if (row["action"], row["object_type"], row["object_id"]) == ("create", "contracts.contract", contract.pk)
    )
    client = next(change for change in creation["changes"] if change["field"] == "client")
    assert (client["after"], client["after_display"]) == (created, acme.name)
    page = browser(admin, ADMIN_IP).get(reverse("contracts:detail", args=[contract.pk])).content.decode()
    panel = page[page.index('data-testid="history"') :]
    assert f"Client #{acme.pk}" not in panel

    gone = AuditEntry(
        tenant=tenant,
        action="update",
        object_type="contracts.contract",
        object_id=contract.pk,
        changes={"client": [acme.pk, 10**9]},
        channel="system",
    )
    with tenant_scope(tenant):
        with CaptureQueriesContext(connection) as queries:
            (row,) = describe([gone])
        assert [(c.before, c.after) for c in row.changes] == [(acme.name, f"Client #{10**9}")]
        assert len(queries) == 1
        many = [gone] * 30
        with CaptureQueriesContext(connection) as queries:
            describe(many)
        assert len(queries) == 1
