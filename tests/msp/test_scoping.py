"""The tenant scope: deny by default, and what a client contact's scope hides."""

import pytest

from msp.models import Client, Contact, Membership
from msp.scoping import tenant_scope, unscoped
from tests.factories import ClientFactory, ContactFactory, MembershipFactory


@pytest.mark.django_db
def test_outside_any_scope_tenant_models_answer_nothing(tenant):
    ClientFactory(tenant=tenant)
    assert Client.objects.count() == 0
    assert Client.unscoped.count() == 1
    with unscoped():
        assert Client.objects.count() == 1


@pytest.mark.django_db
def test_a_scope_shows_one_tenant_and_a_client_scope_one_client(tenant, other_tenant):
    acme, beta = ClientFactory(tenant=tenant), ClientFactory(tenant=tenant)
    ClientFactory(tenant=other_tenant)
    ContactFactory(tenant=tenant, client=acme)
    ContactFactory(tenant=tenant, client=beta)
    MembershipFactory(tenant=tenant)

    with tenant_scope(tenant):
        assert set(Client.objects.all()) == {acme, beta}
        assert Contact.objects.count() == 2
        assert Membership.objects.count() == 1
        # Related managers are scoped too.
        assert acme.contacts.count() == 1
    with tenant_scope(tenant, client=acme):
        assert list(Client.objects.all()) == [acme]
        assert list(Contact.objects.values_list("client", flat=True)) == [acme.pk]
        assert Membership.objects.count() == 0  # client contacts never list members
    assert Client.objects.count() == 0  # the scope ends with the block


@pytest.mark.django_db
def test_every_tenant_owned_model_carries_its_tenant():
    from django.apps import apps

    from msp.scoping import TenantManager, TenantOwnedModel

    for model in apps.get_models():
        if issubclass(model, TenantOwnedModel):
            assert model._meta.get_field("tenant").null is False, model
            assert isinstance(model._default_manager, TenantManager), model


def test_choice_labels_are_djangos_in_every_language():
    """TenantOwnedModel's get_<field>_display() keeps a label map per field: same answers."""
    from django.apps import apps
    from django.db.models import Model
    from django.utils import translation

    from msp.scoping import TenantOwnedModel

    checked = 0
    for model in apps.get_models():
        if not issubclass(model, TenantOwnedModel):
            continue
        for field in model._meta.concrete_fields:
            if not field.choices:
                continue
            for value, _label in [*field.flatchoices, ("not-a-choice", "")]:
                row = model(**{field.attname: value})
                for language in ("en", "it"):
                    with translation.override(language):
                        ours = getattr(row, f"get_{field.name}_display")()
                        assert ours == Model._get_FIELD_display(row, field), (model, field.name, value)
                checked += 1
    assert checked > 40


@pytest.mark.django_db
def test_a_tenant_task_runs_in_its_tenants_scope(tenant, other_tenant):
    from msp.tenant_tasks import tenant_task

    ClientFactory(tenant=tenant, name="Ours")
    ClientFactory(tenant=other_tenant, name="Theirs")

    @tenant_task
    def client_names(tenant_id):
        return sorted(Client.objects.values_list("name", flat=True))

    assert client_names.delay(tenant.pk).get() == ["Ours"]
    assert client_names.delay(other_tenant.pk).get() == ["Theirs"]
    assert Client.objects.count() == 0  # the scope ended with the task


@pytest.mark.django_db
def test_a_tenant_signals_receivers_run_in_the_tenants_scope(tenant, other_tenant):
    from msp.signals import TenantSignal

    ClientFactory(tenant=tenant, name="Ours")
    ClientFactory(tenant=other_tenant, name="Theirs")
    signal, seen = TenantSignal(), []

    def receiver(sender, **kwargs):
        seen.append(sorted(Client.objects.values_list("name", flat=True)))

    signal.connect(receiver, weak=False)
    signal.send(sender=None, tenant=tenant)
    signal.send(sender=None, tenant_id=other_tenant.pk)
    assert seen == [["Ours"], ["Theirs"]]


@pytest.mark.django_db
def test_one_tenants_work_never_runs_inside_anothers_scope(tenant, other_tenant):
    from django.core.exceptions import ValidationError

    from msp.scoping import scope_of, scoped_by

    acme = ClientFactory(tenant=tenant, name="Acme")

    @scoped_by("client")
    def contact_count(*, client):
        return Contact.objects.filter(client=client).count()

    ContactFactory(tenant=tenant, client=acme)
    assert contact_count(client=acme) == 1  # outside any scope: it enters the client's tenant's
    with tenant_scope(tenant, client=acme):  # a contact's scope widens to the tenant's for it
        assert contact_count(client=acme) == 1
    with tenant_scope(other_tenant):
        with pytest.raises(ValidationError, match="Client not found"):
            contact_count(client=acme)  # bad input to a service: a clear "not found"
        with pytest.raises(RuntimeError):
            with scope_of(tenant.pk):  # a bug in background work: never a silent switch
                pass
