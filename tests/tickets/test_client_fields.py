"""New ticket's contact, asset and "bills to" choices follow the chosen client (issue 18,
item 3): the page offers only the client's, the server refuses another client's, and the
asset is searched as you type, the list capped whatever the number of assets."""

import pytest
from django.urls import reverse

from assets.selectors import ASSET_CHOICES
from msp.roles import Role
from tests.factories import AssetFactory, ClientFactory, ContactFactory, ContractFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(client, tenant, make_member):
    client.force_login(make_member(tenant, Role.TECHNICIAN).user)
    return client


@pytest.fixture
def two_clients(tenant):
    acme, globex = ClientFactory(tenant=tenant, name="Acme"), ClientFactory(tenant=tenant, name="Globex")
    return {
        "acme": acme,
        "globex": globex,
        "acme_asset": AssetFactory(tenant=tenant, client=acme, name="acme-fw"),
        "globex_asset": AssetFactory(tenant=tenant, client=globex, name="globex-nas"),
        "acme_contact": ContactFactory(tenant=tenant, client=acme, name="Ann Acme"),
        "globex_contact": ContactFactory(tenant=tenant, client=globex, name="Gil Globex"),
        "globex_contract": ContractFactory(tenant=tenant, client=globex),
    }


def test_the_form_offers_only_the_chosen_clients_contacts_and_assets(browser, two_clients):
    html = browser.get(reverse("tickets:create") + f"?client={two_clients['acme'].pk}").content.decode()
    assert "acme-fw" in html and "Ann Acme" in html
    assert "globex-nas" not in html and "Gil Globex" not in html
    assert 'hx-get="' + reverse("tickets:client-fields") in html
    # No client yet: nothing to choose, and the page says why.
    html = browser.get(reverse("tickets:create")).content.decode()
    assert "acme-fw" not in html and "Choose the client first" in html
    # The client changes: the fields are reloaded for it.
    html = browser.get(
        reverse("tickets:client-fields") + f"?client={two_clients['globex'].pk}", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "globex-nas" in html and "Gil Globex" in html and "acme-fw" not in html


def test_another_clients_asset_contact_or_contract_is_refused(browser, two_clients):
    base = {"client": two_clients["acme"].pk, "subject": "Firewall down", "priority": "P2", "source": "phone"}
    for field, other in (
        ("asset", two_clients["globex_asset"]),
        ("contact", two_clients["globex_contact"]),
        ("contract", two_clients["globex_contract"]),
    ):
        response = browser.post(reverse("tickets:create"), {**base, field: other.pk})
        assert response.status_code == 200
        assert response.context["form"].errors[field]
    assert not Ticket.unscoped.exists()
    response = browser.post(reverse("tickets:create"), {**base, "asset": two_clients["acme_asset"].pk})
    assert response.status_code == 302
    assert Ticket.unscoped.get().asset == two_clients["acme_asset"]


def test_the_asset_search_is_capped_and_keeps_the_chosen_one(browser, tenant, two_clients):
    acme = two_clients["acme"]
    AssetFactory.create_batch(ASSET_CHOICES + 10, tenant=tenant, client=acme, name=factory_name())
    chosen = AssetFactory(tenant=tenant, client=acme, name="zz-last-server", hostname="zz01", serial="SN-ZZ")
    url = reverse("tickets:asset-options")
    html = browser.get(url, {"client": acme.pk}, HTTP_HX_REQUEST="true").content.decode()
    assert (
        html.count('<option value="') == 2 + ASSET_CHOICES and "type more to narrow" in html
    )  # + empty, + hint
    html = browser.get(url, {"client": acme.pk, "asset_search": "SN-ZZ"}).content.decode()
    assert "zz-last-server (zz01)" in html and "globex" not in html and "type more" not in html
    # What was chosen stays offered (and selected) while another search runs.
    html = browser.get(
        url, {"client": acme.pk, "asset_search": "acme-fw", "asset": chosen.pk}
    ).content.decode()
    assert f'<option value="{chosen.pk}" selected>' in html and "acme-fw" in html
    # Another client's asset is never offered, even asked for by number.
    globex_asset = two_clients["globex_asset"]
    html = browser.get(
        url, {"client": acme.pk, "asset": globex_asset.pk, "asset_search": "nas"}
    ).content.decode()
    assert "globex-nas" not in html and "No asset matches" in html


def factory_name():
    import factory

    return factory.Sequence(lambda n: f"pc-{n:05d}")
