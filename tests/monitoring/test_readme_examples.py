"""The README's curl examples of the native format, sent as written (the shell's words,
read by shlex): each is accepted and does what the README says."""

import json
import shlex

import pytest

from monitoring.choices import AlertStatus
from monitoring.models import Alert
from msp.scoping import scope_of
from tests.monitoring.readme import readme_block

pytestmark = pytest.mark.django_db

URL = "/api/v1/monitoring/alerts/"


def curl_bodies() -> list:
    """The -d argument of each curl command of the README's native-format block."""
    words = shlex.split(readme_block('"type": "heartbeat"').replace("\\\n", " "), comments=True)
    return [json.loads(words[i + 1]) for i, word in enumerate(words) if word == "-d"]


def test_the_readmes_curl_examples(agent, seeded, acme, server):
    server.hostname = "srv-files01"
    server.save(update_fields=["hostname"])
    one, batch, heartbeat = curl_bodies()

    assert agent.post(URL, one, format="json").json()["results"][0]["result"] == "opened"
    results = agent.post(URL, batch, format="json").json()["results"]
    assert [r["result"] for r in results] == ["recovered", "unknown"]  # 5CG1234XYZ: not in the inventory
    answer = agent.post(URL, heartbeat, format="json")
    assert answer.json() == {
        "accepted": 1,
        "results": [{"result": "heartbeat", "alert": None, "ticket": None, "asset": server.pk}],
    }
    with scope_of(seeded.pk):
        assert Alert.objects.get().status == AlertStatus.RESOLVED
    server.refresh_from_db()
    assert server.operating_system == "Windows Server 2022" and server.missing_patches == 3
