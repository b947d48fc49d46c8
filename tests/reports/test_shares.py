"""A report shared by link with someone who has no login: it works, it expires, the MSP
revokes it, and the link's key is never stored."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from msp.roles import Role
from reports.models import ReportShare
from reports.shares import report_share_create, report_share_revoke
from tests.factories import ClientFactory, sent_report
from tests.reports.helpers import last_month, pdf_text

pytestmark = pytest.mark.django_db


def test_a_link_opens_the_report_and_its_pdf_until_it_expires(acme, owner):
    report = sent_report(acme)
    share, key = report_share_create(report=report, days=7, by=owner.user)
    page = HttpClient().get(reverse("report_share", args=[key]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Acme Dental" in body and reverse("report_share_pdf", args=[key]) in body
    assert 'name="robots" content="noindex' in body
    pdf = HttpClient().get(reverse("report_share_pdf", args=[key]))
    assert pdf["Content-Type"] == "application/pdf" and "Acme Dental" in pdf_text(pdf.content)
    share.refresh_from_db()
    assert share.views == 1 and share.last_viewed_at is not None

    ReportShare.unscoped.filter(pk=share.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    for name in ("report_share", "report_share_pdf"):
        gone = HttpClient().get(reverse(name, args=[key]))
        assert gone.status_code == 410 and b"expired" in gone.content and b"Acme Dental" not in gone.content


def test_a_revoked_link_opens_nothing(acme, owner):
    share, key = report_share_create(report=sent_report(acme), by=owner.user)
    report_share_revoke(share=share, by=owner.user)
    gone = HttpClient().get(reverse("report_share", args=[key]))
    assert gone.status_code == 410 and b"withdrawn" in gone.content
    with pytest.raises(ValidationError, match="already revoked"):
        report_share_revoke(share=share)


def test_the_key_is_never_stored(acme, owner):
    share, key = report_share_create(report=sent_report(acme), by=owner.user)
    assert len(key) >= 40 and share.digest != key and len(share.digest) == 64
    row = ReportShare.unscoped.filter(pk=share.pk).values().get()
    assert not any(key in str(value) for value in row.values())
    for wrong in (key[:-1], key + "x", share.digest, "", "a" * 500):
        assert HttpClient().get(f"/r/{wrong}/").status_code in (404,), wrong


def test_the_lifetime_is_one_of_the_offered_ones(acme):
    report = sent_report(acme)
    with pytest.raises(ValidationError, match="how long the link works"):
        report_share_create(report=report, days=10_000)


def test_a_member_of_another_tenant_opens_a_link_like_anybody(acme, other_tenant, make_member):
    """The link names its tenant: a reader signed in to another organisation reads it too."""
    _share, key = report_share_create(report=sent_report(acme))
    reader = HttpClient()
    reader.force_login(make_member(other_tenant, Role.OWNER).user)
    assert reader.get(reverse("report_share", args=[key])).status_code == 200


def test_the_page_runs_the_same_queries_for_any_report(tenant, acme, make_member):
    """Not measured by tests/test_query_counts.py (the key is no row's id): here, a small and a
    big month, opened anonymously and signed in, run as many queries."""
    from tests.factories import TicketFactory

    busy = ClientFactory(tenant=tenant, name="Busy")
    TicketFactory.create_batch(12, tenant=tenant, client=busy)
    small_key = report_share_create(report=sent_report(acme))[1]
    big_key = report_share_create(report=sent_report(busy, last_month(tenant)))[1]
    member = HttpClient()
    member.force_login(make_member(tenant, Role.OWNER).user)
    for http in (HttpClient(), member):
        counts = []
        for key in (small_key, big_key):
            http.get(reverse("report_share", args=[key]))  # warm up
            with CaptureQueriesContext(connection) as queries:
                assert http.get(reverse("report_share", args=[key])).status_code == 200
            counts.append(len(queries))
        assert counts[0] == counts[1] <= 8, counts
