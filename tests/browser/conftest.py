"""Browser tests: real headless Chromium (Debian's /usr/bin/chromium) driving a live server.

Every test here is marked ``browser``. Without /usr/bin/chromium they skip with a reason
(locally); in CI the suite's conftest turns any skip into a failure, so they cannot
silently go missing there. Never run ``playwright install``: the system Chromium is used.

Screenshots of every step land in ``artifacts/screenshots/<test>/<NN-step>.png`` (the
repository's gitignored ``artifacts/``); a run replaces the test's previous screenshots.
"""

import os
import re
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test's thread; the ORM calls a test makes
# (setup, assertions) would otherwise raise SynchronousOnlyOperation.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
SCREENSHOT_ROOT = REPO_ROOT / "artifacts" / "screenshots"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# Fail fast: the live server answers in milliseconds, so a 10 s wait means a real problem.
ACTION_TIMEOUT_MS = 10_000


@pytest.hookimpl(tryfirst=True)  # before `-m` deselection, so `-m "not browser"` works
def pytest_collection_modifyitems(config, items):
    no_chromium = pytest.mark.skip(
        reason=f"{CHROMIUM} is missing: apt-get install -y chromium (never `playwright install`)"
    )
    for item in items:
        if HERE not in Path(str(item.path)).resolve().parents:
            continue
        item.add_marker(pytest.mark.browser)
        if not CHROMIUM.exists():
            item.add_marker(no_chromium)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "headless": True,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture
def page(page):
    """pytest-playwright's page, with short timeouts (see ACTION_TIMEOUT_MS)."""
    page.set_default_timeout(ACTION_TIMEOUT_MS)
    page.set_default_navigation_timeout(ACTION_TIMEOUT_MS)
    return page


class Screenshots:
    """``shot(page, "signup-form")`` saves ``<NN>-signup-form.png``, full page, numbered in order."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0
        self.paths: list[Path] = []

    def __call__(self, page, step: str) -> Path:
        self.count += 1
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", step).strip("-").lower()
        path = self.folder / f"{self.count:02d}-{slug}.png"
        page.screenshot(path=str(path), full_page=True)
        self.paths.append(path)
        return path


@pytest.fixture
def shot(request):
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    folder = SCREENSHOT_ROOT / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return Screenshots(folder)
