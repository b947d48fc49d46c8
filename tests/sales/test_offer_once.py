"""The offer builder is a create form too (issue 18, item 3): saved twice with its one-time
token it makes one offer; pricing the same form (htmx) never spends or replays the token."""

import pytest
from django.urls import reverse

from msp.views.once import FIELD, form_token_new
from sales.models import Offer
from tests.sales.test_offers import acme, builder_data, manager, manager_client, tiers  # noqa: F401

pytestmark = pytest.mark.django_db


def test_saving_the_builder_twice_makes_one_offer(manager_client, acme):  # noqa: F811
    data = builder_data(acme, **{FIELD: form_token_new()})
    first = manager_client.post(reverse("offers:create"), data)
    assert first.status_code == 302
    offer = Offer.unscoped.get()
    # The prices of the same form are still answered (not sent to the saved offer).
    priced = manager_client.post(reverse("offers:price"), data, HTTP_HX_REQUEST="true")
    assert priced.status_code == 200 and "HX-Redirect" not in priced
    second = manager_client.post(reverse("offers:create"), data)
    assert second.status_code == 302 and second["Location"] == offer.get_absolute_url()
    assert Offer.unscoped.count() == 1
