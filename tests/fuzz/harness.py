"""Schemathesis against the app in-process: the project's own schema, a seeded tenant, one
API key per role, every operation.

The app is Django's own WSGI handler called by schemathesis' WSGI transport (no server, no
mock): the request runs the middleware, the scope, the permissions and the database of the
test. Each generated case runs inside a savepoint that is rolled back after it, so a DELETE
or an accepted offer in one case does not change what the next case finds: every case
starts from the seeded world (tests/world.py) and its path ids name real objects.
"""

from __future__ import annotations

import json
import re
import traceback
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

import hypothesis
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from djmoney.money import Money
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from assets.models import Asset
from billing.models import ExportBatch, Invoice, SdiReceipt, TaxRate
from billing.services.invoices import LineDraft, invoice_draft_create
from contracts.models import Contract, RecurringService, ServiceTier
from inbox.models import InboundMessage, Mailbox
from monitoring.models import Alert, IngestKey
from monitoring.services.keys import ingest_key_create
from msp.models import ApiToken, Client, Contact, Invitation, Membership, Notification, Site
from msp.roles import Role
from msp.scoping import unscoped
from reports.models import MonthlyReport
from sales.models import Offer
from tests.factories import MembershipFactory, UserFactory
from tests.world import build_world
from tickets.models import Attachment, Ticket
from timetracking.models import TimeEntry, WorkType

POSITIVE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
NEGATIVE_CHECKS = [*POSITIVE_CHECKS, negative_data_rejection]

# What a path's `{id}` names, by the collection before it; `<model>_pk` names that model.
COLLECTIONS = {
    "assets": Asset,
    "clients": Client,
    "contacts": Contact,
    "contracts": Contract,
    "einvoices/receipts": SdiReceipt,
    "exports": ExportBatch,
    "inbox/mailboxes": Mailbox,
    "inbox/messages": InboundMessage,
    "invoices": Invoice,
    "invitations": Invitation,
    "members": Membership,
    "monitoring/alerts": Alert,
    "monitoring/keys": IngestKey,
    "notifications": Notification,
    "offers": Offer,
    "recurring-services": RecurringService,
    "reports": MonthlyReport,
    "sites": Site,
    "tax-rates": TaxRate,
    "tickets": Ticket,
    "tiers": ServiceTier,
    "time-entries": TimeEntry,
    "work-types": WorkType,
}
NAMED = {"contract_pk": Contract, "attachment_pk": Attachment}
PREFIX = "/api/v1/"


def load_schema():
    """The schema drf-spectacular serves at /api/v1/schema/, generated in-process."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    raw = json.loads(OpenApiJsonRenderer().render(document, renderer_context={}))
    schema = schemathesis.openapi.from_dict(raw)
    schema.app = WSGIHandler()
    return schema


def operation_label(operation) -> str:
    return f"{operation.method.upper()} {operation.path}"


@dataclass
class Seeded:
    world: object
    headers: dict  # role name -> the headers that authenticate as it
    ids: dict  # model -> candidate pks (the opened object first)


def seed(slug: str) -> Seeded:
    """tests/world.py's tenant (one object of every kind), plus what it lacks for the API:
    a key for every role, an ingest key, a draft invoice beside the issued one."""
    world = build_world(1, slug=slug)
    with unscoped():
        tokens = {"owner": ApiToken.issue(world.owner)[1]}
        for role in (Role.ADMIN, Role.ACCOUNT_MANAGER):
            member = MembershipFactory(
                tenant=world.tenant, role=role, user=UserFactory(username=f"{slug}-{role}")
            )
            tokens[str(role)] = ApiToken.issue(member)[1]
        tokens["technician"] = ApiToken.issue(world.technician)[1]
        tokens["client"] = ApiToken.issue(world.contact_member)[1]
        _key, ingest = ingest_key_create(tenant=world.tenant, name="Fuzz")
        draft = invoice_draft_create(
            client=world.client,
            lines=[
                LineDraft(
                    kind="adjustment",
                    description="Fuzz",
                    unit_price=Money(Decimal("10"), world.client.currency),
                )
            ],
        )
    headers = {role: {"Authorization": f"Token {key}"} for role, key in tokens.items()}
    headers["ingest"] = {"X-Ingest-Key": ingest}
    headers["anonymous"] = {}
    ids = {model: [obj.pk] for model, obj in world.opened.items()}
    for alternate in world.alternates.values():
        for model, obj in alternate.items():
            if obj.pk not in ids[model]:
                ids[model].append(obj.pk)
    ids[Invoice].append(draft.pk)
    return Seeded(world=world, headers=headers, ids=ids)


def path_strategy(operation, ids) -> dict:
    """A strategy for each path parameter: one of the seeded objects it names."""
    names = [p.name for p in operation.path_parameters]
    if not names:
        return {}
    collection = operation.path[len(PREFIX) :].split("/{", 1)[0]
    found = {}
    for name in names:
        model = NAMED.get(name) or (COLLECTIONS.get(collection) if name == "id" else None)
        if model is None:
            raise LookupError(
                f"{operation_label(operation)}: which model does {{{name}}} name? (tests/fuzz/harness.py)"
            )
        found[name] = st.sampled_from(ids[model])
    return found


@dataclass
class Outcome:
    cases: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: dict = field(default_factory=dict)  # operation label -> what failed
    known: dict = field(default_factory=dict)  # operation label -> the known findings it met
    operations: set = field(default_factory=set)


class _ServerErrors:
    """The traceback of each request that raised: a 500's cause, in the failure message."""

    def __init__(self):
        self.last = None

    def __call__(self, sender, request=None, **kwargs):
        self.last = traceback.format_exc()


