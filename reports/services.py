"""Writes of monthly client reports: generate (once per client and month), regenerate a
draft, send, and the whole month of a tenant.

A report is computed once and stored whole (figures, HTML snapshot, PDF): it is what the
client was, or will be, sent, and nothing reads the data again to show it. So the month's
data may change afterwards (a late time entry, a ticket re-opened) and a sent report stays as
it was sent. A draft may be regenerated on purpose (the MSP fixed a time entry and wants the
report to show it); a sent report is frozen, and regenerating it is refused.

Only months that are over are stored: a report of a month still running would be frozen with
half its data (and the run on the 1st would find it and send it). Any month can be previewed
(reports.views.ReportPreviewView), nothing stored.

"Generated once" is the database's rule: the unique key (client, period). A second call
returns the first report; two at once (a double click, the beat task redelivered while the
command runs) make one row, and the loser returns the winner's.
"""

from __future__ import annotations

import hashlib
import logging
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _

from billing.periods import Period
from msp.links import absolute
from msp.locking import lock_row
from msp.mail import compose, email_queue
from msp.models import Client, Tenant
from msp.scoping import current_scope, scope_of
from msp.selectors import document_language, time_zone_for
from reports.figures import MonthFigures, month_figures
from reports.models import MonthlyReport, ReportStatus
from reports.render import report_html, report_pdf
from reports.selectors import report_clients, report_recipients

logger = logging.getLogger(__name__)


def as_period(period: Period | str) -> Period:
    """A Period from "YYYY-MM" (ValidationError when malformed), or the Period itself."""
    return period if isinstance(period, Period) else Period.parse(period)


def month_label(period: Period) -> str:
    """ "October 2026" in the active language."""
    return date_format(period.start, "YEAR_MONTH_FORMAT")


def tenant_zone(tenant: Tenant) -> zoneinfo.ZoneInfo | None:
    """The MSP's time zone: its reports' months begin and end at its midnights."""
    return time_zone_for(tenant=tenant)


def month_is_over(client: Client, period: Period) -> bool:
    """Whether the month has ended in the MSP's time zone (where the report's month ends)."""
    return timezone.localdate(timezone=tenant_zone(client.tenant)) > period.end


def _in_scope_of(client: Client):
    """The client's tenant scope (a client contact's scope widens to it: the work is the
    MSP's). Another tenant's client is bad input: to this scope it does not exist."""
    active = current_scope()
    if active is not None and active.tenant_id != client.tenant_id:
        raise ValidationError({"client": _("Client not found.")})
    return scope_of(client.tenant_id)


# --- rendering --------------------------------------------------------------------------------


def render_report(client: Client, figures: MonthFigures, *, for_pdf: bool = False) -> str:
    """The report's HTML (in the client's document language and the MSP's time zone, which
    the figures carry)."""
    return report_html(figures, for_pdf=for_pdf)


def _digest(html: str) -> str:
    return hashlib.sha256(html.encode()).hexdigest()


def report_pdf_filename(report: MonthlyReport) -> str:
    with translation.override(document_language(report.client)):
        kind = _("monthly-report")
    return f"{slugify(kind)}-{slugify(report.client.name) or 'client'}-{report.period}.pdf"


def _store_pdf(report: MonthlyReport, data: bytes, digest: str) -> None:
    """Write the PDF's file and point the report at it (the caller saves the row)."""
    old = report.pdf.name if report.pdf else ""
    report.pdf.save(report_pdf_filename(report), ContentFile(data), save=False)
    report.pdf_digest = digest
    if old and old != report.pdf.name:
        storage, name = report.pdf.storage, old
        transaction.on_commit(lambda: storage.delete(name))


def report_pdf_bytes(report: MonthlyReport) -> bytes:
    """The report's PDF: the stored file, else rendered now from the report's stored figures
    (never from the data as it is today) and stored, as billing does for invoices."""
    if report.pdf:
        try:
            with report.pdf.open("rb") as stored:
                return stored.read()
        except FileNotFoundError:
            pass
    with _in_scope_of(report.client):
        figures = MonthFigures.from_json(report.figures)
        html = render_report(report.client, figures, for_pdf=True)
        data = report_pdf(html)
        _store_pdf(report, data, _digest(html))
        MonthlyReport.objects.filter(pk=report.pk).update(pdf=report.pdf.name, pdf_digest=report.pdf_digest)
    return data


# --- generating -------------------------------------------------------------------------------

