import pytest

from tests.factories import ClientFactory, ContactFactory, UserFactory
from tests.reports.helpers import last_month, work
from tests.timetracking.helpers import prepaid, ticket_on


@pytest.fixture
def acme(tenant):
    """A client whose reports go to Dana (Sam receives none; the billing address is the fallback)."""
    client = ClientFactory(tenant=tenant, name="Acme Dental", billing_email="accounts@acme.example")
    ContactFactory(
        tenant=tenant, client=client, name="Dana Boss", email="dana@acme.example", receives_reports=True
    )
    ContactFactory(tenant=tenant, client=client, name="Sam Clerk", email="sam@acme.example")
    return client


@pytest.fixture
def month(tenant, acme):
    """Last month of Acme: a prepaid contract, a ticket with 90 minutes of work in it:
    (the period, the ticket, the technician)."""
    period = last_month(tenant)
    ticket = ticket_on(prepaid(acme), subject="Printer jams")
    tech = UserFactory(username="tech")
    work(ticket, tech, period, 3, 90)
    return period, ticket, tech
