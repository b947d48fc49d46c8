"""Test settings: production-like (DEBUG off, explicit key and hosts), tasks run in-process.

Both CI runs (SQLite, then PostgreSQL + Redis) use these, whatever else is in the environment.
"""

import os

os.environ["MSP_TESTING"] = "true"
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-used-anywhere-else-0123456789abcdef")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from msp.settings import *  # noqa: E402,F403

# Under pytest-xdist each worker gets its own Redis database, so one worker's cache.clear()
# (tests/conftest.py) cannot wipe another's login-failure counters mid-test.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if REDIS_URL and _worker.startswith("gw"):  # noqa: F405
    _db = int(_worker[2:]) + 1
    CACHES["default"]["LOCATION"] = REDIS_URL.rsplit("/", 1)[0] + f"/{_db}"  # noqa: F405

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Attachments written by tests go to a throw-away directory (removed at exit), not var/.
import atexit  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402

_attachments_dir = tempfile.mkdtemp(prefix="msp-test-attachments-")
atexit.register(shutil.rmtree, _attachments_dir, ignore_errors=True)
STORAGES["attachments"] = {  # noqa: F405
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": _attachments_dir},
}
