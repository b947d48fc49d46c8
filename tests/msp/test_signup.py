"""An MSP signs itself up in the browser; bad input is refused and writes nothing."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from msp.models import Membership, Tenant
from msp.roles import Role
from tests.factories import TenantFactory

User = get_user_model()

GOOD = {
    "company_name": "Rossi IT Services",
    "slug": "rossi-it",
    "default_currency": "EUR",
    "timezone": "Europe/Rome",
    "language": "it",
    "username": "mrossi",
    "email": "mario@rossi-it.example",
    "password1": "Sturdy-Lantern-4821",
    "password2": "Sturdy-Lantern-4821",
}


def _counts():
    return Tenant.objects.count(), User.objects.count(), Membership.unscoped.count()


@pytest.mark.django_db
def test_signup_creates_the_tenant_and_its_owner_and_signs_in(client, django_capture_on_commit_callbacks):
    from msp.signals import tenant_created

    announced = []
    tenant_created.connect(lambda sender, tenant, **kw: announced.append(tenant.slug), weak=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("signup"), GOOD, follow=True)

    tenant = Tenant.objects.get(slug="rossi-it")
    assert (tenant.name, tenant.default_currency, tenant.timezone, tenant.language) == (
        "Rossi IT Services",
        "EUR",
        "Europe/Rome",
        "it",
    )
    owner = Membership.unscoped.get(tenant=tenant)
    assert owner.role == Role.OWNER and owner.user.username == "mrossi"
    assert owner.user.check_password("Sturdy-Lantern-4821")
    # Signed in, on the new tenant's dashboard (in the tenant's language, Italian).
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert response.context["current_membership"] == owner
    assert "Rossi IT Services" in response.content.decode()
    assert announced == ["rossi-it"]  # downstream apps (tiers, SLA calendar) hear of it once


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"slug": "taken"}, "slug", "already taken"),
        ({"slug": "Not A Slug!"}, "slug", "lowercase"),
        ({"password1": "password", "password2": "password"}, "password1", "too common"),
        ({"password1": "mrossi12345", "password2": "mrossi12345"}, "password1", "too similar"),
        ({"password2": "Different-Lantern-4821"}, "password2", "differ"),
        ({"username": "existing"}, "username", "taken"),
        ({"email": "not-an-email"}, "email", "valid email"),
    ],
)
def test_signup_refuses_bad_input_and_writes_nothing(client, change, field, message):
    TenantFactory(slug="taken")
    User.objects.create_user(username="existing", email="e@example.com", password="x")
    before = _counts()

    response = client.post(reverse("signup"), {**GOOD, **change})

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field]).lower()
    assert _counts() == before
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_create_tenant_command_creates_tenant_and_owner(capsys):
    from django.core.management import call_command

    call_command(
        "create_tenant",
        "--name=Verdi MSP",
        "--slug=verdi",
        "--owner-username=gverdi",
        "--owner-email=g@verdi.example",
        "--owner-password=Opera-Nabucco-1842",
    )
    membership = Membership.unscoped.get(tenant__slug="verdi")
    assert membership.role == Role.OWNER and membership.user.username == "gverdi"


@pytest.mark.django_db
def test_create_tenant_command_refuses_a_taken_slug_and_a_weak_password():
    from django.core.management import CommandError, call_command

    TenantFactory(slug="verdi")
    with pytest.raises(CommandError, match="taken"):
        call_command(
            "create_tenant",
            "--name=Verdi",
            "--slug=verdi",
            "--owner-username=a",
            "--owner-email=a@a.example",
            "--owner-password=Opera-Nabucco-1842",
        )
    with pytest.raises(CommandError, match="too common"):
        call_command(
            "create_tenant",
            "--name=Other",
            "--slug=other",
            "--owner-username=b",
            "--owner-email=b@b.example",
            "--owner-password=password",
        )
    assert Tenant.objects.count() == 1
