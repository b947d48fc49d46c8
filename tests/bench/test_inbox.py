"""bench/inbox.py's round, small, on the test database: every message filed, a rate measured."""

import pytest

from bench.inbox import poll_once, summary
from inbox.choices import InboundStatus
from inbox.models import InboundMessage

pytestmark = [pytest.mark.dovecot, pytest.mark.django_db]


def test_a_round_files_every_message_as_a_ticket_or_a_reply(dovecot, settings):
    settings.TENANT_SERVERS_ALLOW_PRIVATE = True  # Dovecot on loopback, as bench.inbox.main allows
    result = poll_once(dovecot, 10, "t")

    assert result["filed"] == 10 and result["rate"] > 0
    statuses = list(InboundMessage.unscoped.values_list("status", flat=True))
    assert statuses.count(InboundStatus.NEW_TICKET) == 8
    assert statuses.count(InboundStatus.REPLY) == 2
    assert 0 < result["filing_share"] <= 1
    line = summary([result, result, result], 10, "sqlite")
    assert line.startswith("| e-mail in: IMAP poll of 10 messages (sqlite) |")
