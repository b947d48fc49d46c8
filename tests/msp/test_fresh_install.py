"""A database built by `manage.py migrate` alone has everything the app needs.

No `createcachetable`, no `scripts/run`: an operator (or docker-compose's web service) who
only migrates must be able to sign in. Without REDIS_URL the cache is a database table that
login throttling writes on every failed attempt, so a missing table was a 500 on login.
"""

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Violet-Harbour-Kettle-58"

# Everything tests/settings.py (or CI) put in the environment that would change the settings.
_SETTINGS_ENV = {
    "DATABASE_URL",
    "REDIS_URL",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "MSP_TESTING",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_URL",
}

# Run in the second process, on the migrated database: an MSP signs up through the operator
# command, then its owner fails and succeeds to sign in, in the browser and through the API.
_SIGN_IN = f"""
import json
from django.core.management import call_command
from django.db import connection
from django.test import Client

call_command("create_tenant", name="Fresh IT", slug="fresh-it", owner_username="fresh",
             owner_email="fresh@fresh.example", owner_password={PASSWORD!r})
api, browser = Client(HTTP_HOST="localhost"), Client(HTTP_HOST="localhost")
wrong, right = {{"username": "fresh", "password": "wrong"}}, {{"username": "fresh", "password": {PASSWORD!r}}}
api_wrong = api.post("/api/v1/auth/token/", wrong, content_type="application/json")
api_right = api.post("/api/v1/auth/token/", right, content_type="application/json")
browser_wrong = browser.post("/login/", wrong)
browser_right = browser.post("/login/", right)
dashboard = browser.get("/")
with connection.cursor() as cursor:
    cursor.execute("SELECT cache_key FROM msp_cache")
    cache_keys = sorted(row[0] for row in cursor.fetchall())
from tickets.tasks import sla_sweep_task
sweep = sla_sweep_task()  # takes and frees its lock in the same cache
print(json.dumps({{
    "api_wrong": [api_wrong.status_code, api_wrong.json()],
    "api_right": [api_right.status_code, sorted(api_right.json())],
    "browser_wrong": [browser_wrong.status_code, "correct username and password" in browser_wrong.text],
    "browser_right": [browser_right.status_code, browser_right.get("Location")],
    "dashboard": dashboard.status_code,
    "cache_keys": cache_keys,
    "sweep": sweep,
}}))
"""


def _manage(args: list[str], var_dir: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in _SETTINGS_ENV}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "msp.settings",
            "DATABASE_URL": f"sqlite:///{var_dir / 'fresh.sqlite3'}",
            "DEBUG": "true",  # a DATABASE_URL alone turns DEBUG off, which needs a key and hosts
            "MSP_VAR_DIR": str(var_dir),  # the generated secret key and the Celery folders
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_signing_in_works_on_a_database_built_by_migrate_alone(tmp_path):
    _manage(["migrate", "--noinput", "-v0"], tmp_path)

    result = json.loads(_manage(["shell", "-c", _SIGN_IN], tmp_path).stdout.strip().splitlines()[-1])

    assert result["api_wrong"] == [400, {"detail": "Wrong username or password."}]
    assert result["api_right"] == [200, ["role", "tenant", "token"]]
    assert result["browser_wrong"] == [200, True]  # the form again, with its error
    assert result["browser_right"] == [302, "/"]
    assert result["dashboard"] == 200
    # The failed attempts were counted in the database cache (the address's counter is kept;
    # a success clears the username's), and the sweep's lock was taken and freed there.
    assert result["cache_keys"] and all("login-failures:addr:" in key for key in result["cache_keys"])
    assert result["sweep"] == "swept 0 tenant(s)"


def _migration():
    return importlib.import_module("msp.migrations.0003_cache_table")


def _tables() -> set[str]:
    return set(connection.introspection.table_names())


@pytest.mark.django_db
def test_the_cache_table_migration_is_idempotent_and_idle_under_redis():
    create = _migration().create_cache_tables
    editor = SimpleNamespace(connection=connection)
    if "DatabaseCache" in settings.CACHES["default"]["BACKEND"]:
        assert "msp_cache" in _tables()  # the test database is built by migrate too

    probe = {
        "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "msp_cache_probe"}
    }
    try:
        with override_settings(CACHES=probe):
            create(None, editor)
            assert "msp_cache_probe" in _tables()
            create(None, editor)  # the table exists: nothing happens, nothing fails
        before = _tables()
        redis = "django.core.cache.backends.redis.RedisCache"
        with override_settings(CACHES={"default": {"BACKEND": redis, "LOCATION": "redis://nowhere:1/0"}}):
            create(None, editor)  # no database cache configured: no table, no connection to Redis
        assert _tables() == before
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS msp_cache_probe")
