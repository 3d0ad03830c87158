"""
The certificate topic's setting, PIE_EVENT_BUS_CERTIFICATE_TOPIC, read from the environment
or PIE_CFG like its siblings; its former name, PIE_EVENT_BUS_TOPIC, still works, and the
system check pie.W020 asks for the new one (ADR 25).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks

from pie.tests.production import full_production_env, without_configuration

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import django, sys
django.setup()
from django.conf import settings
from django.core import checks
warnings = [message.id for message in checks.run_checks() if message.id == "pie.W020"]
print(settings.PIE_EVENT_BUS_CERTIFICATE_TOPIC, *warnings)
"""


def _topic(tmp_path, *, settings_module: str = "pie.settings.test", yaml: str | None = None, **env) -> str:
    inherited = {k: v for k, v in without_configuration(os.environ).items() if not k.startswith("PIE_EVENT_BUS_")}
    environ = {**inherited, "DJANGO_SETTINGS_MODULE": settings_module, **env}
    if settings_module == "pie.settings.production":
        environ = {**full_production_env(database_url=f"sqlite:///{tmp_path}/db.sqlite3"), **environ}
    if yaml is not None:
        (tmp_path / "pie.yml").write_text(yaml)
        environ["PIE_CFG"] = str(tmp_path / "pie.yml")
    result = subprocess.run([sys.executable, "-c", PROBE], env=environ, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_default_is_the_credentials_topic(tmp_path):
    assert _topic(tmp_path) == "learning-program-certificate-lifecycle"


def test_the_environment_names_it(tmp_path):
    assert _topic(tmp_path, PIE_EVENT_BUS_CERTIFICATE_TOPIC="certificates") == "certificates"


@pytest.mark.parametrize(
    ("env", "yaml"),
    [
        ({"PIE_EVENT_BUS_TOPIC": "old-certificates"}, None),
        ({}, "PIE_EVENT_BUS_TOPIC: old-certificates\n"),
    ],
    ids=["environment", "PIE_CFG"],
)
def test_the_former_name_still_works_and_asks_for_the_new_one(tmp_path, env, yaml):
    answer = _topic(tmp_path, settings_module="pie.settings.production", yaml=yaml, **env)
    assert answer == "old-certificates pie.W020"


def test_the_new_name_raises_no_warning():
    assert not [message for message in checks.run_checks() if message.id == "pie.W020"]
