"""The query-count harness (issue 5): every page and API endpoint, at two data sizes.

Like the isolation harness (tests/test_isolation.py, whose URL walk it reuses) it covers
every URL of the project by construction: a URL added later is measured without a new test.
Two tenants are built side by side (tests/world.py): one with ``SMALL`` rows of everything
hanging off the objects the pages open, one with ``BIG``. Each GET-able URL is requested in
both, as the role that uses it (the owner for staff pages, the owner's API token for the
API, a client contact for the portal, nobody for the sign-in pages), with
``CaptureQueriesContext``, and must:

* answer 200 (or the redirect listed in ``REDIRECTS``);
* run as many queries at ``BIG`` as at ``SMALL``: a count that grows with the data is an N+1;
* run at most ``BUDGET`` queries.

Besides the plain URL it also measures, by construction, the htmx partial of every list
view with a partial template (``HtmxPartialMixin``) and page 2 of every paginated API list,
plus the filters, searches and other objects listed in ``VARIANTS``.

Each URL is requested once in the small world before it is measured there, so one-off work
(Django's content-type cache, a token's last-used stamp) is not counted; the big world is
measured at once, and measured again if the counts differ, so that only a difference that
repeats fails. The plain page must also show the big world's last rows (``SHOWS``), so equal
counts cannot come from a page that shows nothing. Counts are
compared within one backend only: SQLite and PostgreSQL (savepoints, a Redis cache instead
of the database one) differ in absolute numbers, but both must stay constant and in budget.

A failure names the URL, both counts and the SQL that grew (values stripped, grouped), and
all failures are reported at once. The ad-hoc query-count tests elsewhere predate this.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assets.choices import AssetKind
from assets.models import Asset
from contracts.models import Contract
from msp.models import Client, Contact, Membership, Site
from msp.views.base import HtmxPartialMixin
from sales.models import Offer
from tests.factories import ISOLATION_FACTORIES
from tests.test_isolation import _url, project_urls, resolve_kwarg_models
from tests.world import OPENED_MODELS, build_world

SMALL, BIG = 2, 6
BUDGET = 15  # queries per request (issue 5)

# URLs not measured, and why. Keep it short: an N+1 is never a reason.
EXEMPT = {
    "password_reset_confirm": "uidb64/token identify a user by a signed e-mail token, not a row",
    "invitation": "the key is a secret e-mailed to the invitee: only its digest is stored",
    # Measured by tests/reports/test_shares.py (constant queries, whatever the report's size).
    "report_share": "the key is a shared link's secret: only its digest is stored",
    "report_share_pdf": "the key is a shared link's secret: only its digest is stored",
}
# Pages for people who are not signed in: measured signed out.
ANONYMOUS = {"login", "signup", "password_reset", "password_reset_done", "password_reset_complete"}
# URL name -> (URL name, its kwargs from this URL's) a signed-in member is redirected to on a
# plain GET; htmx asks these for a fragment and gets 200 (see VARIANTS).
REDIRECTS = {
    "no_tenant": ("dashboard", {}),  # a member of a tenant has one
    "tickets:reply": ("tickets:detail", {"pk": "pk"}),  # the reply form lives on the ticket page
    "timesheet:ticket-log-form": ("tickets:detail", {"pk": "ticket_pk"}),  # so does the panel's
}
# URL name -> the World.alternates entry its plain variant opens (the default one cannot).
OPENS = {
    "offers:delete": "draft offer",  # only a draft can be deleted; a sent one redirects
    "offers:update": "draft offer",  # only a draft can be edited; a sent one redirects
}


@dataclass(frozen=True)
class Variant:
    """One more way to open a URL: a query string (may use World.placeholders()), as htmx,
    as another role, or on the objects of World.alternates[objects]."""

    query: str = ""
    htmx: bool = False
    role: str | None = None  # "owner", "technician", "contact", "api", "anonymous"; default by URL
    objects: str | None = None

    def label(self) -> str:
        parts = [self.query] if self.query else []
        if self.htmx:
            parts.append("[htmx]")
        if self.role:
            parts.append(f"[as {self.role}]")
        if self.objects:
            parts.append(f"[{self.objects}]")
        return " ".join(parts)


HTMX = Variant(htmx=True)
API_PAGE_2 = Variant(query="?page=2&page_size={half}")

# Filters, searches and sorts that take other code paths, and pages opened on other objects.
VARIANTS = {
    "dashboard": [Variant(role="contact"), Variant(role="technician")],
    "owner_dashboard": [Variant(query="?sla=response&all=sla")],
    "mail:list": [Variant(query="?status=failed")],
    "inbox:log": [Variant(query="?status=ticket"), Variant(query="?status=review", role="technician")],
    "inbox:review": [Variant(role="technician")],
    "api:inbound-message-list": [Variant(query="?status=review")],
    "notifications:list": [Variant(query="?status=unread"), Variant(role="technician")],
    "notifications:badge": [HTMX, Variant(role="technician")],
    "api:notification-list": [Variant(query="?read=false")],
    "clients:list": [Variant(query="?q=Acme"), Variant(query="?q=Acme", htmx=True)],
    "contacts:list": [Variant(query="?q=Contact"), Variant(query="?q=Contact", htmx=True)],
    "assets:list": [
        Variant(query="?q=host"),
        Variant(query="?client={client}&kind=server"),
        Variant(query="?warranty=30"),
        Variant(query="?q=host&client={client}", htmx=True),
    ],
    "tickets:list": [
        Variant(query="?status=open&priority=P2"),
        Variant(query="?status=all"),
        Variant(query="?q=Ticket"),
        Variant(query="?client={client}&sla=attention"),
        Variant(query="?mine=1"),
        Variant(query="?mine=1", role="technician"),
        Variant(query="?unassigned=1"),
        Variant(query="?status=open&priority=P2", htmx=True),
    ],
    "tickets:create": [Variant(query="?client={client}")],
    "tickets:client-fields": [Variant(query="?client={client}")],
    "tickets:asset-options": [Variant(query="?client={client}&asset_search=Asset")],
    "offers:list": [Variant(query="?status=sent"), Variant(query="?q=Offer&client={client}", htmx=True)],
    "offers:create": [Variant(query="?client={client}"), Variant(query="?q=Acme", htmx=True)],
    "offers:detail": [Variant(objects="accepted offer"), Variant(objects="draft offer")],
    "offers:delete": [Variant(objects="draft offer")],
    "contracts:list": [Variant(query="?kind=prepaid_hours"), Variant(query="?client={client}", htmx=True)],
    "contracts:create": [Variant(query="?client={client}")],
    "contracts:detail": [
        Variant(objects="managed contract"),
        Variant(objects="break/fix contract"),
        Variant(query="?page=1"),
    ],
    "contracts:update": [Variant(objects="managed contract")],
    "tickets:reply": [HTMX],  # the queue row's reply form
    "timesheet:ticket-log-form": [HTMX],  # the ticket panel's "Log time" form
    "timesheet:week": [
        Variant(query="?view=day"),
        Variant(query="?technician={technician_user}"),
        Variant(role="technician"),
    ],
    "portal:hours": [Variant(query="?contract={prepaid}"), Variant(query="?contract={prepaid}&page=2")],
    "portal:tickets": [Variant(query="?status=open"), Variant(query="?status=done&asset={asset}")],
    "portal:assets": [
        Variant(query="?problem=offline"),
        Variant(query="?problem=warranty&q=host"),
        Variant(query="?q=Asset&page=2"),
    ],
    "portal:ticket-create": [Variant(query="?asset={asset}")],
    "portal:report-pdf": [Variant(query="?inline=1")],
    "api:ticket-list": [Variant(query="?status=open&priority=P2"), Variant(query="?search=Ticket")],
    "api:asset-list": [Variant(query="?client={client}&kind=server")],
    "api:contract-list": [Variant(query="?client={client}")],
    "api:contract-detail": [Variant(objects="managed contract")],
    "api:offer-list": [Variant(query="?client={client}&status=sent")],
    "api:offer-detail": [Variant(objects="accepted offer")],
    "api:contract-ledger": [API_PAGE_2],
    "monitoring:board": [
        Variant(query="?status=resolved"),
        Variant(query="?status=&client={client}&severity=critical&severity=warning"),
        Variant(query="?check=check_1", htmx=True),
        Variant(role="technician"),
    ],
    "monitoring:health-client": [Variant(query="?problem=warranty"), Variant(query="?problem=patches")],
    "monitoring:unknown-link": [Variant(query="?client={client}&q=Asset")],
    "monthly_reports:list": [
        Variant(query="?client={client}&status=sent"),
        Variant(query="?period=2026-01", htmx=True),
        Variant(role="contact"),
    ],
    "monthly_reports:detail": [Variant(role="contact")],
    "monthly_reports:preview": [Variant(query="?period=2026-01")],
    "api:monthlyreport-list": [Variant(query="?client={client}&ordering=-generated_at")],
}

# Text the big world's rows put on a page ("{last}" is the last row's number): proof that
# the plain page really shows the rows whose number changes between the sizes.
SHOWS = {
    "dashboard": ["tech{last}", "Asset {last}"],  # utilisation per technician, warranties ending
    "owner_dashboard": ["Acme {last}"],  # SLA compliance by client
    "clients:list": ["Acme {last}"],
    "clients:detail": ["Site {last}", "Contact {last}"],
    "sites:detail": ["Contact {last}"],
    "contacts:list": ["Contact {last}"],
    "members:list": ["tech{last}"],
    "mail:list": ["Mail {last}"],
    "inbox:review": ["Stranger {last}", "Text {last}"],
    "inbox:log": ["Filed e-mail {last}", "E-mail {last}"],
    "inbox:message": ["Acme {last}"],  # the clients it may be assigned to
    "api:inbound-message-list": ["E-mail {last}"],
    "notifications:list": ["Notification {last}"],
    "assets:list": ["Asset {last}"],
    "tiers:list": ["Tier {last}"],
    "sla:list": ["Calendar {last}", "Policy {last}"],
    "services:list": ["Service {last}"],
    "offers:list": ["Offer {last}"],
    "offers:detail": ["Tier {last}", "Service {last}"],
    "offers:send": ["Contact {last}"],
    "contracts:list": ["Acme {last}"],
    "contracts:detail": ["Manual purchase"],
    "tickets:list": ["Ticket {last}"],
    "tickets:detail": ["Reply {last}", "Note {last}", "Work {last}", "tech{last}", "Mail {last}", "Inbound {last}"],
    "timesheet:week": ["Work {last}"],
    "timesheet:worktypes": ["Work {last}"],
    "portal:offers": ["Offer {last}"],
    "portal:offer": ["Tier {last}", "Service {last}"],
    "portal:tickets": ["Ticket {last}"],
    "portal:ticket": ["Reply {last}"],
    "portal:hours": ["Manual purchase"],
    "portal:assets": ["Asset {last}"],
    "portal:asset": ["check_0", "Ticket {last}"],
    "api:client-list": ["Acme {last}"],
    "api:site-list": ["Site {last}"],
    "api:contact-list": ["Contact {last}"],
    "api:member-list": ["tech{last}"],
    "api:asset-list": ["Asset {last}"],
    "api:tier-list": ["Tier {last}"],
    "api:recurring-service-list": ["Service {last}"],
    "api:contract-list": ["Acme {last}"],
    "api:offer-list": ["Offer {last}"],
    "api:ticket-comments": ["Reply {last}", "Note {last}"],
    "api:ticket-attachments": ["file {last}", "reply file {last}", "note file {last}"],
    "api:ticket-list": ["Ticket {last}"],
    "api:time-entry-list": ["Work {last}"],
    "api:notification-list": ["Notification {last}"],
    "api:work-type-list": ["Work {last}"],
    "api:contract-ledger": ["Manual purchase"],
    "monitoring:board": ["Alert {last}", "Acme 0"],
    "monitoring:health": ["Acme {last}"],
    "monitoring:health-client": ["Asset {last}"],
    "monitoring:unknown": ["unknown-{last}"],
    "monitoring:keys": ["Key {last}"],
    "inbox:mailboxes": ["Mailbox {last}", "Cannot reach 127.0.0.1:9"],
    "api:mailbox-list": ["Mailbox {last}"],
    "assets:detail": ["check_0"],
    "monthly_reports:list": ["Acme {last}"],
}

GET_ACTIONS = {"get"}


def answers_get(pattern) -> bool | None:
    """Whether a URL's view has a GET handler: True/False when the view says so, None for a
    function view (a 405 answer then means it takes POST only)."""
    actions = getattr(pattern.callback, "actions", None)
    if actions is not None:  # a DRF viewset route
        return bool(GET_ACTIONS & set(actions))
    view_class = getattr(pattern.callback, "view_class", None) or getattr(pattern.callback, "cls", None)
    if view_class is None:
        return None
    return "get" in view_class.http_method_names and hasattr(view_class, "get")


def is_paginated_api_list(pattern) -> bool:
    actions = getattr(pattern.callback, "actions", None) or {}
    view_class = getattr(pattern.callback, "cls", None)
    return actions.get("get") == "list" and getattr(view_class, "pagination_class", None) is not None


def has_htmx_partial(pattern) -> bool:
    view_class = getattr(pattern.callback, "view_class", None)
    return bool(
        view_class
        and issubclass(view_class, HtmxPartialMixin)
        and getattr(view_class, "partial_template_name", None)
    )


def default_role(name: str, route: str) -> str:
    if name in ANONYMOUS:
        return "anonymous"
    if route.startswith("api/"):
        return "api"
    if name.startswith("portal:"):
        return "contact"
    return "owner"


def variants_of(name, route, pattern) -> list[Variant]:
    variants = [Variant(objects=OPENS.get(name))]
    if has_htmx_partial(pattern):
        variants.append(HTMX)
    if is_paginated_api_list(pattern):
        variants.append(API_PAGE_2)
    for variant in VARIANTS.get(name, []):
        if variant not in variants:
            variants.append(variant)
    return variants


def measured_urls(only=None):
    """(name, route, pattern, {kwarg: model}) of every URL the harness measures, and the
    POST-only ones it skips by construction."""
    measured, post_only = [], []
    for name, route, pattern, kwargs in project_urls():
        if name in EXEMPT or (only and not only(name)):
            continue
        if answers_get(pattern) is False:
            post_only.append(name)
            continue
        models = resolve_kwarg_models(name, pattern, kwargs) if kwargs else {}
        measured.append((name, route, pattern, models))
    return measured, post_only


# --- measuring ------------------------------------------------------------------------------


class Principals:
    """The signed-in (or not) test clients of one world."""

    def __init__(self, world):
        self.world = world
        owner, technician, contact = HttpClient(), HttpClient(), HttpClient()
        owner.force_login(world.owner.user)
        technician.force_login(world.technician.user)
        contact.force_login(world.contact_member.user)
        self.http = {
            "owner": owner,
            "technician": technician,
            "contact": contact,
            "api": HttpClient(headers={"authorization": f"Token {world.token}"}),
            "anonymous": HttpClient(),
        }


@dataclass
class Measure:
    url: str
    kwargs: dict
    status: int
    location: str
    queries: list[str]
    body: str

    @property
    def count(self) -> int:
        return len(self.queries)


def request(principals: Principals, name, route, models, variant: Variant, *, warm_up=True) -> Measure:
    world = principals.world
    objects = world.alternates[variant.objects] if variant.objects else world.opened
    kwargs = {kwarg: objects[model].pk for kwarg, model in models.items()}
    url = _url(name, models, objects) if models else reverse(name)
    url += variant.query.format(**world.placeholders())
    http = principals.http[variant.role or default_role(name, route)]
    headers = {"HX-Request": "true"} if variant.htmx else {}
    if warm_up:
        http.get(url, headers=headers)  # one-off work (content-type cache...) is not the page's cost
    with CaptureQueriesContext(connection) as captured:
        response = http.get(url, headers=headers)
    return Measure(
        url=url,
        kwargs=kwargs,
        status=response.status_code,
        location=response.headers.get("Location", ""),
        queries=[query["sql"] for query in captured.captured_queries],
        body=response.content.decode(errors="replace") if name in SHOWS and variant == Variant() else "",
    )


_STRING = re.compile(r"'(?:[^']|'')*'")
_DIGITS = re.compile(r"\d+")
_IN_LIST = re.compile(r"IN \((?:%s|#)(?:, (?:%s|#))*\)")
_SAVEPOINT = re.compile(r'(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT) "?[\w]+"?')


def shape(sql: str) -> str:
    """A query's text without its values: the same query for another row looks the same."""
    sql = _DIGITS.sub("#", _STRING.sub("'…'", sql))
    sql = _IN_LIST.sub("IN (…)", sql)
    return _SAVEPOINT.sub(r"\1 …", sql)


