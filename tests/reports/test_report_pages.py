"""The monthly reports in the MSP's browser: an account manager previews a client's month,
stores it, regenerates the draft, sends it, downloads its PDF and shares it by link; who may
do what; the settings and the contact's "receives reports" flag."""

from __future__ import annotations

import pytest
from django.urls import reverse

from msp.models import Contact
from msp.roles import Role
from msp.scoping import scope_of
from reports.models import MonthlyReport, ReportShare
from tests.factories import ClientFactory, sent_report
from tests.reports.helpers import last_month, pdf_text, work

pytestmark = pytest.mark.django_db


def signed_in(client, member):
    client.force_login(member.user)
    return client


def test_an_account_manager_previews_stores_regenerates_sends_and_shares(
    client, tenant, make_member, acme, month, django_capture_on_commit_callbacks, mailoutbox
):
    period, ticket, tech = month
    signed_in(client, make_member(tenant, Role.ACCOUNT_MANAGER))
    preview_url = reverse("monthly_reports:preview", args=[acme.pk])

    # The list's "preview a client's month" form leads to the client's preview.
    picked = client.get(
        reverse("monthly_reports:list"),
        {"preview": "1", "preview-client": acme.pk, "preview-period": str(period)},
    )
    assert picked.status_code == 302 and picked["Location"] == f"{preview_url}?period={period}"
    preview = client.get(preview_url, {"period": str(period)})
    assert preview.status_code == 200
    assert b"Acme Dental" in preview.content and b"Store this report" in preview.content
    with scope_of(tenant.pk):
        assert not MonthlyReport.objects.exists()  # a preview stores nothing
    assert client.get(preview_url, {"period": "2026-13"}).status_code == 400

    stored = client.post(reverse("monthly_reports:generate"), {"client": acme.pk, "period": str(period)})
    with scope_of(tenant.pk):
        report = MonthlyReport.objects.get()
    assert stored.status_code == 302 and stored["Location"] == report.get_absolute_url()
    page = client.get(report.get_absolute_url())
    assert page.status_code == 200
    assert b"Regenerate" in page.content and b"Send to the client" in page.content
    assert b"srcdoc=" in page.content and b"Acme Dental" in page.content
    # Storing it again opens the same report.
    assert (
        client.post(reverse("monthly_reports:generate"), {"client": acme.pk, "period": str(period)})[
            "Location"
        ]
        == report.get_absolute_url()
    )

    work(ticket, tech, period, 11, 50)
    client.post(reverse("monthly_reports:regenerate", args=[report.pk]))
    regenerated = MonthlyReport.unscoped.get(pk=report.pk)
    assert regenerated.html != report.html and regenerated.figures != report.figures

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(reverse("monthly_reports:send", args=[report.pk]), follow=True)
    assert "sent to dana@acme.example" in sent.content.decode()
    assert [m.to for m in mailoutbox] == [["dana@acme.example"]]
    page = client.get(report.get_absolute_url()).content
    assert b"Regenerate" not in page and b"Send to the client" not in page
    refused = client.post(reverse("monthly_reports:regenerate", args=[report.pk]), follow=True)
    assert "stays as it was sent" in refused.content.decode()

    pdf = client.get(reverse("monthly_reports:pdf", args=[report.pk]))
    assert pdf["Content-Type"] == "application/pdf" and "attachment" in pdf["Content-Disposition"]
    assert "Acme Dental" in pdf_text(pdf.content)

    made = client.post(reverse("monthly_reports:share", args=[report.pk]), {"days": "7"})
    assert made.status_code == 200
    link = made.context["link"]
    assert "/r/" in link and b"cannot be shown again" in made.content
    shared = client.__class__().get(link)  # somebody with no login
    assert shared.status_code == 200 and b"Acme Dental" in shared.content
    with scope_of(tenant.pk):
        share = ReportShare.objects.get()
    assert share.views == 1 and share.expires_at.date() > share.created_at.date()
    client.post(reverse("monthly_reports:share-revoke", args=[share.pk]))
    assert client.__class__().get(link).status_code == 410


