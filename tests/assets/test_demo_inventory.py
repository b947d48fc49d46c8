import pytest
from django.core.management import call_command

from assets.models import Asset
from assets.selectors import asset_counts_by_kind
from msp.models import Client
from msp.scoping import unscoped


@pytest.mark.django_db
def test_load_demo_gives_the_demo_clients_an_inventory(capsys):
    call_command("load_demo")
    acme = Client.unscoped.get(tenant__slug="demo", name="Acme Dental")
    with unscoped():
        counts = asset_counts_by_kind(client=acme)
    # The seeds' scenario: 2 servers, 1 network device, 15 desktops.
    assert (counts["server"], counts["network"], counts["desktop"]) == (2, 1, 15)
    # The demo's portal login is one of Acme's contacts, so what reaches contacts reaches it.
    from msp.models import Contact

    login = Contact.unscoped.get(client=acme, email="client@demo-msp.example")
    assert login.portal_access
    total = Asset.unscoped.count()
    call_command("load_demo")  # a second run adds nothing
    assert Asset.unscoped.count() == total
