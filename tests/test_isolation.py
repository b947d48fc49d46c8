"""The isolation harness: every URL of the project, for every role, against another tenant.

It walks the URL configuration itself, so a URL added later is covered without a new
test. For each URL it needs to know which model a path argument names:

* ``pk`` names the view's own model (``view_class.model`` or a viewset's ``model``);
* ``<model>_pk`` names that model (``client_pk`` -> Client);
* anything else must be listed in ``EXEMPT`` with the reason, or the test fails.

A model reached that way must have a factory in ``tests.factories.ISOLATION_FACTORIES``
(Client excepted: the harness's clients are the objects), or the test fails.

For each role of tenant A it then proves that:
* detail/edit/delete URLs of tenant B's object answer exactly as for an object that does
  not exist (404; 403 where the role may not use that method at all), for every HTTP
  method, and a role that can open its own object gets 404 for B's; nothing changes;
* a client contact gets the same for another client of its own tenant, and never sees an
  internal note or its file, not even on its own company's tickets;
* list and search pages never show tenant B's (or, for a client contact, the sibling
  client's) rows, searched by a marker string that each of those rows carries;
* nothing answers with a server error.
"""

import re

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from msp.models import Client
from msp.roles import Role
from msp.scoping import TenantOwnedModel
from tests.factories import ISOLATION_FACTORIES, ClientFactory, TenantFactory

# Path arguments that are not tenant objects, by URL name, and why.
EXEMPT = {
    "password_reset_confirm": "uidb64/token identify a user by a signed token, not a tenant row",
    "invitation": "the key is the e-mailed credential of one invitation, not a row's id",
    "report_share": "the key is the credential of a shared link to a report, not a row's id",
    "report_share_pdf": "the key is the credential of a shared link to a report, not a row's id",
}
# Extra kwargs that DRF's format-suffix routes add; those routes repeat the plain ones.
SKIP_KWARGS = {"format"}

LEAK = "LEAKB"  # in every row of tenant B
SIBLING = "LEAKSIB"  # in every row of tenant A's other client (client contacts must not see it)
# A row's text is the marker plus a digit or a word; a search box echoing "?q=LEAKB" is not a leak.
LEAK_SEEN = re.compile(rf"{LEAK}(\d| Client| Tenant)", re.IGNORECASE)
SIBLING_SEEN = re.compile(rf"{SIBLING}(\d| Client)", re.IGNORECASE)


# Internal notes (and their files) of every ticket, the client's own included, carry this
# (tests.factories._ticket_with_note, _attachments_on_last_ticket): never for a client contact.
INTERNAL_SEEN = re.compile(r"Internal (Mine|LEAKB|LEAKSIB)\d+ note", re.IGNORECASE)


def _leaks(body: str, role: str) -> bool:
    if role == Role.CLIENT and INTERNAL_SEEN.search(body):
        return True
    return bool(LEAK_SEEN.search(body) or (role == Role.CLIENT and SIBLING_SEEN.search(body)))


def _body(response) -> str:
    """What the response says, a streamed download's file included."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode(errors="replace")


def _walk(patterns, prefix="", namespace=""):
    """(name, route, pattern) of every URL pattern; the name is None for an unnamed one."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield (f"{namespace}{entry.name}" if entry.name else None), prefix + str(entry.pattern), entry


def _view_model(callback):
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    return getattr(view_class, "model", None)


def _kwargs_of(pattern):
    regex = pattern.pattern.regex
    return set(regex.groupindex)


def project_urls():
    """(name, route, {kwarg: model}) for every named URL of the project."""
    seen = set()
    for name, route, pattern in _walk(get_resolver().url_patterns):
        if name is None:  # reverse() needs a name (tests/test_view_permissions.py walks them all)
            continue
        kwargs = _kwargs_of(pattern) | set(getattr(pattern.pattern, "converters", {}))
        if kwargs & SKIP_KWARGS or (name, frozenset(kwargs)) in seen:
            continue
        seen.add((name, frozenset(kwargs)))
        yield name, route, pattern, kwargs


def resolve_kwarg_models(name, pattern, kwargs):
    mapping = {}
    for kwarg in kwargs:
        if kwarg == "pk":
            model = _view_model(pattern.callback)
        elif kwarg.endswith("_pk"):
            model = next(
                (m for m in apps.get_models() if m._meta.model_name == kwarg.removesuffix("_pk")), None
            )
        else:
            model = None
        mapping[kwarg] = model
    return mapping


def test_every_url_is_covered_by_the_harness():
    """A URL whose arguments the harness cannot fill fails here until it is registered."""
    problems = []
    for name, route, pattern, kwargs in project_urls():
        if not kwargs or name in EXEMPT:
            continue
        for kwarg, model in resolve_kwarg_models(name, pattern, kwargs).items():
            if model is None:
                problems.append(
                    f"{name} ({route}): cannot tell which model '{kwarg}' names; add it to EXEMPT or name it <model>_pk"
                )
            elif not issubclass(model, TenantOwnedModel):
                problems.append(f"{name}: {model.__name__} is not tenant-owned")
            elif model is not Client and model not in ISOLATION_FACTORIES:
                problems.append(
                    f"{name}: register a factory for {model.__name__} in tests.factories.ISOLATION_FACTORIES"
                )
    assert not problems, "\n".join(problems)


