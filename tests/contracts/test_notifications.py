"""Low-balance warnings: at 80 % and 95 % of the current block used, and on auto-renewal,
once per crossing, to contacts with portal access and account managers: never in one mail
(each contact gets its own; the account managers are notified, in the app and by e-mail)."""

import pytest
from django.core import mail

from contracts.models import BalanceWarning
from msp.models import Notification
from msp.roles import Role
from tests.factories import ContactFactory, UserFactory
from tests.timetracking.helpers import balance, prepaid, ticket_on
from timetracking.services import time_entry_create, time_entry_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(make_member):
    contract = prepaid(auto_renew=False)
    ContactFactory(
        tenant=contract.tenant, client=contract.client, email="boss@client.example", portal_access=True
    )
    ContactFactory(
        tenant=contract.tenant, client=contract.client, email="nobody@client.example", portal_access=False
    )
    make_member(contract.tenant, Role.ACCOUNT_MANAGER, email="am@msp.example")
    return contract, ticket_on(contract), UserFactory()


def test_levels_once_per_crossing(setup, django_capture_on_commit_callbacks):
    contract, ticket, tech = setup
    with django_capture_on_commit_callbacks(execute=True):
        time_entry_create(ticket=ticket, technician=tech, minutes=400)  # 67 %
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        entry = time_entry_create(ticket=ticket, technician=tech, minutes=90)  # 81.7 %
    assert len(mail.outbox) == 2
    assert all("80" in m.subject for m in mail.outbox)
    # One recipient group per message: the client's contact and the account manager apart.
    assert sorted(m.to for m in mail.outbox) == [["am@msp.example"], ["boss@client.example"]]
    to_client = next(m for m in mail.outbox if m.to == ["boss@client.example"])
    assert to_client.body.startswith("Hello ") and to_client.body.rstrip().endswith(
        f"— {contract.tenant.name}"
    )
    assert (
        Notification.unscoped.filter(kind="hours_low", membership__user__email="am@msp.example").count() == 1
    )
    # A re-draw (edit) crossing the same level again sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        entry = time_entry_update(entry=entry, minutes=10)
        entry = time_entry_update(entry=entry, minutes=95)
    assert len(mail.outbox) == 2
    with django_capture_on_commit_callbacks(execute=True):
        time_entry_create(ticket=ticket, technician=tech, minutes=80)  # 95.8 %
    assert len(mail.outbox) == 4 and all("95" in m.subject for m in mail.outbox[2:])
    assert BalanceWarning.unscoped.filter(contract=contract).count() == 2
    balance(contract)


def test_auto_renewal_is_announced_once(make_member, django_capture_on_commit_callbacks):
    contract = prepaid()
    ContactFactory(
        tenant=contract.tenant, client=contract.client, email="boss@client.example", portal_access=True
    )
    ticket, tech = ticket_on(contract), UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        time_entry_create(ticket=ticket, technician=tech, minutes=301)
    subjects = [m.subject for m in mail.outbox]
    assert sum("new block" in s for s in subjects) == 1
    assert BalanceWarning.unscoped.filter(reason=BalanceWarning.RENEWED).count() == 1


def test_one_draw_across_both_levels_sends_one_email(setup, django_capture_on_commit_callbacks):
    contract, ticket, tech = setup
    with django_capture_on_commit_callbacks(execute=True):
        time_entry_create(ticket=ticket, technician=tech, minutes=580)
    assert len(mail.outbox) == 2 and all("95" in m.subject for m in mail.outbox)
    assert BalanceWarning.unscoped.filter(contract=contract, reason=BalanceWarning.LEVEL).count() == 2


def test_levels_come_from_settings(setup, settings, django_capture_on_commit_callbacks):
    settings.HOURS_WARNING_LEVELS = (50,)
    contract, ticket, tech = setup
    with django_capture_on_commit_callbacks(execute=True):
        time_entry_create(ticket=ticket, technician=tech, minutes=300)
    assert len(mail.outbox) == 2 and all("50" in m.subject for m in mail.outbox)


@pytest.mark.parametrize(
    ("before", "after", "crosses"),
    [
        (600, 121, False),  # 10 h block, 79.8 % used: under 80 %
        (600, 120, True),  # exactly 80 % used
        (130, 100, True),  # 78 % -> 83 %
        (120, 60, False),  # 80 % was passed before this draw; 90 % is not a level
        (60, 30, True),  # 90 % -> 95 %
        (30, -15, False),  # past 95 % already: nothing new (over-use is overage)
        (600, None, False),  # nothing drawn
    ],
)
def test_a_draw_asks_for_a_check_only_when_it_crosses_a_level(before, after, crosses):
    from contracts.notifications import crosses_a_level

    assert crosses_a_level(block_minutes=600, balance_before=before, balance_after=after) is crosses
