"""`/api/v1/reports/` as an MSP's integration and a client contact use it."""

from __future__ import annotations

import pytest

from billing.periods import Period
from msp.roles import Role
from msp.scoping import scope_of
from reports.models import MonthlyReport
from tests.factories import ClientFactory, sent_report, tenant_today
from tests.msp.test_api import api_for
from tests.reports.helpers import last_month, pdf_text, work

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/"


def test_generate_regenerate_send_and_download(
    acme, month, make_member, django_capture_on_commit_callbacks, mailoutbox
):
    period, ticket, tech = month
    api = api_for(make_member(acme.tenant, Role.ACCOUNT_MANAGER))
    made = api.post(URL, {"client": acme.pk, "period": str(period)}, format="json")
    assert made.status_code == 201, made.json()
    body = made.json()
    assert (body["client"], body["period"], body["status"], body["has_pdf"]) == (
        acme.pk,
        str(period),
        "draft",
        True,
    )
    assert body["figures"]["period"] == str(period) and body["sent_at"] is None
    again = api.post(URL, {"client": acme.pk, "period": str(period)}, format="json")
    assert again.status_code == 200 and again.json()["id"] == body["id"]  # generated once

    work(ticket, tech, period, 14, 25)
    redone = api.post(f"{URL}{body['id']}/regenerate/")
    assert redone.status_code == 200 and redone.json()["figures"] != body["figures"]
    with django_capture_on_commit_callbacks(execute=True):
        sent = api.post(f"{URL}{body['id']}/send/")
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    assert sent.json()["sent_to"] == ["dana@acme.example"] and len(mailoutbox) == 1
    frozen = api.post(f"{URL}{body['id']}/regenerate/")
    assert frozen.status_code == 400 and "stays as it was sent" in str(frozen.json())
    assert api.post(f"{URL}{body['id']}/send/").status_code == 400

    pdf = api.get(f"{URL}{body['id']}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and "Acme Dental" in pdf_text(pdf.content)
    listed = api.get(URL, {"client": acme.pk, "period": str(period), "status": "sent"}).json()
    assert [r["id"] for r in listed["results"]] == [body["id"]]


def test_bad_requests_are_refused_and_change_nothing(acme, owner):
    api = api_for(owner)
    this_month = Period.of(tenant_today(acme.tenant))
    for payload, field in (
        ({"client": acme.pk, "period": "2026-13"}, "period"),
        ({"client": acme.pk, "period": str(this_month)}, "period"),  # not over yet
        ({"client": 10**9, "period": "2026-01"}, "client"),
        ({"client": acme.pk, "period": "2026-01", "html": "<b>mine</b>"}, "html"),
        ({"period": "2026-01"}, "client"),
    ):
        answer = api.post(URL, payload, format="json")
        assert answer.status_code == 400 and field in answer.json(), (payload, answer.json())
    assert api.get(URL, {"period": "October"}).status_code == 400
    with scope_of(acme.tenant_id):
        assert not MonthlyReport.objects.exists()


def test_a_client_contact_reads_its_own_companys_sent_reports_only(tenant, acme, make_member):
    period = last_month(tenant)
    mine = sent_report(acme, period)
    from reports.services import generate_report

    draft = generate_report(acme, period.previous(), pdf=False)
    other_client = ClientFactory(tenant=tenant, name="Bravo Bakery")
    theirs = sent_report(other_client, period)
    contact = api_for(make_member(tenant, Role.CLIENT, client=acme))
    assert [r["id"] for r in contact.get(URL).json()["results"]] == [mine.pk]
    assert contact.get(f"{URL}{mine.pk}/").status_code == 200
    assert contact.get(f"{URL}{mine.pk}/pdf/")["Content-Type"] == "application/pdf"
    for hidden in (draft, theirs):
        assert contact.get(f"{URL}{hidden.pk}/").status_code == 404
        assert contact.get(f"{URL}{hidden.pk}/pdf/").status_code == 404
    assert contact.get(URL, {"client": other_client.pk}).status_code == 400  # not a choice of theirs
    assert contact.post(URL, {"client": acme.pk, "period": str(period)}, format="json").status_code == 403
    assert contact.post(f"{URL}{mine.pk}/regenerate/").status_code == 403


def test_technicians_have_no_reports_and_other_tenants_none_of_ours(tenant, other_tenant, acme, make_member):
    report = sent_report(acme)
    technician = api_for(make_member(tenant, Role.TECHNICIAN))
    assert technician.get(URL).status_code == 403
    assert technician.get(f"{URL}{report.pk}/pdf/").status_code == 403
    stranger = api_for(make_member(other_tenant, Role.OWNER))
    assert stranger.get(URL).json()["count"] == 0
    assert stranger.get(f"{URL}{report.pk}/").status_code == 404
    assert stranger.post(URL, {"client": acme.pk, "period": "2026-01"}, format="json").status_code == 400
