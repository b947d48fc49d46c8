"""Views deny by default, and every role's answers follow msp/roles.py.

Like the isolation harness (tests/test_isolation.py, whose URL walk this reuses) it covers
every URL of the project by construction: a view added later is checked without a new test.

* Every view names what it needs. A browser view names ``permission_required``
  (``msp.views.base.MemberRequiredMixin``, which refuses a view that names none, owners
  included); an API view its ``permission_resource`` or ``permission_required``
  (``msp.api.permissions.HasRolePermission``, which refuses the same way); a function view
  for any signed-in user says so with ``any_signed_in_user``. Only the views in ``PUBLIC``
  name nothing, each for the reason given there. Every permission named must be one that
  msp/roles.py gives some role (a typo would refuse everyone).
* The role matrix: each role GETs every page on objects of its own tenant and company
  (tests/world.py) and must get 403 exactly when msp/roles.py does not grant the view's
  permissions, else 200 (or the redirect the query-count harness lists, or 405 for a view
  that takes POST only); a POST from a role without the permission gets 403 too. The
  expected answers are derived from the views' declarations and the role table, so they
  cannot drift from them.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import Client as HttpClient
from django.test import RequestFactory
from django.urls import get_resolver, reverse
from django.views import View
from rest_framework.views import APIView

from msp.api.permissions import HasRolePermission
from msp.roles import ANY_MEMBER, ROLE_PERMISSIONS, Role, role_has_perm
from msp.views.base import SIGNED_IN, MemberRequiredMixin
from tests.factories import MembershipFactory, TimeEntryFactory, UserFactory
from tests.test_isolation import EXEMPT, _url, _walk, project_urls, resolve_kwarg_models
from tests.test_query_counts import OPENS, REDIRECTS, answers_get
from tests.world import build_world
from tickets.models import Ticket
from timetracking.models import TimeEntry

# Views that name no permission because they are public by nature, by URL name, and why.
# Keep it short: "any member may see it" is ANY_MEMBER, "any signed-in user" is
# any_signed_in_user, not an entry here.
PUBLIC = {
    "login": "signing in: nobody is signed in yet",
    "signup": "an MSP signs up: it has no account yet",
    "logout": "signing out needs no permission",
    "password_reset": "whoever forgot the password cannot sign in",
    "password_reset_done": "the 'e-mail sent' page of the password reset",
    "password_reset_confirm": "the signed token e-mailed to the user is the credential",
    "password_reset_complete": "the 'password changed' page of the password reset",
    "invitation": "the secret key e-mailed to the invitee is the credential (they may have no account yet)",
    "report_share": "the key of a shared link is the credential (a client's director has no login)",
    "report_share_pdf": "the key of a shared link is the credential (a client's director has no login)",
    "api:token": "the API's sign-in: exchanges a password for a token",
    "api-schema": "the API's description: no tenant data",
    "api-docs": "the API's browsable description: no tenant data",
    "api-redoc": "the API's browsable description: no tenant data",
    "handler400": "an error page answers whoever met the error",
    "handler403": "an error page answers whoever met the error",
    "handler404": "an error page answers whoever met the error",
    "handler500": "an error page answers whoever met the error",
}
ERROR_CODES = (400, 403, 404, 500)
KNOWN_PERMISSIONS = frozenset().union(*ROLE_PERMISSIONS.values())


def project_views():
    """(label, callback) of every URL pattern of the project, named or not (the label is the
    URL name, else its route), and of every error handler."""
    resolver = get_resolver()
    seen = set()
    for name, route, pattern in _walk(resolver.url_patterns):
        label = name or f"/{route}"
        if (label, pattern.callback) not in seen:  # DRF's format-suffix routes repeat a view
            seen.add((label, pattern.callback))
            yield label, pattern.callback
    for code in ERROR_CODES:
        yield f"handler{code}", resolver.resolve_error_handler(code)


def is_member_view(callback) -> bool:
    view_class = getattr(callback, "view_class", None)
    return view_class is not None and issubclass(view_class, MemberRequiredMixin)


def is_api_view(callback) -> bool:
    return isinstance(getattr(callback, "cls", None), type) and issubclass(callback.cls, APIView)


def member_view_permissions(callback, method: str) -> tuple[str, ...]:
    """What a MemberRequiredMixin view requires of a request with this HTTP method."""
    view = callback.view_class(**callback.view_initkwargs)
    view.setup(RequestFactory().generic(method.upper(), "/"))
    return view.get_permission_required()


def api_view_allows(callback, method: str, membership) -> bool:
    """Whether the API view's permission classes let this membership make the request."""
    view = callback.cls(**callback.initkwargs)
    actions = getattr(callback, "actions", None)
    view.action = actions.get(method) if actions else None  # as DRF sets it per request
    view.request = request = SimpleNamespace(method=method.upper(), membership=membership)
    return all(permission().has_permission(request, view) for permission in view.permission_classes)


