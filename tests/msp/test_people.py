"""People are shown by their names, not their usernames: pages, PDFs, the API."""

import pytest
from django.urls import reverse

from msp.models import User
from msp.people import display_name, display_name_expression
from msp.roles import Role
from tests.factories import ClientFactory, TicketCommentFactory, TicketFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_display_name_is_the_full_name_else_the_username():
    assert display_name(UserFactory.build(username="grossi", first_name="Giulia", last_name="Rossi")) == (
        "Giulia Rossi"
    )
    assert display_name(UserFactory.build(username="tech", first_name="", last_name="")) == "tech"
    assert display_name(UserFactory.build(username="x", first_name="Cher", last_name="")) == "Cher"
    assert display_name(None) == ""


def test_the_sql_name_is_the_same_rule():
    people = [
        UserFactory(username="grossi", first_name="Giulia", last_name="Rossi"),
        UserFactory(username="tech", first_name="", last_name=""),
        UserFactory(username="x", first_name="Cher", last_name=""),
        UserFactory(username="y", first_name="", last_name="Prince"),
    ]
    in_sql = dict(User.objects.values_list("pk", display_name_expression()))
    assert {user.pk: in_sql[user.pk] for user in people} == {user.pk: display_name(user) for user in people}


def test_queue_ticket_page_and_comment_api_show_names(client, tenant, make_member):
    from tests.timetracking.helpers import api_for

    giulia = make_member(tenant, Role.TECHNICIAN, username="grossi", first_name="Giulia", last_name="Rossi")
    acme = ClientFactory(tenant=tenant)
    ticket = TicketFactory(tenant=tenant, client=acme, assignee=giulia.user, subject="Printer")
    TicketCommentFactory(tenant=tenant, ticket=ticket, author=giulia.user, body="On my way")
    client.force_login(giulia.user)
    queue = client.get(reverse("tickets:list")).content.decode()
    assert "<td>Giulia Rossi</td>" in queue and ">grossi<" not in queue
    detail = client.get(ticket.get_absolute_url()).content.decode()
    assert "Giulia Rossi ·" in detail  # the comment's author
    rows = api_for(giulia).get(f"/api/v1/tickets/{ticket.pk}/comments/").json()["results"]
    assert (rows[0]["author"], rows[0]["author_name"]) == ("grossi", "Giulia Rossi")