def grown(small: Measure, big: Measure) -> list[str]:
    """The query shapes run more often at the big size, most-grown first."""
    before, after = Counter(map(shape, small.queries)), Counter(map(shape, big.queries))
    rows = [
        (after[sql] - before[sql], before[sql], after[sql], sql) for sql in after if after[sql] > before[sql]
    ]
    rows.sort(key=lambda row: -row[0])
    return [f"    {b} → {a} ×  {sql[:400]}" for _d, b, a, sql in rows]


def grouped(measure: Measure) -> list[str]:
    counts = Counter(map(shape, measure.queries))
    return [f"    {n} ×  {sql[:300]}" for sql, n in counts.most_common()]


def status_problem(name, measure: Measure, variant: Variant) -> str | None:
    if name in REDIRECTS and not variant.htmx:
        target, kwargs = REDIRECTS[name]
        expected = reverse(target, kwargs={key: measure.kwargs[arg] for key, arg in kwargs.items()})
        if measure.status == 302 and measure.location.split("#")[0] == expected:
            return None
        return f"{measure.status} {measure.location}, expected a redirect to {expected}"
    if measure.status != 200:
        return f"{measure.status} {measure.location}".strip()
    return None


def measure_all(small_world, big_world, only=None):
    """Measure every URL in both worlds: (table rows, {label: [problems]}, POST-only names)."""
    small_http, big_http = Principals(small_world), Principals(big_world)
    for principals in (small_http, big_http):  # first use: a token's last-used stamp, the session
        for role, http in principals.http.items():
            http.get(reverse("api:api-root" if role == "api" else "dashboard"))
    urls, post_only = measured_urls(only)
    rows, failures = [], {}
    for name, route, pattern, models in urls:
        for variant in variants_of(name, route, pattern):
            label = f"{name} {variant.label()}".strip()
            small = request(small_http, name, route, models, variant)
            if answers_get(pattern) is None and small.status == 405:
                post_only.append(name)
                break
            # The small world warmed the caches up; the big one is measured cold once, and
            # again if it differs (its principals' first use, say), so flukes cannot fail it.
            big = request(big_http, name, route, models, variant, warm_up=False)
            if big.count != small.count:
                big = request(big_http, name, route, models, variant, warm_up=False)
            rows.append((label, small.count, big.count))
            problems = [
                f"{m.url} answered {problem}"
                for m in (small, big)
                if (problem := status_problem(name, m, variant))
            ]
            if name in SHOWS and variant == Variant():
                markers = [m.format(last=big_world.n - 1) for m in SHOWS[name]]
                missing = [m for m in markers if m not in big.body]
                if missing:
                    problems.append(f"{big.url} does not show {missing}: it measures no rows")
            if not problems and big.count != small.count:
                problems.append(
                    f"{small.count} queries at n={small_world.n}, {big.count} at n={big_world.n} (N+1)"
                    f" on {big.url}; grew:\n" + "\n".join(grown(small, big) or grouped(big))
                )
            if not problems and max(small.count, big.count) > BUDGET:
                problems.append(
                    f"{small.count} queries at n={small_world.n}, {big.count} at n={big_world.n} on {big.url}:"
                    f" over the budget of {BUDGET}:\n" + "\n".join(grouped(big))
                )
            if problems:
                failures[label] = problems
    return rows, failures, post_only