REGENERATE_SENT = _(
    "This report was sent to the client on %(date)s: it stays as it was sent, whatever changed since."
)


def _refuse_sent(report: MonthlyReport):
    when = date_format(timezone.localtime(report.sent_at), "DATE_FORMAT")
    return ValidationError(REGENERATE_SENT % {"date": when}, code="sent")


def generate_report(
    client: Client, period: Period | str, *, regenerate: bool = False, by=None, pdf: bool = True
) -> MonthlyReport:
    """The client's report of the month: the stored one, or computed and stored now (figures,
    HTML snapshot and, with `pdf`, the PDF). `regenerate` computes a draft again from today's
    data; a sent report is never regenerated (ValidationError)."""
    return generate_or_get(client, period, regenerate=regenerate, by=by, pdf=pdf)[0]


def generate_or_get(
    client: Client, period: Period | str, *, regenerate: bool = False, by=None, pdf: bool = True
) -> tuple[MonthlyReport, bool]:
    """generate_report's (report, whether this call created it)."""
    period = as_period(period)
    with _in_scope_of(client):
        existing = MonthlyReport.objects.filter(client=client, period=str(period)).first()
        if existing is not None and not regenerate:
            if pdf and not existing.pdf:  # made without one (`run_reports --no-pdf`): add it
                existing.client = client
                report_pdf_bytes(existing)
            return existing, False
        if existing is not None and not existing.is_draft:
            raise _refuse_sent(existing)
        made = _compute(client, period, pdf=pdf)
        if existing is not None:
            return _regenerate(existing, *made, by=by), False
        return _create(client, period, *made, by=by)


def _compute(client: Client, period: Period, *, pdf: bool) -> tuple:
    """The month's figures, HTML snapshot, and with `pdf` the print HTML and its digest: the
    slow part, done outside any lock."""
    if not month_is_over(client, period):
        raise ValidationError(
            {"period": _("%(month)s is not over yet: preview it instead.") % {"month": month_label(period)}}
        )
    figures = month_figures(client, period)
    html = render_report(client, figures)
    pdf_html = render_report(client, figures, for_pdf=True) if pdf else ""
    return figures, html, pdf_html, _digest(pdf_html) if pdf else ""


def _create(
    client, period, figures, html, pdf_html, digest, *, by, savepoint: bool = True
) -> tuple[MonthlyReport, bool]:
    """Store a new report. The same report may be made at this moment (a double click, the
    beat task beside the command): the unique key lets one in, and the other returns it. With
    `savepoint` False the caller's own savepoint catches the IntegrityError instead."""
    report = MonthlyReport(
        tenant_id=client.tenant_id,
        client=client,
        period=str(period),
        figures=figures.to_json(),
        html=html,
        generated_at=timezone.now(),
        generated_by=by,
    )
    if pdf_html:
        _store_pdf(report, report_pdf(pdf_html), digest)
    if not savepoint:
        report.save()
        return report, True
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:
        if report.pdf:
            report.pdf.storage.delete(report.pdf.name)
        winner = MonthlyReport.objects.filter(client=client, period=str(period)).first()
        if winner is None:
            raise
        return winner, False
    return report, True


def _regenerate(existing, figures, html, pdf_html, digest, *, by) -> MonthlyReport:
    with transaction.atomic():
        report = lock_row(MonthlyReport.objects.select_related("client__tenant"), pk=existing.pk)
        if not report.is_draft:  # sent while this one was computing
            raise _refuse_sent(report)
        report.figures, report.html = figures.to_json(), html
        report.generated_at, report.generated_by = timezone.now(), by
        if not pdf_html:
            report.pdf, report.pdf_digest = "", ""  # stale: rendered again when asked for
        elif not report.pdf or report.pdf_digest != digest:
            _store_pdf(report, report_pdf(pdf_html), digest)
        report.save()
    return report


# --- sending ----------------------------------------------------------------------------------


