"""Two workers (and the operator's command) given one mailbox at the same moment: one polls,
the others see the mailbox held and leave it; every message is filed once (PostgreSQL: real
concurrent connections)."""

import pytest

from inbox.models import InboundMessage, Mailbox
from inbox.polling import mailbox_poll
from tests.concurrency import run_at_once
from tests.inbox.conftest import imap_mailbox
from tests.inbox.dovecot import message

pytestmark = [pytest.mark.postgres, pytest.mark.dovecot, pytest.mark.django_db(transaction=True)]


def test_three_polls_at_once_poll_the_mailbox_once(tenant, imap_account):
    imap_account.deliver([message(f"Request {i}") for i in range(60)])
    mailbox = imap_mailbox(tenant, imap_account)
    results = []

    errors = run_at_once([lambda: results.append(mailbox_poll(mailbox=mailbox)) for _ in range(3)])

    assert errors == []
    polled = [r for r in results if not r.skipped]
    skipped = [r for r in results if r.skipped]
    # One holds it; a poll that starts after it finished finds nothing new.
    assert sum(r.filed for r in polled) == 60 and all(not r.error for r in polled)
    assert all(r.skipped == "another poll of this mailbox is under way" for r in skipped)
    assert InboundMessage.unscoped.filter(mailbox=mailbox).count() == 60
    state = Mailbox.unscoped.get(pk=mailbox.pk)
    assert (state.last_uid, state.claimed_until, state.failures) == (60, None, 0)
