"""`poll_mailboxes`: an operator's poll from the shell, with a progress bar, to the end."""

import pytest
from django.core.management import CommandError, call_command

from inbox.models import InboundMessage, Mailbox
from msp.scoping import unscoped
from tests.inbox.conftest import imap_mailbox
from tests.inbox.dovecot import message

pytestmark = [pytest.mark.dovecot, pytest.mark.django_db]


def test_a_thousand_messages_are_polled_to_the_end_with_progress(tenant, imap_account, capsys):
    imap_account.deliver([message(f"Ticket {i}", body=f"Message number {i}.") for i in range(1000)])
    mailbox = imap_mailbox(tenant, imap_account)

    call_command("poll_mailboxes", tenant="alpha")

    out, err = capsys.readouterr()
    assert f"alpha: {mailbox.address}: 1000 message(s) filed" in out
    assert "1 mailbox(es) polled, 0 failed." in out
    assert f"alpha: {mailbox.address} [" in err  # the bar...
    assert "] 500/1000" in err and err.rstrip().endswith("] 1000/1000")  # ...moves, and ends full
    with unscoped():
        assert InboundMessage.unscoped.filter(mailbox=mailbox).count() == 1000
        assert Mailbox.unscoped.get(pk=mailbox.pk).last_uid == 1000

    call_command("poll_mailboxes", mailbox=mailbox.pk)  # again: nothing new, nothing twice
    assert f"{mailbox.address}: 0 message(s) filed" in capsys.readouterr().out
    with unscoped():
        assert InboundMessage.unscoped.filter(mailbox=mailbox).count() == 1000


def test_the_command_says_what_failed(tenant, other_tenant, dovecot, capsys):
    good, bad = dovecot.account(), dovecot.account()
    good.deliver([message("Fine")])
    imap_mailbox(tenant, good)
    imap_mailbox(other_tenant, bad, address="support@bravo.example", password="wrong")

    call_command("poll_mailboxes")

    out = capsys.readouterr().out
    assert "alpha: support@alpha.example: 1 message(s) filed" in out
    assert (
        "bravo: support@bravo.example: 0 message(s) filed, then failed: "
        "The server refused the sign-in: [AUTHENTICATIONFAILED] Authentication failed." in out
    )
    assert "2 mailbox(es) polled, 1 failed." in out


def test_unknown_names_are_refused(tenant):
    with pytest.raises(CommandError, match="No tenant with the slug 'nope'"):
        call_command("poll_mailboxes", tenant="nope")
    with pytest.raises(CommandError, match="No active mailbox with an IMAP server has the id 999"):
        call_command("poll_mailboxes", mailbox=999)
