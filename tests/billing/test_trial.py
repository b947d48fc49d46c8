"""The seeds' offer: Platinum free for 60 days from 10 August 2026. August and September bill
0.00 with the value shown, the reminder goes out once 14 days before the end, and October bills
in full from the 9th (prorated)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from djmoney.money import Money

from assets.choices import AssetKind
from billing.models import Invoice, LineKind
from billing.periods import Period
from billing.services.run import billing_run
from contracts.choices import ContractKind
from contracts.services import contract_validate
from contracts.trials import trial_reminders
from msp.models import Notification
from msp.roles import Role
from msp.scoping import scope_of
from tests.factories import AssetFactory, ClientFactory, ContactFactory, ContractFactory, ServiceTierFactory

pytestmark = pytest.mark.django_db

TRIAL_START = datetime.date(2026, 8, 10)
TRIAL_END = TRIAL_START + datetime.timedelta(days=59)  # 60 days: 10 August to 8 October


def eur(amount):
    return Money(Decimal(amount), "EUR")


@pytest.fixture
def trial(tenant):
    tenant.tax_rate = Decimal("22")
    tenant.save()
    platinum = ServiceTierFactory(
        tenant=tenant, name="Platinum", currency="EUR", prices={"server": "350.00", "desktop": "60.00"}
    )
    client = ClientFactory(tenant=tenant, name="Studio Bianchi", currency="EUR")
    AssetFactory(tenant=tenant, client=client, kind=AssetKind.SERVER)
    AssetFactory(tenant=tenant, client=client, kind=AssetKind.DESKTOP)
    with scope_of(tenant.pk):
        from assets.models import Asset

        Asset.objects.filter(client=client).update(
            created_at=datetime.datetime(2026, 8, 1, tzinfo=datetime.UTC)
        )
    return ContractFactory(
        tenant=tenant, client=client, tier=platinum, start_date=TRIAL_START, trial_end=TRIAL_END
    )


def _invoice(tenant, period):
    (invoice_id,) = billing_run(tenant=tenant, period=period).invoices
    with scope_of(tenant.pk):
        return Invoice.objects.prefetch_related("lines").get(pk=invoice_id)


def test_the_trial_months_bill_nothing_and_show_the_value_then_the_fee_starts(trial, tenant):
    assert TRIAL_END == datetime.date(2026, 10, 8)
    august = _invoice(tenant, Period(2026, 8))
    lines = [(line.kind, line.unit_price) for line in august.lines.all()]
    # 22 of 31 days: 350 x 22/31 = 248.39, 60 x 22/31 = 42.58; both discounted in full.
    assert lines == [
        (LineKind.RECURRING_FEE, eur("248.39")),
        (LineKind.RECURRING_FEE, eur("42.58")),
        (LineKind.DISCOUNT, eur("-248.39")),
        (LineKind.DISCOUNT, eur("-42.58")),
    ]
    assert (august.subtotal, august.tax, august.total) == (eur("0.00"), eur("0.00"), eur("0.00"))
    assert f"Free trial until {date_format(TRIAL_END, 'DATE_FORMAT')}" in august.lines.all()[2].description

    september = _invoice(tenant, Period(2026, 9))
    assert september.total == eur("0.00")
    assert [line.unit_price for line in september.lines.all()][:2] == [eur("350.00"), eur("60.00")]

    october = _invoice(tenant, Period(2026, 10))
    values = [(line.kind, line.unit_price) for line in october.lines.all()]
    # The whole month's value, less the 8 trial days: 350 x 8/31 = 90.32, 60 x 8/31 = 15.48.
    assert values == [
        (LineKind.RECURRING_FEE, eur("350.00")),
        (LineKind.RECURRING_FEE, eur("60.00")),
        (LineKind.DISCOUNT, eur("-90.32")),
        (LineKind.DISCOUNT, eur("-15.48")),
    ]
    assert october.subtotal == eur("304.20")  # 410.00 - 105.80: the 23 days after the trial

    november = _invoice(tenant, Period(2026, 11))
    assert [line.kind for line in november.lines.all()] == [LineKind.RECURRING_FEE] * 2


def test_the_reminder_goes_once_fourteen_days_before_the_end(
    trial, tenant, make_member, mailoutbox, django_capture_on_commit_callbacks
):
    manager = make_member(tenant, Role.ACCOUNT_MANAGER, email="am@lantern.example")
    ContactFactory(
        tenant=tenant,
        client=trial.client,
        name="Anna Bianchi",
        email="anna@bianchi.example",
        portal_access=True,
    )
    with scope_of(tenant.pk), django_capture_on_commit_callbacks(execute=True):
        assert trial_reminders(today=datetime.date(2026, 9, 23)) == []  # 15 days before: not yet
        assert trial_reminders(today=datetime.date(2026, 9, 24)) == [trial.pk]
        assert trial_reminders(today=datetime.date(2026, 9, 25)) == []  # once
        assert Notification.objects.filter(membership=manager, kind="trial_ending").count() == 1
    to = sorted(address for mail in mailoutbox for address in mail.to)
    assert to == ["am@lantern.example", "anna@bianchi.example"]  # one mail each, never shared
    client_mail = next(mail for mail in mailoutbox if mail.to == ["anna@bianchi.example"])
    assert (
        date_format(TRIAL_END, "DATE_FORMAT") in client_mail.subject and "/portal/offers/" in client_mail.body
    )


def test_a_trial_only_on_a_managed_contract_and_not_before_it_starts(tenant):
    prepaid = ContractFactory.build(
        tenant=tenant, client=ClientFactory(tenant=tenant), kind=ContractKind.PREPAID_HOURS, tier=None, currency="EUR",
        start_date=TRIAL_START, trial_end=TRIAL_END,
    )  # fmt: skip
    with scope_of(tenant.pk), pytest.raises(ValidationError, match="Only a managed contract"):
        contract_validate(contract=prepaid)
