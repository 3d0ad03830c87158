"""
Check what docutils makes of README.rst beyond its warnings (make readme-check).

``python -m readme_renderer`` fails on any docutils warning, but a table broken by a
merge is no warning to docutils: its rows, borders included, become one paragraph. So
this script parses the README as readme_renderer does and fails when

* a paragraph holds a line of ``=`` (or ``-``, ``~``) alone: a table's border or a
  section's adornment read as text;
* the section "Everyday commands" does not hold exactly one table;
* that table's first column does not name each target of the Makefile (the targets
  ``make help`` lists, those with a ``##`` comment) as ``make <target>``, or names one
  the Makefile does not have.

Usage: python scripts/check_readme.py [README.rst [Makefile]]
"""

import re
import sys
from pathlib import Path

from docutils import nodes
from docutils.core import publish_doctree

ADORNMENT = re.compile(r"^\s*([=~-])\1{2,}(\s+\1+)*\s*$")
MAKE_TARGET = re.compile(r"^([a-zA-Z_-]+):.*?## ", re.MULTILINE)
NAMED_TARGET = re.compile(r"make ([a-zA-Z_-]+)")
COMMANDS_SECTION = "Everyday commands"


def problems(readme: str, makefile: str) -> list[str]:
    doctree = publish_doctree(readme, settings_overrides={"report_level": 5, "file_insertion_enabled": False})
    found = []
    for paragraph in doctree.findall(nodes.paragraph):
        for line in paragraph.rawsource.splitlines():
            if ADORNMENT.match(line):
                found.append(f"a paragraph holds the line {line.strip()!r}: a broken table or title?")
    sections = [
        section for section in doctree.findall(nodes.section) if section[0].astext().strip() == COMMANDS_SECTION
    ]
    if len(sections) != 1:
        return [*found, f"expected one section {COMMANDS_SECTION!r}, found {len(sections)}"]
    tables = list(sections[0].findall(nodes.table))
    if len(tables) != 1:
        return [*found, f"{COMMANDS_SECTION!r} should hold one table, it holds {len(tables)}"]
    named = set()
    for row in tables[0].findall(nodes.row):
        if command := NAMED_TARGET.fullmatch(row[0].astext().strip()):
            named.add(command[1])
    targets = set(MAKE_TARGET.findall(makefile))
    found += [f"{COMMANDS_SECTION!r} does not name make {target}" for target in sorted(targets - named)]
    found += [
        f"{COMMANDS_SECTION!r} names make {target}, which the Makefile lacks" for target in sorted(named - targets)
    ]
    return found


def main(argv: list[str]) -> int:
    readme, makefile = map(Path, [*argv, "README.rst", "Makefile"][:2] if len(argv) != 1 else [argv[0], "Makefile"])
    found = problems(readme.read_text(encoding="utf-8"), makefile.read_text(encoding="utf-8"))
    for problem in found:
        print(f"{readme}: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
