"""Settings, Celery wiring and the demo data: the platform the rest builds on."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from msp.models import Client, Membership, Tenant
from msp.roles import Role

ROOT = Path(__file__).resolve().parents[2]


_SETTINGS_ENV = {
    "DATABASE_URL",
    "REDIS_URL",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "MSP_TESTING",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def _run_django(args, env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in _SETTINGS_ENV}
    env.update({"DJANGO_SETTINGS_MODULE": "msp.settings", **env_overrides})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_check_deploy_without_warnings(tmp_path):
    result = _run_django(
        ["check", "--deploy", "--fail-level", "WARNING"],
        {
            "DEBUG": "false",
            "SECRET_KEY": "x" * 20 + "production-like-secret-key-with-enough-entropy-42",
            "ALLOWED_HOSTS": "psa.example.com",
            "MSP_VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _run_django(["check"], {"DEBUG": "false", "ALLOWED_HOSTS": "x", "MSP_VAR_DIR": str(tmp_path)})
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_the_embedded_default_needs_no_servers():
    if os.environ.get("REDIS_URL"):
        assert settings.CELERY_BROKER_URL.startswith("redis://")
    else:
        assert settings.CELERY_BROKER_URL == "filesystem://"
    from msp.celery import app

    app.loader.import_default_modules()  # what a worker does at start: autodiscover every app's tasks
    assert "msp.tasks.sessions_clear_expired_task" in app.tasks
    assert (
        settings.CELERY_BEAT_SCHEDULE["clear-expired-sessions"]["task"]
        == "msp.tasks.sessions_clear_expired_task"
    )


@pytest.mark.django_db
def test_the_periodic_task_clears_expired_sessions():
    from msp.tasks import sessions_clear_expired_task

    for expired in (True, False):
        store = SessionStore()
        store["x"] = 1
        store.set_expiry(-60 if expired else 3600)
        store.create()
    Session.objects.update(expire_date=timezone.now() + timezone.timedelta(hours=1))
    Session.objects.filter(pk=Session.objects.first().pk).update(
        expire_date=timezone.now() - timezone.timedelta(1)
    )

    result = sessions_clear_expired_task.delay()
    assert result.get() == 1
    assert Session.objects.count() == 1


@pytest.mark.django_db
def test_load_demo_builds_a_demo_msp_once(capsys):
    call_command("load_demo")
    out = capsys.readouterr().out
    for username in ("owner", "admin", "sales", "tech", "client"):
        assert username in out
    demo = Tenant.objects.get(slug="demo")
    roles = set(Membership.unscoped.filter(tenant=demo).values_list("role", flat=True))
    assert roles == {r.value for r in Role}
    clients = Client.unscoped.filter(tenant=demo).count()
    assert clients >= 5

    call_command("load_demo")  # a second run changes nothing
    assert Client.unscoped.filter(tenant=demo).count() == clients
    assert "already loaded" in capsys.readouterr().out
