"""On PostgreSQL: the same alert sent by many requests at once (a fleet's tool retrying, two
Alertmanager replicas) is one alert and one ticket, and every message is counted."""

import pytest

from monitoring.messages import Message
from monitoring.models import Alert
from monitoring.services.ingest import ingest
from tests.concurrency import run_at_once
from tests.factories import AssetFactory, ClientFactory, TenantFactory
from tickets.models import Ticket

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_concurrent_senders_of_one_new_alert_open_it_once_and_count_every_message():
    tenant = TenantFactory()
    asset = AssetFactory(tenant=tenant, client=ClientFactory(tenant=tenant), kind="server", hostname="srv01")

    def send():
        ingest(
            tenant=tenant,
            messages=[
                Message(type="alert", hostname="srv01", check="disk_usage", severity="critical"),
                Message(type="heartbeat", hostname="srv01"),
            ],
        )

    assert run_at_once([send] * 20) == []
    alerts = list(Alert.unscoped.filter(tenant=tenant))
    assert len(alerts) == 1 and alerts[0].count == 20
    assert Ticket.unscoped.filter(tenant=tenant, asset=asset).count() == 1
    asset.refresh_from_db()
    assert asset.last_seen is not None