class World:
    """Tenant A (clients A1, A2) and tenant B (client B1), each with one of every model."""

    def __init__(self):
        self.tenant_a = TenantFactory(name="Tenant A", slug="tenant-a")
        self.tenant_b = TenantFactory(name=f"{LEAK} Tenant", slug="tenant-b")
        self.client_a1 = ClientFactory(tenant=self.tenant_a, name="Alpha One")
        self.client_a2 = ClientFactory(tenant=self.tenant_a, name=f"{SIBLING} Client")
        self.client_b1 = ClientFactory(tenant=self.tenant_b, name=f"{LEAK} Client")
        self.mine, self.theirs, self.sibling = (
            {Client: self.client_a1},
            {Client: self.client_b1},
            {Client: self.client_a2},
        )
        for n, (model, build) in enumerate(ISOLATION_FACTORIES.items()):
            self.mine[model] = build(self.tenant_a, self.client_a1, f"Mine{n}")
            self.theirs[model] = build(self.tenant_b, self.client_b1, f"{LEAK}{n}")
            self.sibling[model] = build(self.tenant_a, self.client_a2, f"{SIBLING}{n}")

    def snapshot(self):
        """Every row of tenant B and of A's sibling client, as (model, pk, str) triples."""
        rows = set()
        for objects in (self.theirs, self.sibling):
            for model, obj in objects.items():
                fresh = model.unscoped.filter(pk=obj.pk).first()
                rows.add((model.__name__, obj.pk, str(fresh)))
        for model in [Client, *ISOLATION_FACTORIES]:
            rows.add((model.__name__, "count-b", model.unscoped.filter(tenant=self.tenant_b).count()))
        return rows


METHODS = ["get", "post", "put", "patch", "delete"]


def _url(name, kwargs, objects):
    return reverse(name, kwargs={k: objects[m].pk for k, m in kwargs.items()})


def _call(http, method, url):
    if method == "get":
        return http.get(url)
    return getattr(http, method)(url, data={"name": "hijacked"}, content_type="application/json")


@pytest.mark.django_db
@pytest.mark.parametrize("role", [r.value for r in Role])
def test_no_url_leaks_another_tenant_or_client(client, make_member, role):
    world = World()
    member = make_member(world.tenant_a, role, client=world.client_a1 if role == Role.CLIENT else None)
    client.force_login(member.user)
    before = world.snapshot()
    failures = find_leaks(client, role, world)
    assert not failures, "\n".join(failures)
    assert world.snapshot() == before, "a request changed another tenant's or client's rows"


@pytest.mark.django_db
@pytest.mark.urls("tests.leaky_urls")
def test_the_harness_catches_a_leaky_view(client, make_member):
    """The harness must fail on views that bypass the scope (tests/leaky_urls.py)."""
    world = World()
    member = make_member(world.tenant_a, Role.TECHNICIAN)
    client.force_login(member.user)
    failures = "\n".join(find_leaks(client, Role.TECHNICIAN, world))
    assert "leaky-list" in failures and "shows another tenant's" in failures
    assert "leaky-detail on tenant B's object" in failures
    assert "leaky-download on tenant B's object: body shows it" in failures


def find_leaks(client, role, world) -> list[str]:
    failures = []

    for name, _route, pattern, kwargs in project_urls():
        if name in EXEMPT:
            continue
        if not kwargs:
            for query in ("", f"?q={LEAK}", f"?search={LEAK}", f"?q={SIBLING}", f"?search={SIBLING}"):
                response = client.get(reverse(name) + query)
                body = _body(response)
                if response.status_code >= 500:
                    failures.append(f"{role} GET {name}{query}: {response.status_code}")
                if _leaks(body, role):
                    failures.append(f"{role} GET {name}{query}: shows another tenant's or client's rows")
            continue

        models = resolve_kwarg_models(name, pattern, kwargs)
        own = client.get(_url(name, models, world.mine))
        own_status = own.status_code
        if role == Role.CLIENT and INTERNAL_SEEN.search(_body(own)):
            failures.append(f"{role} GET {name} on its own object: shows an internal note")
        missing_url = reverse(name, kwargs={k: 10**9 for k in models})
        targets = [("tenant B", world.theirs)]
        if role == Role.CLIENT:
            targets.append(("sibling client", world.sibling))
        for label, objects in targets:
            url = _url(name, models, objects)
            for method in METHODS:
                response = _call(client, method, url)
                body = _body(response)
                if _leaks(body, role):
                    failures.append(f"{role} {method.upper()} {name} on {label}'s object: body shows it")
                # Another tenant's object must be indistinguishable from one that does not exist.
                absent = _call(client, method, missing_url).status_code
                if response.status_code not in (403, 404, 405) or response.status_code != absent:
                    failures.append(
                        f"{role} {method.upper()} {name} on {label}'s object: {response.status_code} "
                        f"(a missing object answers {absent})"
                    )
                if method == "get" and own_status == 200 and response.status_code != 404:
                    failures.append(f"{role} GET {name} on {label}'s object: {response.status_code}, not 404")

    return failures


@pytest.mark.django_db
def test_anonymous_gets_nothing(client):
    world = World()
    for name, _route, pattern, kwargs in project_urls():
        if name in EXEMPT:
            continue
        if kwargs:
            models = resolve_kwarg_models(name, pattern, kwargs)
            url = _url(name, models, world.theirs)
        else:
            url = reverse(name)
        response = client.get(url)
        assert response.status_code < 500, f"{name}: {response.status_code}"
        assert not _leaks(_body(response), "anonymous"), f"{name} shows data to anonymous users"