def run(schema, seeded, *, role, mode, examples, few, known=None) -> Outcome:
    """Every operation of the schema as `role`, `examples` cases each (`few` where the role
    is refused: the refusal is checked, not fuzzed at length). A failure whose message
    matches one of `known` (pattern -> why) is counted there instead of failing."""
    outcome = Outcome()
    errors = _ServerErrors()
    # Django's handler closes "old" connections at each request's start and end: inside the
    # test's transaction that would drop it (the test client does the same disconnection).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    got_request_exception.connect(errors)
    try:
        for result in schema.get_all_operations():
            operation = result.ok()
            label = operation_label(operation)
            outcome.operations.add(label)
            checks = NEGATIVE_CHECKS if mode == "negative" else POSITIVE_CHECKS
            count = examples if _allowed(operation, seeded, role) else few
            try:
                _fuzz(
                    operation,
                    seeded,
                    role=role,
                    mode=mode,
                    examples=count,
                    checks=checks,
                    outcome=outcome,
                    errors=errors,
                    known=known or {},
                )
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - each operation's first failure is kept
                if mode == "negative" and isinstance(exc, hypothesis.errors.Unsatisfiable) and _no_input(operation):
                    continue  # nothing to make invalid (GET organisation/ takes no input at all)
                detail = str(exc)
                if errors.last:
                    detail += "\n" + errors.last
                outcome.failures[label] = detail
            errors.last = None
    finally:
        got_request_exception.disconnect(errors)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return outcome


def _no_input(operation) -> bool:
    """An operation with no path or query parameter and no body (only the credentials, which
    are the harness's): no invalid case can be made of it."""
    return not list(operation.path_parameters) and not list(operation.query) and not list(operation.body)


def _allowed(operation, seeded, role) -> bool:
    """Whether the role gets past authentication and permissions on this operation (one
    positive case decides)."""
    strategy = operation.as_strategy(path_parameters=_first_ids(operation, seeded.ids))
    found = {}

    @hypothesis.given(case=strategy)
    @hypothesis.settings(
        max_examples=1,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    def probe(case):
        with transaction.atomic():
            found["status"] = case.call(headers=seeded.headers[role]).status_code
            transaction.set_rollback(True)

    probe()
    return found.get("status") not in (401, 403)


def _first_ids(operation, ids):
    strategies = path_strategy(operation, ids)
    return {name: ids_for(operation, ids, name)[0] for name in strategies}


def ids_for(operation, ids, name):
    collection = operation.path[len(PREFIX) :].split("/{", 1)[0]
    return ids[NAMED.get(name) or COLLECTIONS[collection]]


def _fuzz(operation, seeded, *, role, mode, examples, checks, outcome, errors, known):
    generation = (
        schemathesis.GenerationMode.NEGATIVE if mode == "negative" else schemathesis.GenerationMode.POSITIVE
    )
    strategy = operation.as_strategy(generation_mode=generation)
    paths = path_strategy(operation, seeded.ids)
    if paths and mode != "negative":
        # Positive cases name seeded objects (random ids would only ever find nothing);
        # negative ones keep their malformed ids.
        strategy = st.tuples(strategy, st.fixed_dictionaries(paths)).map(_with_path)
    headers = seeded.headers[role]

    @hypothesis.given(case=strategy)
    @hypothesis.settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    def one(case):
        outcome.cases += 1
        with transaction.atomic():
            response = case.call(headers=headers)
            outcome.statuses[response.status_code] += 1
            try:
                case.validate_response(response, checks=checks, headers=headers)
            except BaseExceptionGroup as failures:
                reasons = _known(failures, known)
                if reasons is None:
                    raise
                outcome.known.setdefault(operation_label(operation), set()).update(reasons)
            finally:
                transaction.set_rollback(True)

    one()


def _known(failures, known) -> set | None:
    """Why each of these failures is known, or None when one of them is not."""
    reasons = set()
    for failure in failures.exceptions:
        reason = next((why for pattern, why in known.items() if re.search(pattern, str(failure))), None)
        if reason is None:
            return None
        reasons.add(reason)
    return reasons


def _with_path(pair):
    case, path = pair
    case.path_parameters = {**(case.path_parameters or {}), **path}
    return case


def report(outcome: Outcome) -> str:
    lines = [f"{len(outcome.failures)} operation(s) failed:"]
    for label, detail in sorted(outcome.failures.items()):
        lines.append(f"--- {label}\n{detail[:3000]}")
    return "\n".join(lines)
