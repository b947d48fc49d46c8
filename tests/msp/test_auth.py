"""Login, logout, throttling, password reset and the tenant switcher in the browser."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from msp.roles import Role
from tests.factories import PASSWORD, ClientFactory, MembershipFactory, TenantFactory


@pytest.mark.django_db
def test_login_lands_on_the_dashboard_and_logout_ends_the_session(client, owner):
    response = client.post(
        reverse("login"), {"username": owner.user.username, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert response.context["current_membership"] == owner

    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert client.get(reverse("clients:list")).status_code == 302


@pytest.mark.django_db
def test_failed_logins_are_throttled_but_successes_are_not_counted(client, owner, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    username = owner.user.username
    for _ in range(5):  # successful logins never count towards the limit
        assert client.post(reverse("login"), {"username": username, "password": PASSWORD}).status_code == 302
        client.logout()
    for _ in range(3):
        response = client.post(reverse("login"), {"username": username, "password": "wrong"})
        assert "Please enter a correct username and password" in response.content.decode()

    # Now even the right password is refused until the window passes.
    response = client.post(reverse("login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_password_reset_by_email(client, owner, django_capture_on_commit_callbacks):
    user = owner.user
    with django_capture_on_commit_callbacks(execute=True):  # queued in the request, sent by the worker
        client.post(reverse("password_reset"), {"email": user.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/password-reset/\S+/)", mail.outbox[0].body).group(1)

    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "Fresh-Harbour-7733", "new_password2": "Fresh-Harbour-7733"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("Fresh-Harbour-7733")


@pytest.mark.django_db
def test_switching_tenant_changes_what_the_user_sees(client, tenant, other_tenant, make_member):
    member = make_member(tenant, Role.OWNER)
    MembershipFactory(tenant=other_tenant, user=member.user, role=Role.TECHNICIAN)
    ClientFactory(tenant=tenant, name="Alpha Dental")
    ClientFactory(tenant=other_tenant, name="Bravo Bakery")
    client.force_login(member.user)

    page = client.get(reverse("clients:list")).content.decode()
    assert "Alpha Dental" in page and "Bravo Bakery" not in page

    response = client.post(reverse("tenant_switch"), {"tenant": other_tenant.slug}, follow=True)
    assert response.context["current_membership"].tenant == other_tenant
    page = client.get(reverse("clients:list")).content.decode()
    assert "Bravo Bakery" in page and "Alpha Dental" not in page
    # The role follows the tenant: a technician there cannot reach the members page.
    assert client.get(reverse("members:list")).status_code == 403


@pytest.mark.django_db
def test_switching_to_a_tenant_the_user_does_not_belong_to_changes_nothing(client, tenant, make_member):
    member = make_member(tenant, Role.OWNER)
    stranger = TenantFactory(slug="stranger")
    client.force_login(member.user)
    response = client.post(reverse("tenant_switch"), {"tenant": stranger.slug}, follow=True)
    assert response.context["current_membership"].tenant == tenant
    assert "not a member" in response.content.decode()


@pytest.mark.django_db
def test_a_user_without_membership_is_told_so(client, django_user_model):
    user = django_user_model.objects.create_user("lonely", "l@example.com", PASSWORD)
    client.force_login(user)
    response = client.get(reverse("clients:list"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("no_tenant")
