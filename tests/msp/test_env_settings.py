"""Numeric settings from the environment: an empty value is the default (an env file's
``SECURE_HSTS_SECONDS=`` crashed the settings module, so nothing started); a wrong one
stops start-up with a message naming the variable."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {"DEBUG": "false", "SECRET_KEY": "s" * 50, "ALLOWED_HOSTS": "psa.example.com"}
READ = (
    "import json, msp.settings as s; print(json.dumps([s.SECURE_HSTS_SECONDS, s.LOGIN_FAILURE_LIMIT,"
    " s.LOGIN_FAILURE_WINDOW_SECONDS, s.EMAIL_TIMEOUT, s.DATABASES['default']['CONN_MAX_AGE'],"
    " list(s.HOURS_WARNING_LEVELS), getattr(s, 'EMAIL_PORT', None)]))"
)
NUMERIC = (
    "SECURE_HSTS_SECONDS",
    "LOGIN_FAILURE_LIMIT",
    "LOGIN_FAILURE_WINDOW_SECONDS",
    "EMAIL_TIMEOUT",
    "DB_CONN_MAX_AGE",
    "HOURS_WARNING_LEVELS",
    "EMAIL_PORT",
)


def _settings(tmp_path, **env):
    clean = {
        k: v for k, v in os.environ.items() if k not in {*NUMERIC, "DATABASE_URL", "DEBUG", "MSP_TESTING"}
    }
    clean.update({"MSP_VAR_DIR": str(tmp_path), "EMAIL_HOST": "smtp.example.com", **PRODUCTION, **env})
    return subprocess.run(
        [sys.executable, "-c", READ], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_empty_numeric_settings_fall_back_to_their_defaults(tmp_path):
    result = _settings(tmp_path, **dict.fromkeys(NUMERIC, ""))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [31_536_000, 5, 900, 30, 60, [80, 95], 587]


def test_numeric_settings_are_read(tmp_path):
    result = _settings(tmp_path, SECURE_HSTS_SECONDS=" 3600 ", HOURS_WARNING_LEVELS="50, 90", EMAIL_PORT="25")
    assert result.returncode == 0, result.stderr
    hsts, *_rest, levels, port = json.loads(result.stdout)
    assert (hsts, levels, port) == (3600, [50, 90], 25)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SECURE_HSTS_SECONDS", "one year"),
        ("LOGIN_FAILURE_LIMIT", "5.5"),
        ("EMAIL_PORT", "smtp"),
        ("DB_CONN_MAX_AGE", "60s"),
        ("HOURS_WARNING_LEVELS", "80,high"),
    ],
)
def test_a_non_numeric_setting_stops_start_up_naming_it(tmp_path, name, value):
    result = _settings(tmp_path, **{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{name} must be" in result.stderr and repr(value) in result.stderr
