"""msp.filtersets.FilterSet: no filter makes a list DISTINCT, choices are read in scope."""

import django_filters
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext

from msp.api.filters import FilterBackend
from msp.filtersets import FilterSet, spans_to_many
from msp.models import Client, Contact
from msp.scoping import tenant_scope
from tests.factories import ClientFactory, ContactFactory, TenantFactory
from tickets.api.views import TicketFilterSet, TicketViewSet
from tickets.models import Ticket


class ClientFilterSet(FilterSet):
    contact = django_filters.ModelMultipleChoiceFilter(
        field_name="contacts", queryset=lambda request: Contact.objects.all()
    )
    contact_name = django_filters.CharFilter(field_name="contacts__name", lookup_expr="icontains")
    currency = django_filters.MultipleChoiceFilter(choices=[("EUR", "EUR"), ("USD", "USD")])

    class Meta:
        model = Client
        fields = ["contact", "contact_name", "currency"]


def test_spans_to_many():
    assert not spans_to_many(Ticket, "status")
    assert not spans_to_many(Ticket, "client")
    assert not spans_to_many(Ticket, "client__name")
    assert not spans_to_many(Ticket, "client__pk")
    assert spans_to_many(Client, "contacts")
    assert spans_to_many(Client, "contacts__name")
    assert spans_to_many(Ticket, "client__contacts__email")


def test_no_filter_keeps_distinct():
    for filterset in (ClientFilterSet, TicketFilterSet):
        assert not any(f.distinct for f in filterset.base_filters.values())
    assert {n for n, f in ClientFilterSet.base_filters.items() if f.through_to_many} == {
        "contact",
        "contact_name",
    }
    assert not any(f.through_to_many for f in TicketFilterSet.base_filters.values())


@pytest.mark.django_db
def test_a_to_many_filter_is_an_exists_with_the_rows_distinct_gave():
    tenant = TenantFactory()
    acme, globex, initech = (ClientFactory(tenant=tenant, name=n) for n in ("Acme", "Globex", "Initech"))
    ann, bob = (ContactFactory(client=acme, name=f"{n} Smith") for n in ("Ann", "Bob"))
    cid = ContactFactory(client=globex, name="Cid Jones")
    ContactFactory(client=initech, name="Dee Brown")
    with tenant_scope(tenant):
        for data, expected in [
            ({"contact": [ann.pk, bob.pk, cid.pk]}, [acme, globex]),  # Acme matches twice
            ({"contact_name": "smith"}, [acme]),
            ({"contact_name": "o", "currency": ["EUR", "USD"]}, [acme, globex, initech]),
            ({}, [acme, globex, initech]),
        ]:
            filterset = ClientFilterSet(data, queryset=Client.objects.order_by("name"))
            assert filterset.is_valid(), filterset.errors
            with CaptureQueriesContext(connection) as captured:
                rows = list(filterset.qs)
            assert rows == expected, data
            sql = captured.captured_queries[0]["sql"].upper()
            assert "DISTINCT" not in sql and ("EXISTS" in sql) == bool(
                {"contact", "contact_name"} & set(data)
            )
            # What django-filter's DISTINCT gave: the same rows, in the same order.
            plain = Client.objects.order_by("name")
            if "contact" in data:
                plain = plain.filter(contacts__in=data["contact"]).distinct()
            if "contact_name" in data:
                plain = plain.filter(contacts__name__icontains=data["contact_name"]).distinct()
            assert list(plain) == rows


def test_a_declared_queryset_built_at_import_is_refused():
    with pytest.raises(ImproperlyConfigured, match="outside any scope"):

        class Broken(FilterSet):
            client = django_filters.ModelChoiceFilter(queryset=Client.objects.all())

            class Meta:
                model = Ticket
                fields = ["client"]


def test_the_api_backend_refuses_a_filterset_not_built_on_ours():
    class Plain(django_filters.FilterSet):
        class Meta:
            model = Ticket
            fields = ["status"]

    view = TicketViewSet()
    view.filterset_class = Plain
    with pytest.raises(ImproperlyConfigured, match="must subclass msp.filtersets.FilterSet"):
        FilterBackend().get_filterset_class(view, Ticket.objects.none())
    view.filterset_class = TicketFilterSet
    assert FilterBackend().get_filterset_class(view, Ticket.objects.none()) is TicketFilterSet
