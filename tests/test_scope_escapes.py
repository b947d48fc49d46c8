"""Code reads tenant data through the scoped default managers; stepping out of the scope
(``Model.unscoped``, ``with unscoped():``, ``_base_manager``) is for work that crosses tenants
by nature. Each place that does is allowed here with its reason, and the count per file is
exact: a new escape fails this test, and one removed asks for the allowance to come down, so
the number can only go down."""

import ast
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = [
    "msp",
    "audit",
    "assets",
    "contracts",
    "sales",
    "tickets",
    "timetracking",
    "billing",
    "monitoring",
    "inbox",
    "reports",
    "portal",
    "bench",
]

ALLOWED = {
    # Login and the tenant switcher: a user's memberships in every tenant; and their first
    # membership, the tenant of a token request that names none.
    "msp/selectors.py": 2,
    # An invitation's link names its tenant (the invitee belongs to none of its scopes yet),
    # and accepting it joins that tenant from whatever tenant the invitee is signed in to.
    "msp/invitations.py": 2,
    # A password reset is the user's, not a tenant's: its e-mail is recorded under the user's
    # first organisation, found across tenants.
    "msp/forms/auth.py": 1,
    # The beat job that hands lost e-mails back to the worker scans every tenant's queue and
    # dispatches each e-mail to a task of its tenant.
    "msp/mail.py": 1,
    # The SLA sweep finds the tenants with due tickets (from the partial indexes) and sweeps
    # each in its own scope.
    "tickets/tasks.py": 1,
    # A monitoring tool's request carries only its ingest key: the key finds its tenant.
    "monitoring/api/authentication.py": 1,
    # A mail provider's push carries only the mailbox's webhook token: the token finds its tenant.
    "inbox/api/authentication.py": 1,
    # The proactive sweeps' beat job finds the tenants with assets to judge or a sweep's alert
    # open (two semi-joins over every tenant) and sweeps each in its own scope.
    "monitoring/sweeps.py": 2,
    # The poll's beat job finds the due mailboxes of every tenant, gives them a grace period
    # before they are due again, and polls each in its tenant's scope.
    "inbox/polling.py": 2,
    # A shared report's link carries only its key: the key finds its tenant, and the page
    # works in that tenant's scope whatever tenant the reader is signed in to (if any).
    "reports/shares.py": 2,
    # The benchmark generates and measures many tenants at once: a tool, not the product.
    "bench/generate.py": 4,
    "bench/probe.py": 28,
}


def escapes(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Attribute) and node.attr in {"unscoped", "_base_manager"}:
            lines.append(node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "unscoped":
            lines.append(node.lineno)
    return lines


def test_escapes_from_the_tenant_scope_stay_on_the_allow_list():
    found = Counter()
    where = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue  # historical models have no scope
            if lines := escapes(path):
                name = str(path.relative_to(ROOT))
                found[name] = len(lines)
                where[name] = lines
    new = {f"{name} lines {where[name]}": n for name, n in found.items() if n > ALLOWED.get(name, 0)}
    assert not new, (
        f"New escapes from the tenant scope (use the scoped managers, or justify in ALLOWED): {new}"
    )
    fewer = {name: (found[name], n) for name, n in ALLOWED.items() if found[name] < n}
    assert not fewer, (
        f"Fewer escapes than allowed, well done: lower ALLOWED to match (found, allowed): {fewer}"
    )


# Tasks that are not one tenant's: each says why. Every other task of the project is a
# tenant task (msp.tenant_tasks), so a new one runs in its tenant's scope or fails here.
NOT_TENANT_TASKS = {
    "msp.tasks.sessions_clear_expired_task": "browser sessions belong to users, not tenants",
    "msp.tasks.idempotency_purge_task": "Idempotency-Keys are per membership and expire by age",
    "msp.tasks.email_requeue_stale_task": "beat: hands each tenant's lost e-mails to a task of that tenant",
    "tickets.tasks.sla_sweep_task": "beat: dispatches one sweep task per tenant with due tickets",
    "billing.tasks.billing_run_dispatch_task": "beat, monthly: dispatches one billing run per tenant",
    "billing.tasks.sdi_receipts_dispatch_task": "beat: one SdI receipts import per tenant with files in its folder",
    "contracts.tasks.trial_reminders_dispatch_task": "beat, daily: one trial-reminder task per tenant",
    "monitoring.tasks.monitoring_sweep_dispatch_task": "beat: one proactive sweep task per tenant with assets to judge",
    "inbox.tasks.mailbox_poll_dispatch_task": "beat, every minute: one poll task per due mailbox",
    "reports.tasks.reports_month_dispatch_task": "beat, the 1st: dispatches last month's reports, one task per tenant",
}


def test_every_task_of_the_project_runs_in_one_tenants_scope_or_says_why():
    from msp.celery import app
    from msp.tenant_tasks import TenantTask

    app.loader.import_default_modules()
    ours = {name: task for name, task in app.tasks.items() if name.split(".")[0] in APPS}
    assert len(ours) >= 8
    untenanted = {name for name, task in ours.items() if not isinstance(task, TenantTask)}
    assert untenanted == set(NOT_TENANT_TASKS)
