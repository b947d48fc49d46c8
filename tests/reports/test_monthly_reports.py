"""Monthly client reports as the MSP lives them: generated once per client and month, a draft
regenerated on purpose, sent with its PDF, and frozen once sent whatever the data does later.
The figures themselves are reports.figures' (tests/reports/test_monthly_report.py): here, what is
stored, when, and what never changes."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from billing.periods import Period
from msp.models import OutboundEmail
from msp.scoping import scope_of
from reports.models import MonthlyReport, ReportStatus
from reports.services import generate_month, generate_or_get, generate_report, report_pdf_bytes, send_report
from tests.factories import ClientFactory, ContactFactory, TicketFactory, tenant_today
from tests.reports.helpers import last_month, pdf_text, work, worked_in

pytestmark = pytest.mark.django_db


def test_a_month_is_generated_once_and_regenerated_only_as_a_draft(acme, month, owner):
    period, ticket, tech = month
    report = generate_report(acme, period, by=owner.user)
    assert (report.status, report.period, report.client_id) == (ReportStatus.DRAFT, str(period), acme.pk)
    assert (
        report.figures
        and "Acme Dental" in report.html
        and report.html.lstrip().lower().startswith("<!doctype")
    )
    assert report.pdf.name.endswith(f"-acme-dental-{period}.pdf") and len(report.pdf_digest) == 64
    assert "Acme Dental" in pdf_text(report_pdf_bytes(report))

    # Again: the same report, not a new one, not recomputed.
    again, created = generate_or_get(acme, str(period))
    assert (again.pk, created, again.html, again.generated_at) == (
        report.pk,
        False,
        report.html,
        report.generated_at,
    )
    with scope_of(acme.tenant_id):
        assert MonthlyReport.objects.filter(client=acme).count() == 1

    # The month changes (a late entry); a regenerated draft shows it, with a new PDF.
    work(ticket, tech, period, 20, 45)
    redone = generate_report(acme, period, regenerate=True, by=owner.user)
    assert redone.pk == report.pk and redone.is_draft
    assert redone.figures != report.figures and redone.html != report.html
    assert redone.pdf_digest != report.pdf_digest and redone.generated_at > report.generated_at


def test_a_sent_report_never_changes(acme, month, owner, django_capture_on_commit_callbacks, mailoutbox):
    period, ticket, tech = month
    report = generate_report(acme, period)
    with django_capture_on_commit_callbacks(execute=True):
        sent = send_report(report, by=owner.user)
    assert sent.status == ReportStatus.SENT and sent.sent_at and sent.sent_by == owner.user
    assert sent.sent_to == ["dana@acme.example"]  # the contact who receives reports, not the others
    (mail,) = mailoutbox
    assert mail.to == ["dana@acme.example"] and str(period.year) in mail.subject
    (attachment,) = [part for part in mail.message().walk() if part.get_content_type() == "application/pdf"]
    assert attachment.get_filename() == f"monthly-report-acme-dental-{period}.pdf"
    assert "Acme Dental" in pdf_text(attachment.get_payload(decode=True))
    with scope_of(acme.tenant_id):
        assert OutboundEmail.objects.get().status == "sent"  # through the outgoing mail queue
    pdf_before = report_pdf_bytes(sent)

    # The data changes afterwards: the sent report does not, and cannot be regenerated.
    work(ticket, tech, period, 25, 120)
    with pytest.raises(ValidationError, match="sent to the client on .*stays as it was sent"):
        generate_report(acme, period, regenerate=True)
    with pytest.raises(ValidationError, match="already sent"):
        send_report(sent)
    kept = generate_report(acme, period)
    assert (kept.html, kept.figures, kept.pdf_digest) == (sent.html, sent.figures, sent.pdf_digest)
    assert report_pdf_bytes(kept) == pdf_before
    assert len(mailoutbox) == 1


def test_recipients_fall_back_to_the_billing_email_and_none_is_refused(tenant, owner):
    period = last_month(tenant)
    billing_only = ClientFactory(tenant=tenant, name="Billing Only", billing_email="ap@billing.example")
    nobody = ClientFactory(tenant=tenant, name="Nobody", billing_email="")
    ContactFactory(tenant=tenant, client=nobody, email="x@nobody.example")  # not a report recipient
    assert send_report(generate_report(billing_only, period, pdf=False)).sent_to == ["ap@billing.example"]
    draft = generate_report(nobody, period, pdf=False)
    with pytest.raises(ValidationError, match="nobody to send reports to"):
        send_report(draft)
    draft.refresh_from_db()
    assert draft.is_draft and draft.sent_to == []


def test_a_month_not_over_is_previewed_not_stored(acme):
    this_month = Period.of(tenant_today(acme.tenant))
    with pytest.raises(ValidationError, match="not over yet"):
        generate_report(acme, this_month)
    with pytest.raises(ValidationError, match="YYYY-MM"):
        generate_report(acme, "2026-13")
    with scope_of(acme.tenant_id):
        assert not MonthlyReport.objects.exists()


def test_another_tenants_client_is_refused(acme, other_tenant):
    with scope_of(other_tenant.pk), pytest.raises(ValidationError, match="not found"):
        generate_report(acme, last_month(acme.tenant))


def test_the_month_of_a_tenant_reports_every_client_with_something_to_report(
    tenant, acme, month, django_capture_on_commit_callbacks, mailoutbox
):
    period, *_ = month
    quiet = ClientFactory(tenant=tenant, name="Quiet")  # no contract, no activity: no report
    busy = ClientFactory(tenant=tenant, name="Busy", billing_email="it@busy.example")
    TicketFactory(tenant=tenant, client=busy, subject="Old one")  # opened this month: not last month's
    ticket = TicketFactory(tenant=tenant, client=busy, subject="Last month's")
    from tickets.models import Ticket

    Ticket.unscoped.filter(pk=ticket.pk).update(created_at=worked_in(period, 12))
    with django_capture_on_commit_callbacks(execute=True):
        run = generate_month(tenant, period, pdf=False)  # the tenant sends automatically (default)
    assert (run.clients, len(run.generated), run.existing, run.sent, run.failed) == (2, 2, 0, 2, [])
    with scope_of(tenant.pk):
        reports = dict(MonthlyReport.objects.values_list("client__name", "status"))
    assert reports == {"Acme Dental": "sent", "Busy": "sent"} and quiet.name not in reports
    assert sorted(m.to[0] for m in mailoutbox) == ["dana@acme.example", "it@busy.example"]

    again = generate_month(tenant, period, pdf=False)
    assert (len(again.generated), again.existing, again.sent) == (0, 2, 0)
    assert len(mailoutbox) == 2


def test_drafts_wait_for_review_when_the_tenant_says_so(tenant, acme, month):
    period, *_ = month
    tenant.reports_auto_send = False
    tenant.save()
    run = generate_month(tenant, period, pdf=False)
    assert (len(run.generated), run.sent) == (1, 0)
    with scope_of(tenant.pk):
        assert MonthlyReport.objects.get().status == ReportStatus.DRAFT


def test_a_report_made_without_its_pdf_gets_it_from_its_own_figures(acme, month):
    period, ticket, tech = month
    report = generate_report(acme, period, pdf=False)
    assert not report.pdf
    work(ticket, tech, period, 9, 30)
    with_pdf = generate_report(acme, period)  # asked again, with a PDF this time
    assert with_pdf.pk == report.pk and with_pdf.pdf and with_pdf.figures == report.figures
    assert with_pdf.html == report.html