def report(failures) -> str:
    return "\n\n".join(f"{label}: " + "\n".join(problems) for label, problems in failures.items())


def table(rows) -> str:
    width = max((len(label) for label, _s, _b in rows), default=10)
    lines = [f"{'URL':<{width}}  n={SMALL:<3} n={BIG:<3}"]
    lines += [f"{label:<{width}}  {s:<5} {b:<5}{'  <-- N+1' if b != s else ''}" for label, s, b in rows]
    return "\n".join(lines)


# --- tests ----------------------------------------------------------------------------------


def test_every_url_is_measured_or_exempt():
    """A URL the harness cannot open fails here until the world opens its objects (or it is
    exempted with a reason); variants must name URLs that exist."""
    problems = [
        f"tests/world.py opens no {model.__name__}: every model of ISOLATION_FACTORIES needs one"
        for model in [Client, *ISOLATION_FACTORIES]
        if model not in OPENED_MODELS
    ]
    names = set()
    for name, route, pattern, kwargs in project_urls():
        names.add(name)
        if name in EXEMPT or answers_get(pattern) is False or not kwargs:
            continue
        for kwarg, model in resolve_kwarg_models(name, pattern, kwargs).items():
            if model not in OPENED_MODELS:
                problems.append(
                    f"{name} ({route}): the world opens no {getattr(model, '__name__', model)} for '{kwarg}'; "
                    "add one to tests/world.py (with n rows hanging off it)"
                )
    for name in [*VARIANTS, *REDIRECTS, *EXEMPT, *ANONYMOUS, *OPENS, *SHOWS]:
        if name not in names:
            problems.append(f"{name}: listed in the harness but no such URL")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_every_page_runs_a_constant_number_of_queries_within_budget():
    small, big = build_world(SMALL, slug="qc-small"), build_world(BIG, slug="qc-big")
    rows, failures, post_only = measure_all(small, big)
    print(table(rows))
    print("POST only (not measured):", ", ".join(sorted(set(post_only))))
    assert len(rows) > 100, "the harness measured suspiciously few pages"
    assert not failures, f"{len(failures)} page(s) failed:\n" + report(failures)


