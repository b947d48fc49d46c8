"""The embedded default for real: a Celery worker with beat on kombu's filesystem broker
runs a task sent from another process, with no server of any kind installed."""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")


def _embedded_env(var_dir: Path) -> dict:
    drop = {
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "MSP_TESTING",
        "SECURE_SSL_REDIRECT",
    }
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(
        {"DJANGO_SETTINGS_MODULE": "msp.settings", "MSP_VAR_DIR": str(var_dir), "PYTHONUNBUFFERED": "1"}
    )
    return env


def test_worker_and_beat_run_a_task_on_the_filesystem_broker(tmp_path):
    env = _embedded_env(tmp_path)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120
    )
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [str(CELERY), "-A", "msp", "worker", "--beat", "--concurrency=1", "--loglevel=INFO", "--pool=solo"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        sent = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-c",
                "from msp.tasks import sessions_clear_expired_task as t; print('cleared', t.delay().get(timeout=60))\n"
                # A task of one tenant: its id crosses the broker, the worker runs it in its scope.
                "from msp.services import tenant_create\n"
                "from tickets.tasks import sla_sweep_tenant_task\n"
                "t = tenant_create(name='W', slug='w', owner_username='w', owner_email='w@w.example',"
                " owner_password='pw-0123456789').tenant\n"
                "print('swept', sla_sweep_tenant_task.delay(t.pk).get(timeout=60))",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        deadline = time.monotonic() + 30
        while "beat: Starting" not in (tmp_path / "worker.log").read_text() and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()
    output = (tmp_path / "worker.log").read_text()
    assert sent.returncode == 0, sent.stderr + output
    assert "cleared 0" in sent.stdout
    assert "swept breached 0, at risk 0" in sent.stdout
    assert "msp.tasks.sessions_clear_expired_task" in output and "succeeded" in output
    assert "beat: Starting" in output
