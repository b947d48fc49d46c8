"""A list's query string is understood whole or refused (issue 20, finding 5): filters over
users take the tenant's members only, with one answer for every other id (no account
oracle); a malformed value or an unknown parameter is a 400 naming it, never ignored."""

import pytest
from rest_framework.test import APIClient

from msp.models import ApiToken
from msp.roles import Role
from tests.factories import ClientFactory, TicketFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_api(tenant, make_member):
    def api(role=Role.OWNER) -> APIClient:
        _token, key = ApiToken.issue(make_member(tenant, role))
        http = APIClient()
        http.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return http

    return api


@pytest.fixture
def acme(tenant):
    return ClientFactory(tenant=tenant, name="Acme")


def test_user_filters_take_members_only_with_one_answer_for_every_other_id(
    tenant, other_tenant, make_member, owner_api, acme
):
    http = owner_api()
    colleague = make_member(tenant, Role.TECHNICIAN).user
    mine = TicketFactory(tenant=tenant, client=acme, assignee=colleague)
    TicketFactory(tenant=tenant, client=acme)
    stranger = make_member(other_tenant, Role.OWNER).user  # a member elsewhere
    loner = UserFactory()  # a member nowhere
    answer = http.get("/api/v1/tickets/", {"assignee": colleague.pk})
    assert answer.status_code == 200
    assert [row["id"] for row in answer.json()["results"]] == [mine.pk]
    refusals = {
        (name, user_id): http.get(path, {name: user_id})
        for path, name in (("/api/v1/tickets/", "assignee"), ("/api/v1/time-entries/", "technician"))
        for user_id in (stranger.pk, loner.pk, loner.pk + 1000, "abc")
    }
    bodies = {response.content for response in refusals.values()}
    assert {response.status_code for response in refusals.values()} == {400}
    assert len(bodies) == 2  # one per parameter name: the same for a stranger and nobody
    assert b"not one of the available choices" in bodies.pop()


@pytest.mark.parametrize(
    ("path", "query", "named"),
    [
        ("/api/v1/members/", {"is_active": "maybe"}, "is_active"),
        ("/api/v1/assets/", {"monitored": "perhaps"}, "monitored"),
        ("/api/v1/time-entries/", {"billable": "2x"}, "billable"),
        ("/api/v1/clients/", {"page_size": "lots"}, "page_size"),
        ("/api/v1/clients/", {"page_size": "0"}, "page_size"),
        ("/api/v1/clients/", {"page": "two"}, "page"),
        ("/api/v1/clients/", {"page": "-1"}, "page"),
        ("/api/v1/clients/", {"page": "9" * 5000}, "page"),
        ("/api/v1/assets/", {"warranty_expires_after": "2026-13-40"}, "warranty_expires"),
        ("/api/v1/assets/", {"kind": "toaster"}, "kind"),
        ("/api/v1/tickets/", {"client": "x"}, "client"),
        ("/api/v1/tickets/", {"asignee": "1"}, "asignee"),  # a typo: not a full list
        ("/api/v1/notifications/", {"unread": "true"}, "unread"),
        ("/api/v1/notifications/", {"read": "maybe"}, "read"),
        ("/api/v1/invoices/", {"period": "2026-13"}, "period"),  # was an empty list
        ("/api/v1/invoices/", {"overdue": "later"}, "overdue"),
    ],
)
def test_a_malformed_or_unknown_parameter_is_a_400_naming_it(owner_api, acme, path, query, named):
    response = owner_api().get(path, query)
    assert response.status_code == 400, response.content
    assert named in response.json(), response.json()


def test_an_unknown_parameter_on_a_list_without_filters_is_refused(tenant, owner_api, acme):
    ticket = TicketFactory(tenant=tenant, client=acme)
    response = owner_api().get(f"/api/v1/tickets/{ticket.pk}/comments/", {"public": "true"})
    assert response.status_code == 400
    assert "it takes: format, page, page_size." in response.json()["public"][0]


def test_the_frameworks_own_parameters_and_good_values_are_accepted(tenant, owner_api, acme, make_member):
    http = owner_api()
    for path, query in [
        ("/api/v1/clients/", {"page": "1", "page_size": "500", "ordering": "name", "search": "ac"}),
        ("/api/v1/clients/", {"page": "last", "format": "json"}),
        ("/api/v1/members/", {"is_active": "true", "role": "owner"}),
        ("/api/v1/members/", {"is_active": "False"}),
        ("/api/v1/assets/", {"monitored": "true", "warranty_expires_after": "2026-01-01", "q": "x"}),
        ("/api/v1/time-entries/", {"billable": "1"}),
        ("/api/v1/notifications/", {"read": "false"}),
    ]:
        response = http.get(path, query)
        assert response.status_code == 200, (path, response.content)
    assert http.get("/api/v1/clients/", {"page_size": "500"}).json()["count"] == 1


def test_the_schema_declares_every_accepted_parameter(owner_api):
    """What a list accepts is what the schema declares, both ways: the 400 for an unknown
    parameter lists the accepted ones."""
    http = owner_api()
    schema = http.get("/api/schema/", {"format": "json"}).json()["paths"]
    checked = 0
    for path, operations in schema.items():
        get = operations.get("get")
        if "{" in path or get is None or "page" not in {p["name"] for p in get.get("parameters", [])}:
            continue
        response = http.get(path, {"zz_unknown": "1"})
        assert response.status_code == 400, path
        accepted = response.json()["zz_unknown"][0].split("it takes: ")[1].rstrip(".").split(", ")
        declared = {p["name"] for p in get["parameters"] if p["in"] == "query"}
        assert set(accepted) - {"format"} == declared, path
        checked += 1
    assert checked >= 15


def test_an_empty_parameter_is_a_400_but_an_empty_search_is_a_search(owner_api, acme):
    """``?status=`` would be ignored by the filter and serve the whole list."""
    http = owner_api()
    for name in ("status", "priority", "page_size", "ordering", "assignee"):
        response = http.get(f"/api/v1/tickets/?{name}=")
        assert response.status_code == 400, name
        assert list(response.json()) == [name], name  # the filter's own message, or ours
    answer = http.get("/api/v1/tickets/?page_size=").json()
    assert answer == {"page_size": ["Give a value, or leave the parameter out."]}
    assert http.get("/api/v1/tickets/?search=").status_code == 200
    assert http.get("/api/v1/tickets/?status=open").status_code == 200
