"""Apps import only the apps below them (README, Architecture): upstream apps tell downstream
ones what happened through signals, never by importing them. Read from the source, so a new
import the wrong way fails here whoever adds it."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Bottom first. The root URLconf and settings (msp/urls.py, msp/api/urls.py, msp/settings.py)
# name the apps above as strings, which is how a project's root is wired, not an import.
LAYERS = [
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


def imported_apps(path: Path) -> set[tuple[str, int]]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found.update((name.split(".")[0], node.lineno) for name in names if name.split(".")[0] in LAYERS)
    return found


@pytest.mark.parametrize("app", LAYERS)
def test_an_app_imports_only_the_apps_below_it(app):
    allowed = set(LAYERS[: LAYERS.index(app) + 1])
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {other}"
        for path in sorted((ROOT / app).rglob("*.py"))
        for other, line in imported_apps(path)
        if other not in allowed
    ]
    assert not wrong, "\n".join(wrong)


def test_every_project_app_has_a_layer():
    apps = {p.parent.name for p in ROOT.glob("*/apps.py")}
    assert apps == set(LAYERS), "add a new app to LAYERS, at its place in the stack"


SENDING = {"send_mail", "send_mass_mail", "mail_admins", "mail_managers", "get_connection"}


def test_only_the_outbound_queue_talks_to_the_mail_server():
    """Mail never runs inside a request: code writes an EmailMessage and hands it to
    msp.mail.email_queue; only msp/mail.py (run by the worker) opens a mail connection."""
    wrong = []
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if path == ROOT / "msp" / "mail.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
                if isinstance(node, ast.ImportFrom) and node.module == "django.core.mail":
                    wrong += [f"{where} {a.name}" for a in node.names if a.name in SENDING]
                elif isinstance(node, ast.Attribute) and node.attr == "send_messages":
                    wrong.append(f"{where} send_messages")
                elif (  # EmailMessage(...).send()
                    isinstance(node, ast.Attribute)
                    and node.attr == "send"
                    and isinstance(node.value, ast.Call)
                    and getattr(node.value.func, "id", "").startswith("Email")
                ):
                    wrong.append(f"{where} EmailMessage.send")
    assert not wrong, wrong
