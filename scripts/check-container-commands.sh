#!/usr/bin/env bash
# The image's commands, taken from the Dockerfile and run from a clean clone of this
# repository (only what is committed), as the image runs them: no Docker engine is needed.
#   1. the build's collectstatic (pie.settings.build);
#   2. with a full production configuration (a freshly generated RSA JWK set, every required
#      setting, a SQLite database; PIE_CFG an empty file, as the image's): the migrate step,
#      then the production target's CMD (check --deploy, then gunicorn with
#      pie/docker_gunicorn_configuration.py) until the HEALTHCHECK command says healthy; the
#      consumer target's command is there;
#   3. the same CMD without SECRET_KEY: it exits non-zero with one line naming it.
# PYTHON: the interpreter with requirements/production.txt installed (default .venv's).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$root/.venv/bin/python}
work=$(mktemp -d)
server=
cleanup() {
    [ -z "$server" ] || kill "$server" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

git clone --quiet "$root" "$work/pie"
cd "$work/pie"
export PATH="$(dirname "$python"):$PATH"

# The Dockerfile's commands, read from it: the collectstatic RUN, the HEALTHCHECK's and the
# production and consumer targets' CMDs (JSON arrays).
"$python" - Dockerfile > "$work/commands.sh" <<'PY'
import json, re, shlex, sys
text = open(sys.argv[1]).read().replace("\\\n", " ")
run = next(line[4:] for line in text.splitlines() if line.startswith("RUN ") and "collectstatic" in line)
health = json.loads(re.search(r"HEALTHCHECK .*?CMD (\[.*\])", text).group(1))
stages = re.split(r"^FROM ", text, flags=re.M)
cmd = {stage.split()[2]: json.loads(re.findall(r"^CMD (\[.*\])$", stage, re.M)[-1])
       for stage in stages if " AS " in stage.split("\n")[0] and re.search(r"^CMD ", stage, re.M)}
print(f"collectstatic={shlex.quote(run)}")
print(f"healthcheck=({' '.join(shlex.quote(word) for word in health)})")
print(f"production=({' '.join(shlex.quote(word) for word in cmd['production'])})")
print(f"consumer=({' '.join(shlex.quote(word) for word in cmd['consumer'])})")
PY
. "$work/commands.sh"

echo "--- build: $collectstatic"
STATIC_ROOT="$work/static" sh -c "$collectstatic"
test -f "$work/static/admin/css/base.css"
test -f "$work/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"

echo "--- a full production configuration, with a generated RSA key set"
port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$python" - "$work" > "$work/production.env" <<'PY'
import shlex, sys
from pie.tests.production import full_production_env
env = full_production_env(database_url=f"sqlite:///{sys.argv[1]}/pie.sqlite3")
for name, value in env.items():
    print(f"export {name}={shlex.quote(value)}")
PY
. "$work/production.env"
# As in the image: PIE_CFG names an empty file (the Dockerfile's ENV and RUN), the environment configures.
grep -q '^    PIE_CFG=/edx/etc/pie.yml' Dockerfile && grep -q ': > /edx/etc/pie.yml' Dockerfile
: > "$work/pie.yml"
export PIE_CFG="$work/pie.yml"
export STATIC_ROOT="$work/static" GUNICORN_BIND="127.0.0.1:$port" GUNICORN_WORKERS=1

echo "--- migrations: python manage.py migrate --no-input"
python manage.py migrate --no-input --verbosity 0

echo "--- consumer target: ${consumer[*]} (its command exists)"
python manage.py help "${consumer[-1]}" > /dev/null

echo "--- production target: ${production[*]}"
"${production[@]}" > "$work/server.log" 2>&1 &
server=$!
healthy=
for _ in $(seq 1 60); do
    if "${healthcheck[@]//18781/$port}" 2>/dev/null; then healthy=1; break; fi
    kill -0 "$server" 2>/dev/null || break
    sleep 0.5
done
if [ -z "$healthy" ]; then
    cat "$work/server.log"
    echo "FAILED: the HEALTHCHECK never passed" >&2
    exit 1
fi
echo "HEALTHCHECK passed: /health/ answers 200 on 127.0.0.1:$port"
kill "$server"; wait "$server" 2>/dev/null || true; server=

echo "--- the production target without SECRET_KEY refuses, in one line"
if (unset SECRET_KEY; "${production[@]}") > "$work/refusal.log" 2>&1; then
    echo "FAILED: started without SECRET_KEY" >&2
    exit 1
fi
cat "$work/refusal.log"
[ "$(wc -l < "$work/refusal.log")" -eq 1 ] && grep -q "missing configuration: SECRET_KEY" "$work/refusal.log" \
    || { echo "FAILED: the refusal is not one line naming SECRET_KEY" >&2; exit 1; }
echo "container commands: all passed"
