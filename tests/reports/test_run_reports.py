"""The month's reports made in bulk: `run_reports --period` with its progress bar, and the
beat task on the 1st that makes last month's reports for every tenant, once."""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from billing.periods import Period
from msp.scoping import scope_of
from reports.models import MonthlyReport
from reports.tasks import reports_month_dispatch_task, reports_month_task
from tests.factories import ClientFactory, TenantFactory, TicketFactory, UserFactory, tenant_today
from tests.reports.helpers import last_month, work
from tests.timetracking.helpers import prepaid, ticket_on

pytestmark = pytest.mark.django_db


def busy_client(tenant, name: str, period: Period, **fields):
    client = ClientFactory(tenant=tenant, name=name, **fields)
    work(ticket_on(prepaid(client)), UserFactory(), period, 5, 30)
    return client


def reports_of(tenant) -> list[tuple[str, str, str]]:
    with scope_of(tenant.pk):
        return sorted(MonthlyReport.objects.values_list("client__name", "period", "status"))


def test_the_command_makes_the_month_with_progress_and_is_safe_to_rerun(tenant, acme, month):
    period, *_ = month
    busy_client(tenant, "Bravo Bakery", period)
    out, err = StringIO(), StringIO()
    call_command("run_reports", "--period", str(period), "--no-pdf", "--no-send", stdout=out, stderr=err)
    assert "alpha [##############################] 2/2" in err.getvalue()
    assert "alpha: 2 report(s) made, 0 already there, 0 sent, for 2 client(s)" in out.getvalue()
    assert reports_of(tenant) == [
        ("Acme Dental", str(period), "draft"),
        ("Bravo Bakery", str(period), "draft"),
    ]
    with scope_of(tenant.pk):
        assert not MonthlyReport.objects.exclude(pdf="").exists()

    out = StringIO()
    call_command(
        "run_reports", "--period", str(period), "--tenant", "alpha", "--send", stdout=out, stderr=StringIO()
    )
    # Made before: kept as they are (the PDF added), not sent: only what a run makes is sent.
    assert "0 report(s) made, 2 already there, 0 sent" in out.getvalue()
    with scope_of(tenant.pk):
        assert MonthlyReport.objects.filter(status="draft").exclude(pdf="").count() == 2


def test_the_command_sends_what_it_makes_and_names_who_has_no_recipient(
    tenant, acme, month, django_capture_on_commit_callbacks, mailoutbox
):
    period, *_ = month
    busy_client(tenant, "Nobody Ltd", period, billing_email="")  # no contact, no billing email
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_reports", "--period", str(period), "--send", stdout=out, stderr=StringIO())
    assert "2 report(s) made, 0 already there, 1 sent" in out.getvalue()
    assert "nobody to send to: Nobody Ltd" in out.getvalue()
    assert [m.to for m in mailoutbox] == [["dana@acme.example"]]
    assert reports_of(tenant) == [("Acme Dental", str(period), "sent"), ("Nobody Ltd", str(period), "draft")]


def test_the_command_refuses_bad_arguments(tenant):
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("run_reports", "--period", "10/2026", stdout=StringIO())
    with pytest.raises(CommandError, match="No tenant"):
        call_command("run_reports", "--period", "2026-10", "--tenant", "nope", stdout=StringIO())


def test_beat_makes_last_months_reports_for_every_tenant_once(
    tenant, acme, month, django_capture_on_commit_callbacks, mailoutbox
):
    period, *_ = month
    other = TenantFactory(name="Zulu MSP", slug="zulu", reports_auto_send=False)
    busy_client(other, "Zulu Client", last_month(other))
    TicketFactory(tenant=other, client=ClientFactory(tenant=other, name="Only this month"))
    schedule = settings.CELERY_BEAT_SCHEDULE["reports-monthly"]
    assert schedule["task"] == "reports.tasks.reports_month_dispatch_task"
    assert schedule["schedule"].day_of_month == {1}

    for _run in range(2):  # every hour of the 1st: the second run finds the reports made
        with django_capture_on_commit_callbacks(execute=True):
            assert reports_month_dispatch_task() == 2
    assert reports_of(tenant) == [("Acme Dental", str(period), "sent")]
    assert reports_of(other) == [("Zulu Client", str(last_month(other)), "draft")]  # waits for review
    assert len(mailoutbox) == 1


def test_a_tenant_whose_month_is_not_over_yet_waits(tenant, acme, month):
    """The task of a tenant still in the month's last day (or given a month long past) does
    nothing; the run of a later hour does it."""
    period, *_ = month
    long_ago = str(period.previous())
    assert "skipped" in reports_month_task(tenant.pk, long_ago)
    this_month = str(Period.of(tenant_today(tenant)))
    assert "skipped" in reports_month_task(tenant.pk, this_month)
    assert reports_of(tenant) == []
    assert reports_month_task(tenant.pk, str(period))["generated"] == 1
