"""
The pinned requirements (requirements/*.txt) keep the version constraints they are compiled
under: PIE's own (constraints.txt) and edx-lint's common ones (common_constraints.txt).
"""

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements"
PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>\S+)")


def constraints(name: str) -> list[Requirement]:
    lines = (line.split("#", 1)[0].strip() for line in (REQUIREMENTS / name).read_text().splitlines())
    return [Requirement(line) for line in lines if line and not line.startswith("-")]


def pins() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted(REQUIREMENTS.glob("*.txt")):
        for line in path.read_text().splitlines():
            if match := PIN.match(line):
                found.append((path.name, canonicalize_name(match["name"]), match["version"]))
    return found


def test_constraints_read_edx_lints_common_constraints():
    assert "-c common_constraints.txt" in (REQUIREMENTS / "constraints.txt").read_text().splitlines()
    caps = {canonicalize_name(cap.name) for cap in constraints("common_constraints.txt")}
    assert {"django", "pip"} <= caps
    # The two caps PIE does not apply (constraints.txt says why) are the only ones left out.
    assert not caps & {"social-auth-app-django", "social-auth-core"}


@pytest.mark.parametrize("constraints_file", ["common_constraints.txt", "constraints.txt"])
def test_every_pinned_version_keeps_the_constraints(constraints_file):
    caps = {canonicalize_name(cap.name): cap for cap in constraints(constraints_file) if cap.specifier}
    broken = [
        f"{file}: {name}=={version} breaks {caps[name]}"
        for file, name, version in pins()
        if name in caps and not caps[name].specifier.contains(version, prereleases=True)
    ]
    assert not broken
    assert any(name in caps for _, name, _ in pins())