def declaration_problems(label, callback) -> list[str]:
    """Why this view names no (or an unknown) permission; empty when it names one."""
    if is_api_view(callback):
        view = f"{label}: {callback.cls.__qualname__}"
        if HasRolePermission not in callback.cls.permission_classes:
            return [f"{view} replaces HasRolePermission; list it in PUBLIC with a reason"]
        named = getattr(callback.cls, "permission_required", None)  # a property when per request
        resource = getattr(callback.cls, "permission_resource", None)
        if named is None and resource is None:
            return [f"{view} names neither permission_resource nor permission_required"]
        if isinstance(named, str) and named not in KNOWN_PERMISSIONS:
            return [f"{view} names {named!r}, which no role in msp/roles.py holds"]
        if resource is not None and not any(p.startswith(f"{resource}.") for p in KNOWN_PERMISSIONS):
            return [
                f"{view} names the resource {resource!r}, of which no role in msp/roles.py holds a permission"
            ]
        return []
    if is_member_view(callback):
        view_class = callback.view_class
        by_method = {m: member_view_permissions(callback, m) for m in view_class.http_method_names}
        problems = []
        if missing := [method.upper() for method, permissions in by_method.items() if not permissions]:
            problems.append(
                f"{label}: {view_class.__qualname__} names no permission for {', '.join(missing)}; set "
                "permission_required (msp/roles.py), or ANY_MEMBER for a page every member may see"
            )
        unknown = {p for permissions in by_method.values() for p in permissions} - KNOWN_PERMISSIONS
        problems += [
            f"{label}: {view_class.__qualname__} names {p!r}, which no role in msp/roles.py holds"
            for p in sorted(unknown)
        ]
        return problems
    if getattr(callback, "access", None) == SIGNED_IN:
        return []
    view = getattr(callback, "view_class", callback)
    return [
        f"{label}: {view.__module__}.{view.__qualname__} names no permission; base it on "
        "msp.views.base.MemberRequiredMixin with permission_required, mark a function view for any "
        "signed-in user with any_signed_in_user, or list a public page in PUBLIC with the reason"
    ]


def undeclared_views() -> list[str]:
    problems = []
    for label, callback in project_views():
        if label not in PUBLIC:
            problems += declaration_problems(label, callback)
    return problems


# --- every view names its permission ---------------------------------------------------------


def test_every_view_names_its_permission():
    problems = undeclared_views()
    labels = {label for label, _callback in project_views()}
    problems += [f"{label}: listed in PUBLIC but no such view" for label in PUBLIC if label not in labels]
    assert not problems, "\n".join(problems)


@pytest.mark.urls("tests.undeclared_urls")
def test_a_view_added_without_a_permission_fails_the_walk():
    problems = "\n".join(undeclared_views())
    assert "undeclared-member: UndeclaredMemberView names no permission for GET" in problems
    assert "undeclared-plain: tests.undeclared_urls.UndeclaredPlainView names no permission" in problems
    assert "/undeclared/function/: tests.undeclared_urls.undeclared_function names no permission" in problems
    assert "undeclared-api: UndeclaredApi names neither" in problems
    assert "undeclared-open-api: OpenApi replaces HasRolePermission" in problems
    assert len(undeclared_views()) == 5, problems  # and nothing else


class UndeclaredView(MemberRequiredMixin, View):
    def get(self, request):
        return HttpResponse("tenant secrets")


class DashboardLikeView(MemberRequiredMixin, View):
    permission_required = ANY_MEMBER

    def get(self, request):
        return HttpResponse("hello")


class UnknownPermissionView(MemberRequiredMixin, View):
    permission_required = ("client.view", "clinet.veiw")  # a typo: refused, as no role holds it

    def get(self, request):
        return HttpResponse("tenant secrets")