def test_who_may_do_what(client, tenant, make_member, acme):
    report = sent_report(acme)
    draft_client = ClientFactory(tenant=tenant, name="Draftco")
    from reports.services import generate_report

    draft = generate_report(draft_client, last_month(tenant), pdf=False)
    pages = {
        "list": reverse("monthly_reports:list"),
        "detail": report.get_absolute_url(),
        "draft": draft.get_absolute_url(),
        "pdf": reverse("monthly_reports:pdf", args=[report.pk]),
        "preview": reverse("monthly_reports:preview", args=[acme.pk]),
    }
    # Technicians see no reports (what the client paid, what it would have cost).
    signed_in(client, make_member(tenant, Role.TECHNICIAN))
    assert {name: client.get(url).status_code for name, url in pages.items()} == dict.fromkeys(pages, 403)
    assert client.post(reverse("monthly_reports:send", args=[draft.pk])).status_code == 403
    assert b"Monthly reports" not in client.get(acme.get_absolute_url()).content

    # A client contact opens its own company's sent reports, never a draft, never a preview.
    contact = make_member(tenant, Role.CLIENT, client=acme)
    signed_in(client, contact)
    assert client.get(pages["detail"]).status_code == 200
    assert client.get(pages["draft"]).status_code == 404
    assert client.get(pages["preview"]).status_code == 403
    assert client.post(reverse("monthly_reports:share", args=[report.pk])).status_code == 403

    # Account managers work with them; only owners and admins make a whole month at once.
    signed_in(client, make_member(tenant, Role.ACCOUNT_MANAGER))
    assert {name: client.get(url).status_code for name, url in pages.items()} == dict.fromkeys(pages, 200)
    assert b"Make the drafts" not in client.get(pages["list"]).content
    assert client.post(reverse("monthly_reports:run"), {"period": "2026-10"}).status_code == 403
    signed_in(client, make_member(tenant, Role.ADMIN))
    assert b"Make the drafts" in client.get(pages["list"]).content


def test_the_list_filters_by_client_and_month(client, owner, tenant, acme):
    other = ClientFactory(tenant=tenant, name="Bravo Bakery")
    period = last_month(tenant)
    sent_report(acme, period)
    sent_report(acme, period.previous())
    sent_report(other, period)
    signed_in(client, owner)
    url = reverse("monthly_reports:list")
    assert client.get(url).context["paginator"].count == 3
    assert client.get(url, {"client": acme.pk}).context["paginator"].count == 2
    only = client.get(url, {"client": acme.pk, "period": str(period)})
    assert [r.period for r in only.context["object_list"]] == [str(period)]
    malformed = client.get(url, {"period": "October"})
    assert malformed.status_code == 200 and "period" in malformed.context["filter"].errors
    page = client.get(acme.get_absolute_url()).content.decode()
    assert "Monthly reports" in page and str(period.previous()) in page


def test_a_whole_month_of_drafts_from_the_page(client, owner, tenant, acme, month):
    period, *_ = month
    signed_in(client, owner)
    answer = client.post(reverse("monthly_reports:run"), {"period": str(period)})
    assert answer.status_code == 302  # the task ran eagerly in tests
    with scope_of(tenant.pk):
        assert list(MonthlyReport.objects.values_list("client__name", "status")) == [("Acme Dental", "draft")]


def test_the_tenant_chooses_whether_reports_go_out_on_their_own(client, owner, tenant):
    signed_in(client, owner)
    page = client.get(reverse("tenant_settings"))
    assert page.context["form"]["reports_auto_send"].value() is True
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None and k != "logo"}
    data.update(reports_auto_send="", default_hourly_rate_0="", default_hourly_rate_1="EUR")
    answer = client.post(reverse("tenant_settings"), data)
    assert answer.status_code == 302, answer.context["form"].errors
    tenant.refresh_from_db()
    assert tenant.reports_auto_send is False


def test_a_contact_receives_reports_only_with_an_address(client, owner, tenant, acme):
    signed_in(client, owner)
    url = reverse("clients:contact-create", args=[acme.pk])
    refused = client.post(url, {"name": "No Mail", "receives_reports": "on"})
    assert refused.status_code == 200 and "send the monthly reports to" in str(refused.context["form"].errors)
    client.post(url, {"name": "Finance", "email": "fin@acme.example", "receives_reports": "on"})
    with scope_of(tenant.pk):
        assert Contact.objects.get(name="Finance").receives_reports is True
