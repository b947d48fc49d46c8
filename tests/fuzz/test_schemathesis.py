"""Schemathesis over every API operation, as every role: no server error, and every answer
is one the schema declares (status, content type, body).

Bounded for CI: a few derandomized cases per operation and role (more for the roles the
operation admits), no shrinking; positive cases name the seeded tenant's objects, negative
ones (invalid input, which must be refused with a 4xx) run as the owner and the ingest key.
"""

import time

import pytest

from tests.fuzz.harness import load_schema, operation_label, report, run, seed

ROLES = ["owner", "admin", "account_manager", "technician", "client", "ingest", "anonymous"]
EXAMPLES = 12  # per operation, for a role it admits
FEW = 2  # per operation, for a role it refuses (401/403 is all there is to see)

# Findings that another branch of issue 20 fixes: excluded until that branch is merged (the
# lead empties this list at merge). Operation label -> the branch and the finding.
KNOWN_UNTIL_MERGE: dict[str, str] = {}


@pytest.fixture(scope="module")
def schema():
    return load_schema()


def _check(schema, role, mode, examples, few):
    seeded = seed(f"fz-{role[:6]}-{mode[:3]}")
    started = time.monotonic()
    outcome = run(
        schema, seeded, role=role, mode=mode, examples=examples, few=few, skip=set(KNOWN_UNTIL_MERGE)
    )
    took = time.monotonic() - started
    print(
        f"{role} {mode}: {outcome.cases} cases over {len(outcome.operations)} operations in {took:.0f}s; statuses {dict(outcome.statuses)}"
    )
    assert outcome.operations == {operation_label(op.ok()) for op in schema.get_all_operations()}
    assert not outcome.failures, report(outcome)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_operation_as_every_role(schema, role):
    _check(schema, role, "positive", EXAMPLES, FEW)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["owner", "ingest"])
def test_invalid_input_is_refused(schema, role):
    _check(schema, role, "negative", EXAMPLES, FEW)
