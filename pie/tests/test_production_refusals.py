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
from pie.tests.support.gunicorn import free_port

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


def config_file(tmp_path, content: str | bytes) -> str:
    path = tmp_path / "pie.yml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return str(path)


# The odd value (environment variables, or a PIE_CFG file's text) and the setting its one line names.
ODD_VALUES = {
    "PIE_CFG not UTF-8": ({"PIE_CFG": b"SECRET_KEY: caf\xe9\n"}, "PIE_CFG"),
    "JWT_AUTH a list": ({"PIE_CFG": "JWT_AUTH: [JWT_ISSUERS]\n"}, "JWT_AUTH"),
    "JWT_AUTH a string": ({"PIE_CFG": "JWT_AUTH: JWT_ISSUERS\n"}, "JWT_AUTH"),
    "DATABASE_URL a number": ({"PIE_CFG": "DATABASE_URL: 3306\n"}, "DATABASE_URL"),
    "DATABASE_URL null": ({"PIE_CFG": "DATABASE_URL: null\n"}, "DATABASE_URL"),
    "DATABASE_URL bogus (file)": ({"PIE_CFG": "DATABASE_URL: bogus\n"}, "DATABASE_URL"),
    "DATABASE_URL bogus": ({"DATABASE_URL": "bogus"}, "DATABASE_URL"),
    "ALLOWED_HOSTS a string": ({"PIE_CFG": "ALLOWED_HOSTS: pie.example.com\n"}, "ALLOWED_HOSTS"),
    "JWT_ISSUERS not JSON": ({"JWT_ISSUERS": "[{ISSUER: lms}]"}, "JWT_ISSUERS"),
    "LOG_LEVEL bogus": ({"LOG_LEVEL": "bogus"}, "LOG_LEVEL"),
    "DATABASE_CONN_MAX_AGE not an integer": ({"DATABASE_CONN_MAX_AGE": "a minute"}, "DATABASE_CONN_MAX_AGE"),
    "PIE_BULK_API_MAX_INTENTS not an integer": ({"PIE_BULK_API_MAX_INTENTS": "10k"}, "PIE_BULK_API_MAX_INTENTS"),
    "PIE_BULK_API_MAX_INTENTS -1": ({"PIE_BULK_API_MAX_INTENTS": "-1"}, "PIE_BULK_API_MAX_INTENTS"),
    "PIE_BULK_API_MAX_INTENTS -1 (file)": ({"PIE_CFG": "PIE_BULK_API_MAX_INTENTS: -1\n"}, "PIE_BULK_API_MAX_INTENTS"),
    "PIE_INTENT_MAX_CLOCK_SKEW_SECONDS not an integer": (
        {"PIE_INTENT_MAX_CLOCK_SKEW_SECONDS": "5m"},
        "PIE_INTENT_MAX_CLOCK_SKEW_SECONDS",
    ),
    "PIE_FACT_MAX_FUTURE_SECONDS -1 (file)": (
        {"PIE_CFG": "PIE_FACT_MAX_FUTURE_SECONDS: -1\n"},
        "PIE_FACT_MAX_FUTURE_SECONDS",
    ),
    "PIE_LEARNER_WRITE_RATE bogus": ({"PIE_LEARNER_WRITE_RATE": "bogus"}, "PIE_LEARNER_WRITE_RATE"),
    "PIE_LEARNER_WRITE_RATE per fortnight": ({"PIE_LEARNER_WRITE_RATE": "100/fortnight"}, "PIE_LEARNER_WRITE_RATE"),
    "CACHE_REDIS_URL not a URL": ({"CACHE_REDIS_URL": "notaurl"}, "CACHE_REDIS_URL"),
    "DATABASE_READ_TIMEOUT_SECONDS not an integer": (
        {"DATABASE_READ_TIMEOUT_SECONDS": "5s"},
        "DATABASE_READ_TIMEOUT_SECONDS",
    ),
}


@pytest.mark.parametrize(("odd", "setting"), ODD_VALUES.values(), ids=ODD_VALUES.keys())
def test_an_odd_production_value_is_refused_with_one_line_naming_it(tmp_path, odd, setting):
    env = full(tmp_path)
    for name, value in odd.items():
        env[name] = config_file(tmp_path, value) if name == "PIE_CFG" else value

    result = run([sys.executable, "manage.py", "check", "--deploy"], env)

    assert result.stderr.strip().splitlines() == [refusal_line(result)]
    assert setting in result.stderr


@pytest.mark.parametrize(
    "salts", ["development-only-retirement-salt", "a-secret-salt,development-only-retirement-salt", "   "]
)
def test_production_check_refuses_a_published_or_blank_retirement_salt(tmp_path, salts):
    result = run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        {**full(tmp_path), "PIE_RETIREMENT_SALTS": salts},
    )

    assert result.returncode != 0
    assert "PIE_RETIREMENT_SALTS" in result.stderr
    assert ("pie.E010" if salts.isspace() else "pie.E011") in result.stderr


@pytest.mark.parametrize("command", ["event_consumer_status", "replay_failed_events"])
@pytest.mark.parametrize(
    "database_url",
    ["sqlite:////nonexistent-directory/pie.sqlite3", f"mysql://root:@127.0.0.1:{free_port()}/pie_ops"],
    ids=["sqlite file not there", "mysql refused"],
)
def test_the_consumer_commands_with_the_database_down_say_so_in_one_line(tmp_path, command, database_url):
    if database_url.startswith("mysql"):
        pytest.importorskip("MySQLdb", reason="the MySQL driver is installed by make test-mysql")

    result = run([sys.executable, "manage.py", command], {**full(tmp_path), "DATABASE_URL": database_url})

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "The database failed" in result.stderr