@pytest.mark.django_db
@pytest.mark.urls("tests.nplusone_urls")
def test_the_harness_catches_an_n_plus_one():
    """Deliberately bad views (tests/nplusone_urls.py) must fail, naming the SQL that grew."""
    small, big = build_world(SMALL, slug="qc-small"), build_world(BIG, slug="qc-big")
    rows, failures, _post_only = measure_all(small, big, only=lambda name: name.startswith("nplusone"))
    assert {label for label, _s, _b in rows} == {
        "nplusone-list",
        "nplusone-detail",
        "nplusone-heavy",
        "nplusone-fine",
    }
    assert set(failures) == {"nplusone-list", "nplusone-detail", "nplusone-heavy"}, report(failures)
    listing, detail, heavy = (
        " ".join(failures[k]) for k in ("nplusone-list", "nplusone-detail", "nplusone-heavy")
    )
    # The query that repeats per row is named, with how often it ran at each size.
    assert f"(N+1) on /nplusone/tickets/; grew:\n    {SMALL * 2 - 1} → {BIG * 2 - 1} ×  SELECT" in listing
    assert 'SELECT "msp_client"."id"' in listing  # the client read per row, named by its table
    assert "(N+1)" in detail and 'FROM "msp_user"' in detail
    assert "over the budget" in heavy and "(N+1)" not in heavy


