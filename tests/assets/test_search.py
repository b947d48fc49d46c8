"""The asset search (the API's `?search=`, the list's `q`, the pick lists): one column and one
index (msp.search), the matches of DRF's SearchFilter over name, host name and serial, on
SQLite and on PostgreSQL alike."""

import operator
from functools import reduce

import pytest
from django.db.models import Q
from django.urls import reverse
from rest_framework.test import APIClient

from assets.models import SEARCHED_FIELDS, Asset
from assets.selectors import asset_choices
from msp.models import ApiToken
from msp.roles import Role
from msp.scoping import tenant_scope, unscoped
from msp.search import SEPARATOR, search_terms
from tests.factories import AssetFactory, ClientFactory

pytestmark = pytest.mark.django_db


def drf_search(queryset, terms):
    """What DRF's SearchFilter does with `search_fields = SEARCHED_FIELDS`: every term in some field."""
    return queryset.filter(
        *(reduce(operator.or_, (Q(**{f"{field}__icontains": term}) for field in SEARCHED_FIELDS)) for term in terms)
    )


@pytest.fixture
def assets(tenant, other_tenant):
    acme = ClientFactory(tenant=tenant, name="Acme")
    made = {
        "laptop": AssetFactory(client=acme, name="Reception Laptop", hostname="rcp-01.acme.lan", serial="SN-AB12"),
        "server": AssetFactory(client=acme, name="File server", hostname="fs1.acme.lan", serial="ZX-99"),
        "printer": AssetFactory(client=acme, name="Printer 3rd floor", hostname="", serial="PRN_7%"),
        "odd": AssetFactory(client=acme, name="back\\slash", hostname="it's-mine", serial=f"a{SEPARATOR}b"),
        # In another tenant, matching the same terms: never found from this one.
        "theirs": AssetFactory(
            client=ClientFactory(tenant=other_tenant), name="Reception Laptop", hostname="rcp-01.acme.lan"
        ),
    }
    return made


# (terms, the assets of `tenant` they find)
CASES = [
    (["laptop"], {"laptop"}),  # in the name
    (["fs1.acme"], {"server"}),  # in the host name
    (["zx-9"], {"server"}),  # in the serial, lower case against upper
    (["RECEPTION"], {"laptop"}),  # upper case against mixed
    (["acme.lan"], {"laptop", "server"}),
    (["acme.lan", "sn-ab"], {"laptop"}),  # every term, each in its own field
    (["laptop", "zx"], set()),  # both terms must match
    (["laptoprcp"], set()),  # not across the name and the host name
    (["lan", "sn"], {"laptop"}),
    (["lansn"], set()),  # not across the host name and the serial
    (["floorprn"], set()),  # nor across an empty host name
    (["prn_7%"], {"printer"}),  # % and _ are themselves, not wildcards
    (["prn%7"], set()),
    (["_"], {"printer"}),
    (["%"], {"printer"}),
    (["back\\sl"], {"odd"}),
    (["it's"], {"odd"}),
    (["file server"], {"server"}),  # a quoted phrase is one term
    ([f"a{SEPARATOR}b"], {"odd"}),  # a term holding the separator: searched field by field
    ([f"rcp{SEPARATOR}"], set()),
]


@pytest.mark.parametrize(("terms", "expected"), CASES, ids=[" ".join(terms) for terms, _ in CASES])
def test_the_search_finds_what_drf_finds(tenant, assets, terms, expected):
    names = {asset.pk: key for key, asset in assets.items()}
    with tenant_scope(tenant):
        found = {names[pk] for pk in Asset.objects.search(*terms).values_list("pk", flat=True)}
        reference = {names[pk] for pk in drf_search(Asset.objects.all(), terms).values_list("pk", flat=True)}
    assert found == reference == expected


def test_the_tenant_in_the_column_is_never_matched(tenant, other_tenant, assets):
    """The column starts with the tenant's id: a search for those digits finds only assets that
    hold them, in this tenant or (unscoped) in all."""
    digits = str(tenant.pk)
    with tenant_scope(tenant):
        assert set(Asset.objects.search(digits)) == set(drf_search(Asset.objects.all(), [digits]))
        assert Asset.objects.search(SEPARATOR).count() == 1  # the serial that holds one
    with unscoped():
        everyone = Asset.unscoped.all()
        for terms in ([digits], ["reception"], ["acme.lan", "sn-ab"], ["laptoprcp"], [str(other_tenant.pk)]):
            assert set(everyone.search(*terms)) == set(drf_search(everyone, terms)), terms
        assert set(everyone.search("reception")) == {assets["laptop"], assets["theirs"]}


def test_tenants_are_isolated(tenant, other_tenant, assets):
    with tenant_scope(other_tenant):
        assert list(Asset.objects.search("reception")) == [assets["theirs"]]
        assert not Asset.objects.search("zx-99").exists()
    with tenant_scope(tenant):
        assert list(Asset.objects.search("reception")) == [assets["laptop"]]
        # Another tenant's rows, read without the scoped manager, are still not this scope's search.
        assert not Asset.unscoped.filter(tenant=other_tenant).search("reception").exists()


def test_a_search_box_splits_as_the_api_does():
    assert search_terms("  acme.lan  sn-ab ") == ["acme.lan", "sn-ab"]
    assert search_terms('"file server", zx') == ["file server", "zx"]
    assert search_terms("   ") == []


def test_the_api_and_the_list_search_alike(tenant, assets, make_member, client):
    member = make_member(tenant, Role.OWNER)
    _token, key = ApiToken.issue(member)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    client.force_login(member.user)
    names = {asset.pk: key for key, asset in assets.items()}
    for text, expected in [
        ("ACME.lan", {"laptop", "server"}),
        ("acme.lan sn-ab", {"laptop"}),
        ("acme.lan,zx", {"server"}),
        ('"file server"', {"server"}),
        ("laptoprcp", set()),
        ("prn_7%", {"printer"}),
    ]:
        response = api.get("/api/v1/assets/", {"search": text})
        assert response.status_code == 200, response.content
        assert {names[row["id"]] for row in response.json()["results"]} == expected, text
        page = client.get(reverse("assets:list"), {"q": text})
        assert {names[asset.pk] for asset in page.context["object_list"]} == expected, text
        with tenant_scope(tenant):
            acme = assets["laptop"].client_id
            picked = {names[pk] for pk, _label in asset_choices(client_id=acme, search=text)}
        assert picked == expected, text
    row = api.get("/api/v1/assets/", {"search": "laptop"}).json()["results"][0]
    assert "search_text" not in row  # the column is the search's, not the API's
