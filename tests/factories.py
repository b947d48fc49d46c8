"""factory_boy factories, and the registry the isolation harness uses to build any model."""

import factory
from django.contrib.auth import get_user_model

from msp.models import Client, Contact, Membership, Site, Tenant
from msp.roles import Role

PASSWORD = "correct-horse-battery-9"


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant

    name = factory.Sequence(lambda n: f"MSP {n}")
    slug = factory.Sequence(lambda n: f"msp-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TenantOwnedFactory(factory.django.DjangoModelFactory):
    """Creates through the unscoped manager: tests build rows of any tenant."""

    class Meta:
        abstract = True

    @classmethod
    def _get_manager(cls, model_class):
        return model_class.unscoped


class ClientFactory(TenantOwnedFactory):
    class Meta:
        model = Client

    tenant = factory.SubFactory(TenantFactory)
    name = factory.Sequence(lambda n: f"Client {n}")
    billing_email = factory.LazyAttribute(lambda c: f"billing{c.name.split()[-1]}@example.com")


class SiteFactory(TenantOwnedFactory):
    class Meta:
        model = Site

    client = factory.SubFactory(ClientFactory)
    tenant = factory.SelfAttribute("client.tenant")
    name = factory.Sequence(lambda n: f"Site {n}")


class ContactFactory(TenantOwnedFactory):
    class Meta:
        model = Contact

    client = factory.SubFactory(ClientFactory)
    tenant = factory.SelfAttribute("client.tenant")
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@example.com")


class MembershipFactory(TenantOwnedFactory):
    class Meta:
        model = Membership

    tenant = factory.SubFactory(TenantFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.TECHNICIAN
    client = None


# The isolation harness builds "an object of model M in tenant T under client C, whose
# text shows MARKER" through this registry (see tests/test_isolation.py). A tenant-owned
# model reachable from a URL must be registered here, or the harness fails and says so.
# Client is absent on purpose: the harness's clients are themselves the objects.
ISOLATION_FACTORIES = {
    Site: lambda tenant, client, marker: SiteFactory(tenant=tenant, client=client, name=marker),
    Contact: lambda tenant, client, marker: ContactFactory(
        tenant=tenant, client=client, name=marker, email=f"{marker.lower()}@leak.example"
    ),
    Membership: lambda tenant, client, marker: MembershipFactory(
        tenant=tenant, user=UserFactory(username=marker.lower()), role=Role.TECHNICIAN
    ),
}
