from datetime import UTC, datetime

import pytest

from contracts.choices import ContractKind
from contracts.models import ServiceTier
from contracts.services import sla_seed, tiers_seed
from msp.roles import Role
from tests.factories import AssetFactory, ClientFactory, ContactFactory, ContractFactory

# Friday 20 November 2026, 17:30 in Rome (UTC+1): half an hour before closing time.
FRIDAY_1730_ROME = datetime(2026, 11, 20, 16, 30, tzinfo=UTC)


@pytest.fixture
def seeded(tenant):
    tiers_seed(tenant=tenant)
    sla_seed(tenant=tenant)
    return tenant


@pytest.fixture
def acme(seeded):
    return ClientFactory(tenant=seeded, name="Acme")


@pytest.fixture
def platinum_contract(acme):
    tier = ServiceTier.unscoped.get(tenant=acme.tenant, name="Platinum")
    return ContractFactory(tenant=acme.tenant, client=acme, kind=ContractKind.MANAGED, tier=tier)


@pytest.fixture
def server(acme):
    return AssetFactory(tenant=acme.tenant, client=acme, kind="server", name="SRV-01")


@pytest.fixture
def contact(acme):
    return ContactFactory(tenant=acme.tenant, client=acme, name="Giulia", email="giulia@acme.example")


@pytest.fixture
def tech(tenant, make_member):
    return make_member(tenant, Role.TECHNICIAN, email="tech@msp.example")


@pytest.fixture
def tech_client(client, tech):
    client.force_login(tech.user)
    return client
