"""
Production started without a required setting: ``manage.py`` and gunicorn exit non-zero with
one line naming every missing key, never a traceback (each a real child process).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pie.settings.required import REQUIRED
from pie.tests.production import full_production_env, without_configuration
from pie.tests.test_gunicorn import free_port

ROOT = Path(__file__).resolve().parents[2]
GUNICORN_CONFIG = str(ROOT / "pie" / "docker_gunicorn_configuration.py")


def run(command: list[str], env: dict, timeout: int = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        command,
        cwd=ROOT,
        env={**without_configuration(os.environ), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def full(tmp_path) -> dict:
    return full_production_env(database_url=f"sqlite:///{tmp_path / 'pie.sqlite3'}")


def refusal_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if "PIE cannot start" in line]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_check_names_the_one_missing_setting(tmp_path, name):
    env = {k: v for k, v in full(tmp_path).items() if k != name}

    result = run([sys.executable, "manage.py", "check"], env)

    assert result.stderr.strip().splitlines() == [refusal_line(result)]
    assert f"missing configuration: {name} (" in result.stderr


def test_every_missing_setting_is_named_at_once():
    result = run(
        [sys.executable, "manage.py", "check", "--deploy"], {"DJANGO_SETTINGS_MODULE": "pie.settings.production"}
    )

    line = refusal_line(result)
    assert result.stderr.strip() == line
    assert line.split("missing configuration: ")[1].split(" (")[0].split(", ") == list(REQUIRED)


def test_an_empty_value_is_missing_too(tmp_path):
    result = run([sys.executable, "manage.py", "migrate"], {**full(tmp_path), "ALLOWED_HOSTS": "", "JWT_ISSUERS": "[]"})

    assert "missing configuration: ALLOWED_HOSTS, JWT_ISSUERS (" in refusal_line(result)


def test_an_unreadable_configuration_file_is_one_line(tmp_path):
    broken = tmp_path / "pie.yml"
    broken.write_text("SECRET_KEY: [unclosed\n")
    for config in (broken, tmp_path / "absent.yml"):
        result = run([sys.executable, "manage.py", "check"], {**full(tmp_path), "PIE_CFG": str(config)})
        assert f"the PIE_CFG file {config} cannot be read" in refusal_line(result)
        assert len(result.stderr.strip().splitlines()) == 1


def test_the_full_configuration_passes_check_deploy(tmp_path):
    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"], full(tmp_path))

    assert result.returncode == 0, result.stderr


def test_gunicorn_with_the_configuration_module_refuses_before_binding(tmp_path):
    env = {k: v for k, v in full(tmp_path).items() if k not in ("SECRET_KEY", "JWT_PUBLIC_SIGNING_JWK_SET")}
    env["GUNICORN_BIND"] = f"127.0.0.1:{free_port()}"

    result = run([sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONFIG, "pie.wsgi:application"], env)

    assert result.stderr.strip().splitlines() == [refusal_line(result)]
    assert "missing configuration: SECRET_KEY, JWT_PUBLIC_SIGNING_JWK_SET (" in result.stderr


def test_gunicorn_without_the_configuration_module_stops_rather_than_restarting_workers(tmp_path):
    env = {k: v for k, v in full(tmp_path).items() if k not in ("CACHE_REDIS_URL", "DJANGO_SETTINGS_MODULE")}

    result = run([sys.executable, "-m", "gunicorn", "-b", f"127.0.0.1:{free_port()}", "pie.wsgi:application"], env)

    assert result.returncode == 4  # gunicorn's "App failed to load"
    assert "missing configuration: CACHE_REDIS_URL (" in refusal_line(result)
