#!/usr/bin/env bash
# The promise of pie/apps/intents/constants.py, checked as a developer would meet it: in a
# clean clone of this repository (only what is committed), one reason line is appended to
# IntentReason, and makemigrations must find nothing to do (every column that stores a reason
# reads its choices at run time). Fails, naming the migration it would write, otherwise.
# PYTHON: the interpreter with requirements/test.txt installed (default .venv's).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$root/.venv/bin/python}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

git clone --quiet "$root" "$work/pie"
cd "$work/pie"

# The new line goes after the last member of IntentReason, as a developer would add it.
"$python" - pie/apps/intents/constants.py <<'PY'
import re, sys
path = sys.argv[1]
text = open(path).read()
body = re.search(r"^class IntentReason\(.*?\):\n(?:(?:    .*)?\n)+", text, re.M)
members = list(re.finditer(r"^    [A-Z_]+ = .*\n", body.group(0), re.M))
if not members:
    sys.exit(f"{path}: no member of IntentReason found")
at = body.start() + members[-1].end()
line = '    CHECK_NEW_REASON = "CHECK_NEW_REASON", "A reason added by scripts/check-new-reason.sh"\n'
open(path, "w").write(text[:at] + line + text[at:])
PY
unset DATABASE_URL READ_REPLICA_DATABASE_URL
export DJANGO_SETTINGS_MODULE=pie.settings.test
"$python" -c 'from pie.apps.intents.constants import IntentReason; assert "CHECK_NEW_REASON" in IntentReason.values'
echo "IntentReason gained CHECK_NEW_REASON; makemigrations --check --dry-run:"
"$python" manage.py makemigrations --check --dry-run
