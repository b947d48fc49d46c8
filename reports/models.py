"""Monthly client reports as they were generated, and the links that share one.

A report is stored whole when it is generated (reports.services): the figures as JSON, the
HTML snapshot and the PDF rendered from it. Nothing re-reads the data afterwards, so a later
edit (a time entry added to the month, a ticket re-opened) never changes a report; a draft may
be regenerated on purpose, a sent report never is. One report per client and month: the
unique key makes "generated once" a database fact, so a re-run of the month finds the report
it made before.

A share is a link for someone without a login (a client's director): the link's key is shown
once, when the link is made, and only its digest is stored, as for invitations
(msp.models.invitations). It expires, and the MSP may revoke it sooner.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from msp.models.invitations import invitation_digest as link_digest
from msp.scoping import TenantOwnedModel


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")


class MonthlyReport(TenantOwnedModel):
    CLIENT_PATH = "client"

    client = models.ForeignKey(
        "msp.Client", verbose_name=_("client"), on_delete=models.CASCADE, related_name="monthly_reports"
    )
    period = models.CharField(_("month"), max_length=7, help_text=_("YYYY-MM"))
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    # reports.figures.MonthFigures.to_json() as generated; the HTML snapshot shows the same.
    figures = models.JSONField(default=dict, blank=True)
    html = models.TextField(blank=True)
    # The PDF and a digest of the HTML it was rendered from (as billing's Invoice.pdf): a
    # regeneration that shows the same renders no new PDF.
    pdf = models.FileField(upload_to="reports/%Y/", blank=True)
    pdf_digest = models.CharField(max_length=64, blank=True)
    generated_at = models.DateTimeField(_("generated"), default=timezone.now)
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_to = models.JSONField(_("sent to"), default=list, blank=True)  # the addresses, as sent
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period", "-pk"]
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        constraints = [
            models.UniqueConstraint(
                fields=["client", "period"], name="%(app_label)s_%(class)s_one_per_client_and_month"
            ),
            models.CheckConstraint(
                condition=Q(status="draft", sent_at__isnull=True) | Q(status="sent", sent_at__isnull=False),
                name="%(app_label)s_%(class)s_sent_iff_sent_at",
            ),
        ]
        indexes = [
            # The list's default order and the API's orderings, each read in order; a client's
            # reports by month come from the unique key (client, period).
            models.Index(fields=["tenant", "period", "id"], name="report_tenant_period"),
            models.Index(fields=["tenant", "generated_at", "id"], name="report_tenant_generated"),
        ]

    def __str__(self) -> str:
        return f"{self.client} · {self.period}" if self.client_id else self.period

    def get_absolute_url(self) -> str:
        return reverse("monthly_reports:detail", args=[self.pk])

    @property
    def is_draft(self) -> bool:
        return self.status == ReportStatus.DRAFT


class ShareStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    EXPIRED = "expired", _("expired")
    REVOKED = "revoked", _("revoked")


class ReportShare(TenantOwnedModel):
    """A link to one report for someone without a login; only its key's digest is kept."""

    CLIENT_PATH = None  # the MSP's: client contacts never list the links

    report = models.ForeignKey(MonthlyReport, on_delete=models.CASCADE, related_name="shares")
    digest = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The page was opened: how often and when last (the MSP sees whether the link was used).
    views = models.PositiveIntegerField(default=0)
    last_viewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("report link")
        verbose_name_plural = _("report links")
        indexes = [models.Index(fields=["tenant", "report", "created_at"], name="report_share_report")]

    def __str__(self) -> str:
        return str(_("Link to %(report)s") % {"report": self.report}) if self.report_id else ""

    @staticmethod
    def new_key() -> tuple[str, str]:
        """A fresh link key and its digest."""
        key = secrets.token_urlsafe(32)
        return key, link_digest(key)

    @property
    def status(self) -> str:
        if self.revoked_at:
            return ShareStatus.REVOKED
        if self.expires_at <= timezone.now():
            return ShareStatus.EXPIRED
        return ShareStatus.ACTIVE

    @property
    def is_active(self) -> bool:
        return self.status == ShareStatus.ACTIVE

    def get_status_display(self) -> str:
        return ShareStatus(self.status).label
