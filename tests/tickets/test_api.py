import pytest
from django.urls import reverse

from contracts.choices import ContractKind
from tests.factories import (
    AssetFactory,
    ClientFactory,
    ContractFactory,
    TenantFactory,
    TicketCommentFactory,
    TicketFactory,
)
from tickets.models import Ticket, TicketComment

pytestmark = pytest.mark.django_db
SLA_FIELDS = {"response_due_at", "resolution_due_at", "first_response_at", "sla_state"}


def test_create_list_filter(tech_client, acme, seeded, platinum_contract, server):
    response = tech_client.post(
        reverse("api:ticket-list"),
        {"client": acme.pk, "asset": server.pk, "subject": "Down", "priority": "P1", "sla_state": "met"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content  # sla_state is read only: ignored
    data = response.json()
    assert SLA_FIELDS <= set(data) and data["sla_state"] == "ok" and data["contract"] == platinum_contract.pk
    TicketFactory(tenant=seeded, client=acme, priority="P4")
    TicketFactory(tenant=TenantFactory())
    listed = tech_client.get(reverse("api:ticket-list")).json()
    assert listed["count"] == 2
    assert [
        r["subject"]
        for r in tech_client.get(reverse("api:ticket-list"), {"priority": "P1"}).json()["results"]
    ] == ["Down"]
    assert tech_client.get(reverse("api:ticket-list"), {"sla_state": "breached"}).json()["count"] == 0
    ordered = tech_client.get(reverse("api:ticket-list"), {"ordering": "priority"}).json()["results"]
    assert [r["priority"] for r in ordered] == ["P1", "P4"]
    # Filtering by the client, the contract or the asset, as an integration does.
    beta = ClientFactory(tenant=seeded)
    TicketFactory(tenant=seeded, client=beta)
    for field, value, count in (
        ("client", acme.pk, 2),
        ("client", beta.pk, 1),
        ("contract", platinum_contract.pk, 1),
        ("asset", server.pk, 1),
    ):
        response = tech_client.get(reverse("api:ticket-list"), {field: value})
        assert response.status_code == 200 and response.json()["count"] == count, (field, response.content)


def test_generated_foreign_key_filters_accept_the_members_rows(tech_client, acme, seeded):
    """They read their choices in the request's scope: before, TicketFilterSet's were built at
    import, outside any scope, and refused every client, contract and asset (400)."""
    mine = TicketFactory(tenant=seeded, client=acme)
    TicketFactory(tenant=seeded, client=ClientFactory(tenant=seeded))
    theirs = ClientFactory(tenant=TenantFactory())
    response = tech_client.get(reverse("api:ticket-list"), {"client": acme.pk})
    assert response.status_code == 200, response.content
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]
    refused = tech_client.get(reverse("api:ticket-list"), {"client": theirs.pk})
    assert refused.status_code == 400 and "client" in refused.json()


def test_update_status_and_priority(tech_client, acme, seeded):
    ticket = TicketFactory(tenant=seeded, client=acme)
    response = tech_client.patch(
        reverse("api:ticket-detail", args=[ticket.pk]),
        {"status": "waiting_on_client"},
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["sla_state"] == "paused"


def test_bad_links_are_400(tech_client, acme, seeded):
    foreign_contract = ContractFactory(tenant=TenantFactory(), kind=ContractKind.BREAK_FIX)
    other_clients = ContractFactory(
        tenant=seeded, client=ClientFactory(tenant=seeded), kind=ContractKind.BREAK_FIX
    )
    foreign_asset = AssetFactory(tenant=TenantFactory())
    for payload in (
        {"contract": foreign_contract.pk},
        {"contract": other_clients.pk},
        {"asset": foreign_asset.pk},
    ):
        response = tech_client.post(
            reverse("api:ticket-list"),
            {"client": acme.pk, "subject": "x", **payload},
            content_type="application/json",
        )
        assert response.status_code == 400, payload
        assert set(payload) <= set(response.json()) or "detail" in response.json()
    assert not Ticket.unscoped.exists()


def test_comments(tech_client, acme, seeded, tech):
    ticket = TicketFactory(tenant=seeded, client=acme)
    url = reverse("api:ticket-comments", args=[ticket.pk])
    assert tech_client.post(url, {"body": "Public"}, content_type="application/json").status_code == 201
    assert (
        tech_client.post(url, {"body": "Note", "public": False}, content_type="application/json").status_code
        == 201
    )
    assert tech_client.post(url, {"body": ""}, content_type="application/json").status_code == 400
    results = tech_client.get(url).json()["results"]
    assert [(r["body"], r["public"], r["author"]) for r in results] == [
        ("Public", True, tech.user.username),
        ("Note", False, tech.user.username),
    ]
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
    theirs = TicketFactory(tenant=TenantFactory())
    TicketCommentFactory(ticket=theirs)
    assert tech_client.get(reverse("api:ticket-comments", args=[theirs.pk])).status_code == 404
    assert TicketComment.unscoped.filter(ticket=theirs).count() == 1