@pytest.mark.django_db
def test_the_world_hangs_n_rows_off_every_opened_object():
    """The pages open objects with n related rows; otherwise equal counts would prove nothing."""
    from contracts.models import HourBlock, LedgerEntry, RecurringService, ServiceTier
    from msp.scoping import unscoped
    from sales.models import OfferOption
    from tickets.models import Attachment, Ticket, TicketComment
    from timetracking.models import TimeEntry, Timer, WorkType

    n = 3
    world = build_world(n, slug="qc-check")
    opened = world.opened
    ticket, contract, client = opened[Ticket], opened[Contract], world.client
    with unscoped():
        in_tenant = {"tenant": world.tenant}
        assert TicketComment.unscoped.filter(ticket=ticket, public=True).count() == n
        assert TicketComment.unscoped.filter(ticket=ticket, public=False).count() == n
        files = Attachment.unscoped.filter(ticket=ticket)
        assert files.filter(comment=None).count() == n
        assert (
            files.filter(comment__public=True).count() == n
            and files.filter(comment__public=False).count() == n
        )
        assert TimeEntry.unscoped.filter(ticket=ticket).count() == n
        assert Timer.unscoped.filter(ticket=ticket).count() == n + 1
        assert HourBlock.unscoped.filter(contract=contract).count() == n
        assert LedgerEntry.unscoped.filter(contract=contract).count() >= 2 * n
        assert OfferOption.unscoped.filter(offer=opened[Offer]).count() == n
        assert len(opened[Offer].options.first().lines) >= n
        for related in ("sites", "contacts", "assets", "tickets"):
            assert getattr(client, related).count() == n, related
        assert client.offers.filter(status="sent").count() == n
        assert client.contracts.count() >= n
        assert opened[Site].contacts.count() == n and opened[Site].assets.count() == n
        assert opened[Contact].tickets.count() == n and opened[Contact].assets.count() == n
        assert opened[Asset].tickets.count() == n
        assert ServiceTier.unscoped.filter(**in_tenant).count() == n
        assert opened[ServiceTier].prices.count() == len(AssetKind.values)
        assert RecurringService.unscoped.filter(**in_tenant).count() == n
        assert WorkType.unscoped.filter(**in_tenant).count() >= n
        assert Client.unscoped.filter(**in_tenant).count() == n
        assert Membership.unscoped.filter(**in_tenant).count() >= n
        assert TimeEntry.unscoped.filter(**in_tenant, technician=world.owner.user).count() == n
