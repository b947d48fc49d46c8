import pytest
from rest_framework.test import APIClient

from contracts.models import ServiceTier
from contracts.services import sla_seed, tiers_seed
from monitoring.services.keys import ingest_key_create
from msp.roles import Role
from tests.factories import AssetFactory, ClientFactory, ContractFactory
from tests.timetracking.helpers import prepaid


@pytest.fixture
def seeded(tenant):
    tiers_seed(tenant=tenant)
    sla_seed(tenant=tenant)
    return tenant


@pytest.fixture
def acme(seeded):
    return ClientFactory(tenant=seeded, name="Acme", currency="EUR")


@pytest.fixture
def platinum(acme):
    """Acme's managed Platinum contract (its SLA) and a prepaid block of 10 h (its hours)."""
    tier = ServiceTier.unscoped.get(tenant=acme.tenant, name="Platinum")
    ContractFactory(tenant=acme.tenant, client=acme, kind="managed", tier=tier)
    return prepaid(acme, block_minutes=600, auto_renew=False)


@pytest.fixture
def server(acme):
    return AssetFactory(
        tenant=acme.tenant,
        client=acme,
        kind="server",
        name="SRV-FILES01",
        hostname="srv-files01.acme.lan",
        serial="SN-SRV-1",
    )


@pytest.fixture
def laptop(acme):
    return AssetFactory(
        tenant=acme.tenant,
        client=acme,
        kind="laptop",
        name="LT-GIULIA",
        hostname="lt-giulia",
        serial="SN-LT-1",
    )


@pytest.fixture
def ingest_key(seeded):
    key, secret = ingest_key_create(tenant=seeded, name="RMM")
    key.secret = secret
    return key


@pytest.fixture
def agent(ingest_key):
    """An API client sending as a monitoring agent (X-Ingest-Key)."""
    http = APIClient()
    http.credentials(HTTP_X_INGEST_KEY=ingest_key.secret)
    return http


INGEST_URL = "/api/v1/monitoring/alerts/"


def send(agent, *messages):
    """Post these messages as one batch; the per-message results."""
    answer = agent.post(INGEST_URL, list(messages), format="json")
    assert answer.status_code == 200, answer.content
    return answer.json()["results"]


@pytest.fixture
def tech(seeded, make_member, client):
    """A technician, signed in with Django's test client."""
    member = make_member(seeded, Role.TECHNICIAN)
    client.force_login(member.user)
    return member
