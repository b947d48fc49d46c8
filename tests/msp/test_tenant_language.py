"""Italian through and through (issue 18, item 11): what a tenant is seeded with, the flash
after signup and the tasks speak the tenant's language; a client's documents speak its own.
"""

import io

import pytest
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from contracts.models import BusinessCalendar, RecurringService
from msp.scoping import tenant_scope
from msp.selectors import document_language
from msp.services import tenant_create
from msp.tenant_tasks import tenant_task
from sales.pdf import render_offer_html, render_offer_pdf
from tests.factories import ClientFactory, OfferFactory, TenantFactory
from tests.msp.test_signup import GOOD
from tests.sales.test_offers import SCENARIO, add_assets
from timetracking.models import WorkType


def _create(language: str, slug: str):
    return tenant_create(
        name=f"MSP {slug}",
        slug=slug,
        owner_username=f"owner-{slug}",
        owner_email=f"owner@{slug}.example",
        owner_password="Sturdy-Lantern-4821",
        language=language,
    ).tenant


@pytest.mark.django_db
def test_a_new_tenant_is_seeded_in_its_language(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # tenant_created is sent on commit
        italian = _create("it", "rossi-it")
        english = _create("en", "smith-it")

    with tenant_scope(italian):
        assert sorted(WorkType.objects.values_list("name", flat=True)) == [
            "Fine settimana",
            "Fuori orario",
            "Standard",
        ]
        assert set(RecurringService.objects.values_list("name", flat=True)) == {
            "Antivirus",
            "Monitoraggio backup",
        }
        assert BusinessCalendar.objects.get().name == "Orario d'ufficio"
    with tenant_scope(english):
        assert sorted(WorkType.objects.values_list("name", flat=True)) == [
            "After hours",
            "Standard",
            "Weekend",
        ]
        assert BusinessCalendar.objects.get().name == "Office hours"
    assert translation.get_language() == "en"  # the seeding's language did not leak


@pytest.mark.django_db
def test_the_welcome_after_signup_speaks_the_new_tenants_language(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        # The browser asks for English; the MSP chose Italian.
        response = client.post(reverse("signup"), GOOD, follow=True, headers={"accept-language": "en"})
    [message] = [str(m) for m in response.context["messages"]]
    assert message == "Ti diamo il benvenuto! L'organizzazione Rossi IT Services è pronta."


@tenant_task()
def _language_probe_task(tenant_id: int) -> str:
    return translation.get_language()


@pytest.mark.django_db
def test_tenant_tasks_speak_the_tenants_language():
    tenant = TenantFactory(language="it")
    assert _language_probe_task(tenant.pk) == "it"
    assert translation.get_language() == "en"


@pytest.mark.django_db
def test_document_language_is_the_clients_else_the_tenants(tenant):
    tenant.language = "it"
    tenant.save(update_fields=["language"])
    own = ClientFactory(tenant=tenant, language="en")
    inherited = ClientFactory(tenant=tenant, language="")
    assert document_language(own) == "en"
    assert document_language(inherited) == "it"


@pytest.mark.django_db
def test_the_offer_pdf_speaks_the_clients_document_language(tenant):
    from contracts.services import tiers_seed

    tiers_seed(tenant=tenant)  # an English MSP ...
    client = ClientFactory(tenant=tenant, name="Trattoria da Mario", language="it")  # ... an Italian client
    add_assets(client, **SCENARIO)
    offer = OfferFactory(tenant=tenant, client=client)

    html = render_offer_html(offer)
    assert 'lang="it"' in html
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(render_offer_pdf(offer))).pages)
    assert "1.950,00" in text.replace("\xa0", " ")  # Italian money
    assert "Prices exclude tax." not in text

    client.language = ""  # back to the MSP's language
    client.save(update_fields=["language"])
    offer.client.language = ""
    assert 'lang="en"' in render_offer_html(offer)
