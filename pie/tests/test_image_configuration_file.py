"""
The image's default ``PIE_CFG`` (Dockerfile): /edx/etc/pie.yml, the Open edX path, an empty
file in the image, so a container configured by its environment alone starts; a ``PIE_CFG``
naming a file that is not there is still refused (test_production_refusals).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

from pie.tests.production import full_production_env, without_configuration

ROOT = Path(__file__).resolve().parents[2]


def test_the_image_names_an_empty_configuration_file_at_the_open_edx_path():
    dockerfile = (ROOT / "Dockerfile").read_text()
    runtime = dockerfile.split("AS runtime", 1)[1].split("\nFROM ", 1)[0]
    assert re.search(r"^ENV (.*\\\n)*\s+PIE_CFG=/edx/etc/pie\.yml ", runtime, re.M)
    # Made by root before the image drops to its user, who may read it and not change it.
    made = runtime.index(": > /edx/etc/pie.yml")
    assert made < runtime.index("USER 10001")


def test_an_empty_configuration_file_leaves_the_environment_to_configure(tmp_path):
    empty = tmp_path / "pie.yml"
    empty.write_text("")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        env={
            **without_configuration(os.environ),
            **full_production_env(database_url=f"sqlite:///{tmp_path / 'pie.sqlite3'}"),
            "PIE_CFG": str(empty),
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "PIE cannot start" not in result.stderr