def send_report(report: MonthlyReport, *, by=None) -> MonthlyReport:
    """E-mail the report's PDF to the client's report recipients and mark it sent: from now on
    it is frozen. Queued through the outgoing mail (msp.mail: a worker sends it and retries;
    a failure shows on the Outgoing mail page). A report already sent, or a client with nobody
    to send it to, is refused (ValidationError) and nothing changes."""
    with _in_scope_of(report.client), transaction.atomic():
        locked = lock_row(MonthlyReport.objects.select_related("client__tenant"), pk=report.pk)
        if not locked.is_draft:
            when = date_format(timezone.localtime(locked.sent_at), "DATE_FORMAT")
            raise ValidationError(
                _("This report was already sent on %(date)s, to %(to)s.")
                % {"date": when, "to": ", ".join(locked.sent_to)},
                code="sent",
            )
        recipients = report_recipients(locked.client)
        if not recipients:
            raise ValidationError(
                _(
                    "%(client)s has nobody to send reports to: tick “Receives monthly reports” on a "
                    "contact, or give the client a billing email."
                )
                % {"client": locked.client},
                code="no_recipient",
            )
        data = report_pdf_bytes(locked)
        email_queue(report_email(locked, recipients, data), tenant_id=locked.tenant_id)
        locked.status, locked.sent_at, locked.sent_to, locked.sent_by = (
            ReportStatus.SENT,
            timezone.now(),
            recipients,
            by,
        )
        locked.save(update_fields=["status", "sent_at", "sent_to", "sent_by", "pdf", "pdf_digest"])
    return locked


def report_email(report: MonthlyReport, recipients: list[str], pdf: bytes):
    client = report.client
    tenant = client.tenant
    period = Period.parse(report.period)
    with translation.override(document_language(client)):
        month = month_label(period)
        subject = _("Your monthly report for %(month)s from %(msp)s") % {"month": month, "msp": tenant.name}
        body = _(
            "Here is what we did for %(client)s in %(month)s: the work, the tickets and how fast we "
            "answered them, what we prevented, and your hours. The report is attached as a PDF; you "
            "also find it in your portal."
        ) % {"client": client.name, "month": month}
        message = compose(
            tenant=tenant, to=recipients, subject=subject, body=body, link=absolute(reverse("dashboard"))
        )
        filename = report_pdf_filename(report)
    message.attach(filename, pdf, "application/pdf")
    return message


# --- the month of a tenant ----------------------------------------------------------------------


@dataclass
class MonthRun:
    period: str
    clients: int = 0
    generated: list[int] = field(default_factory=list)  # reports made by this run
    existing: int = 0  # reports found made before (a re-run, or the MSP's own)
    sent: int = 0
    no_recipient: list[str] = field(default_factory=list)  # client names: their reports wait
    failed: list[str] = field(default_factory=list)  # client names whose report failed


def generate_month(
    tenant: Tenant,
    period: Period | str,
    *,
    pdf: bool = True,
    send: bool | None = None,
    by=None,
    each: Callable[[Iterable, int], Iterable] | None = None,
) -> MonthRun:
    """Every report of the month for the tenant's clients with something to report (a
    contract running in the month, or tickets, time or alerts in it). Safe to re-run: a report
    made before is kept as it is. `send` (default: the tenant's setting) e-mails the reports
    this run makes; drafts made earlier wait for the MSP, and a client with nobody to send to
    keeps its report as a draft. `each` wraps the clients' iteration (the command's progress
    bar). One client's failure is logged and the others go on."""
    period = as_period(period)
    with scope_of(tenant.pk), timezone.override(tenant_zone(tenant)):
        send = tenant.reports_auto_send if send is None else send
        clients = list(
            Client.objects.filter(pk__in=report_clients(period))
            .select_related("tenant")
            .order_by("name", "pk")
        )
        run = MonthRun(period=str(period), clients=len(clients))
        have_pdf = dict(
            MonthlyReport.objects.filter(period=str(period)).values_list("client_id", "pdf").order_by()
        )
        for client in each(clients, len(clients)) if each is not None else clients:
            try:
                if client.pk in have_pdf:
                    if pdf and not have_pdf[client.pk]:  # made without its PDF: add it
                        generate_or_get(client, period, pdf=True)
                    run.existing += 1
                    continue
                with transaction.atomic():  # one client's report, and its sending, or nothing
                    made = _compute(client, period, pdf=pdf)
                    report, _created = _create(client, period, *made, by=by, savepoint=False)
                    run.generated.append(report.pk)
                    if send:
                        try:
                            send_report(report, by=by)
                            run.sent += 1
                        except ValidationError:
                            run.no_recipient.append(client.name)
            except IntegrityError:  # made at this moment by another run (the beat task, a member)
                run.existing += 1
            except Exception:  # one client's bad data must not stop the month of the others
                logger.exception("Monthly report of %s (client %s) for %s failed", client, client.pk, period)
                run.failed.append(client.name)
    return run