@pytest.mark.django_db
def test_a_view_naming_no_permission_refuses_even_the_owner(owner):
    request = RequestFactory().get("/")
    request.user, request.membership = owner.user, owner
    with pytest.raises(PermissionDenied):
        UndeclaredView.as_view()(request)
    with pytest.raises(PermissionDenied):
        UnknownPermissionView.as_view()(request)
    assert DashboardLikeView.as_view()(request).status_code == 200


@pytest.mark.django_db
@pytest.mark.urls("tests.undeclared_urls")
def test_an_undeclared_view_answers_403_to_every_role(client, tenant, make_member):
    for role in Role:
        member = make_member(tenant, role)
        client.force_login(member.user)
        response = client.get("/undeclared/member/")
        assert response.status_code == 403, role
        assert b"tenant secrets" not in response.content
    client.force_login(UserFactory())  # signed in, member of no tenant: sent to pick one
    assert client.get("/undeclared/member/").url == reverse("no_tenant")
    client.logout()
    assert client.get("/undeclared/member/").url.startswith(reverse("login"))


# --- the role matrix -------------------------------------------------------------------------


def expected_allowed(name, callback, method: str, membership) -> bool | None:
    """Whether msp/roles.py lets this membership's role make the request, from the view's
    declaration; None for public and any-signed-in-user views (nobody signed in is refused)."""
    if name in PUBLIC or getattr(callback, "access", None) == SIGNED_IN:
        return None
    if is_api_view(callback):
        return api_view_allows(callback, method, membership)
    permissions = member_view_permissions(callback, method)
    return bool(permissions) and all(role_has_perm(membership.role, p) for p in permissions)


def matrix_problem(name, pattern, method, allowed, response) -> str | None:
    status, location = response.status_code, response.headers.get("Location", "")
    answered = f"{status} {location}".strip()
    if allowed is None:  # public, or any signed-in user: whatever it answers, never a refusal
        if status == 403 or status >= 500 or location.startswith(reverse("login")):
            return answered
        return None
    if not allowed:
        return None if status == 403 else f"{answered}, expected 403"
    if method == "post":
        return None  # a permitted write is not made here: the apps' own tests make them
    if answers_get(pattern) is False:
        expected = 405
    elif name in REDIRECTS:
        expected = 302
    else:
        expected = 200
    return None if status == expected else f"{answered}, expected {expected}"


def member_of(world, role: str):
    known = {Role.OWNER: world.owner, Role.TECHNICIAN: world.technician, Role.CLIENT: world.contact_member}
    if role in known:
        return known[role]
    return MembershipFactory(tenant=world.tenant, role=role, user=UserFactory(username=f"perm-{role}"))


@pytest.mark.django_db
@pytest.mark.parametrize("role", [r.value for r in Role])
def test_every_role_gets_what_the_roles_declare(role):
    world = build_world(1, slug="perm")
    member = member_of(world, role)
    opened = dict(world.opened)
    if member.is_staff_member:  # a member opens its own time entry (others' need manage_all)
        opened[TimeEntry] = TimeEntryFactory(ticket=opened[Ticket], technician=member.user, minutes=10)
    http = HttpClient()
    http.force_login(member.user)
    failures, checked = [], {"get": 0, "post": 0}
    for name, _route, pattern, kwargs in project_urls():
        if name in EXEMPT:
            continue
        models = resolve_kwarg_models(name, pattern, kwargs) if kwargs else {}
        objects = {**world.alternates[OPENS[name]], TimeEntry: opened[TimeEntry]} if name in OPENS else opened
        url = _url(name, models, objects) if models else reverse(name)
        for method in ("get", "post"):
            allowed = expected_allowed(name, pattern.callback, method, member)
            if method == "post" and allowed is not False:
                continue  # only refusals are posted: nothing is written
            response = getattr(http, method)(url)
            checked[method] += 1
            problem = matrix_problem(name, pattern, method, allowed, response)
            if problem:
                verdict = {None: "open", True: "granted", False: "refused"}[allowed]
                failures.append(f"{role} {method.upper()} {name} ({verdict} by msp/roles.py): {problem}")
    assert checked["get"] > 100, "the matrix opened suspiciously few pages"
    assert not failures, "\n".join(failures)
