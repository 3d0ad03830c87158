"""
Production configured the Open edX way: a ``PIE_CFG`` YAML file with ``DATABASES``, ``CACHES``
and ``JWT_AUTH`` mappings, or with the same top-level names as the environment. Each test
loads the production settings in a child process, with nothing configured but what it gives.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from pie.settings.required import REQUIRED
from pie.tests.production import ISSUER, full_production_env, generated_jwk_set, without_configuration

ROOT = Path(__file__).resolve().parents[2]

SETTINGS = """
import json, django
django.setup()
from django.conf import settings
from pie.settings.required import REQUIRED
namespace = {name: getattr(settings, name) for name in dir(settings)}
print(json.dumps({
    "DATABASES": settings.DATABASES, "CACHES": settings.CACHES, "JWT_AUTH": settings.JWT_AUTH,
    "RATE": settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["learner_write"],
    "REQUIRED": {name: read(namespace) for name, read in REQUIRED.items()},
}, default=str))
"""

# As a web worker opens its connections (pie/wsgi.py bounds their reads and writes).
SESSION = """
import json
import pie.wsgi
from django.db import connections
sessions = {}
for alias in connections:
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT @@session.time_zone, @@session.sql_mode, @@session.tx_isolation, @@character_set_connection"
        )
        time_zone, sql_mode, isolation, charset = cursor.fetchone()
    options = connections[alias].settings_dict["OPTIONS"]
    sessions[alias] = {"time_zone": time_zone, "sql_mode": sql_mode, "isolation": isolation, "charset": charset,
                       "waits": [options.get(name) for name in ("connect_timeout", "read_timeout", "write_timeout")]}
print(json.dumps(sessions))
"""


def production(tmp_path, config: dict, *, probe: str | None = SETTINGS, drop=(), **env) -> subprocess.CompletedProcess:
    """
    ``probe`` run with production settings (``manage.py check`` if None), with the environment
    of a full configuration less ``drop``, and ``config`` as the PIE_CFG file.
    """
    path = tmp_path / "pie.yml"
    path.write_text(yaml.safe_dump(config))
    full = full_production_env(database_url=f"sqlite:///{tmp_path / 'pie.sqlite3'}")
    environ = {
        **without_configuration(os.environ),
        **{k: v for k, v in full.items() if k not in drop},
        "PIE_CFG": str(path),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", probe] if probe else [sys.executable, "manage.py", "check"],
        env=environ,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def loaded(result: subprocess.CompletedProcess) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def refused(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def mysql_entry(**more) -> dict:
    """A DATABASES entry as credentials' and ecommerce's configurations write it."""
    return {
        "ENGINE": "django.db.backends.mysql",
        "NAME": "pie",
        "USER": "pie001",
        "PASSWORD": "secret",
        "HOST": "mysql.example.com",
        "PORT": 3306,
        **more,
    }


# The Open edX way of naming the cache and the JWT issuer, in place of the environment's names.
OPEN_EDX_CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://r:6379/2"}
}
NOT_FROM_THE_ENVIRONMENT = ("DATABASE_URL", "CACHE_REDIS_URL", "JWT_ISSUERS", "JWT_PUBLIC_SIGNING_JWK_SET")


def open_edx_config(databases: dict) -> dict:
    return {
        "DATABASES": databases,
        "CACHES": OPEN_EDX_CACHES,
        "JWT_AUTH": {"JWT_ISSUERS": [ISSUER], "JWT_PUBLIC_SIGNING_JWK_SET": generated_jwk_set()[0]},
    }


def test_a_databases_mapping_gets_the_options_a_database_url_gets(tmp_path):
    from_url = loaded(production(tmp_path, {}, DATABASE_URL="mysql://pie001:secret@mysql.example.com:3306/pie"))
    config = open_edx_config({"default": mysql_entry(), "read_replica": mysql_entry(HOST="replica.example.com")})

    databases = loaded(production(tmp_path, config, drop=NOT_FROM_THE_ENVIRONMENT))["DATABASES"]

    expected = from_url["DATABASES"]["default"]
    # The replica's own, shorter waits (ADR 30): a hanging replica is given up for the writer.
    assert databases["read_replica"]["OPTIONS"].pop("read_timeout") == 2
    assert databases["read_replica"]["OPTIONS"].pop("write_timeout") == 2
    for alias in ("default", "read_replica"):
        entry = databases[alias]
        assert entry["ENGINE"] == "pie.db.mysql"
        assert entry["OPTIONS"] == expected["OPTIONS"]
        assert entry["OPTIONS"]["connect_timeout"] == 3
        assert (entry["CONN_MAX_AGE"], entry["CONN_HEALTH_CHECKS"]) == (60, True)
        assert entry["TEST"]["CHARSET"] == "utf8mb4"
    assert databases["read_replica"]["HOST"] == "replica.example.com"


def test_the_operators_options_win_and_their_init_command_runs_before_pies_session_set_up(tmp_path):
    entry = mysql_entry(
        ENGINE="pie.db.mysql",
        CONN_MAX_AGE=0,
        OPTIONS={"connect_timeout": 10, "init_command": "SET sql_mode='STRICT_TRANS_TABLES';"},
    )

    databases = loaded(production(tmp_path, open_edx_config({"default": entry}), drop=NOT_FROM_THE_ENVIRONMENT))

    default = databases["DATABASES"]["default"]
    assert (default["CONN_MAX_AGE"], default["CONN_HEALTH_CHECKS"]) == (0, False)
    options = default["OPTIONS"]
    assert (options["connect_timeout"], options["charset"], options["isolation_level"]) == (
        10,
        "utf8mb4",
        "read committed",
    )
    operators, pies = options["init_command"].split("; ")
    assert operators == "SET sql_mode='STRICT_TRANS_TABLES'"
    assert pies.startswith("SET sql_mode='STRICT_TRANS_TABLES,NO_ZERO_DATE")
    assert pies.endswith("time_zone='+00:00'")


def test_a_sqlite_alias_is_left_to_sqlite_with_pies_transaction_mode(tmp_path):
    entry = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "pie.sqlite3")}

    default = loaded(production(tmp_path, {"DATABASES": {"default": entry}}))["DATABASES"]["default"]

    assert default["ENGINE"] == "django.db.backends.sqlite3"
    assert default["OPTIONS"] == {"transaction_mode": "IMMEDIATE"}


@pytest.mark.parametrize(
    ("config", "setting"),
    [
        ({"DATABASES": ["default"]}, "DATABASES"),
        ({"DATABASES": {"default": "mysql://pie@db/pie"}}, "DATABASES"),
        ({"DATABASES": {"default": mysql_entry()}, "DATABASE_URL": "sqlite:///x.sqlite3"}, "DATABASES"),
        ({"DATABASES": {"default": mysql_entry(OPTIONS={"charset": "utf8"})}}, "OPTIONS charset"),
        (
            {"DATABASES": {"default": mysql_entry(OPTIONS={"isolation_level": "repeatable read"})}},
            "OPTIONS isolation_level",
        ),
        ({"DATABASES": {"default": mysql_entry(ATOMIC_REQUESTS=True)}}, "ATOMIC_REQUESTS"),
        ({"JWT_ISSUERS": "[{ISSUER: lms}]"}, "JWT_ISSUERS"),
        ({"CACHE_REDIS_TIMEOUT_SECONDS": "a second"}, "CACHE_REDIS_TIMEOUT_SECONDS"),
    ],
    ids=[
        "DATABASES a list",
        "an alias a URL",
        "DATABASES and DATABASE_URL",
        "utf8",
        "repeatable read",
        "atomic requests",
        "JWT_ISSUERS not JSON",
        "timeout",
    ],
)
def test_a_file_value_that_cannot_work_is_refused_with_one_line_naming_it(tmp_path, config, setting):
    line = refused(production(tmp_path, config, probe=None))

    assert line.startswith("PIE cannot start: ")
    assert setting in line


@pytest.mark.mysql
@pytest.mark.django_db
def test_an_open_edx_style_configuration_gives_strict_utc_read_committed_utf8mb4_sessions(tmp_path):
    db = settings.DATABASES["default"]
    real = {
        "ENGINE": "django.db.backends.mysql",
        "NAME": db["NAME"],
        "USER": db["USER"],
        "PASSWORD": db["PASSWORD"] or "",
        "HOST": db["HOST"] or "127.0.0.1",
        "PORT": int(db["PORT"] or 3306),
        # As Tutor and the Open edX configurations write it: without PIE's set-up, the session
        # would stay in the server's time zone.
        "OPTIONS": {"init_command": "SET sql_mode='STRICT_TRANS_TABLES'"},
    }
    config = open_edx_config({"default": real, "read_replica": {**real, "OPTIONS": {}}})

    sessions = loaded(production(tmp_path, config, probe=SESSION, drop=NOT_FROM_THE_ENVIRONMENT))

    assert set(sessions) == {"default", "read_replica"}
    for session in sessions.values():
        assert session["time_zone"] == "+00:00"
        assert "STRICT_TRANS_TABLES" in session["sql_mode"]
        assert session["isolation"] == "READ-COMMITTED"
        assert session["charset"] == "utf8mb4"
    # Bounded waits: connect, then read and write; the replica's are shorter (ADR 30), so a
    # hanging replica costs a request little before the writer answers it.
    assert sessions["default"]["waits"] == [3, 5, 5]
    assert sessions["read_replica"]["waits"] == [3, 2, 2]


# Each name the missing-configuration refusal lists, as an operator writes it in the YAML file,
# and what the finished settings then hold (read as pie.settings.required reads it).
JWK_SET = generated_jwk_set()[0]
YAML_FORMS = {
    "SECRET_KEY": ("from-the-file" * 4, "from-the-file" * 4),
    "DATABASE_URL": ("sqlite:///from-the-file.sqlite3", "from-the-file.sqlite3"),
    "ALLOWED_HOSTS": (["pie.example.com"], ["pie.example.com"]),
    "CACHE_REDIS_URL": ("redis://cache.example.com:6379/3", "redis://cache.example.com:6379/3"),
    "JWT_ISSUERS": ([ISSUER], [ISSUER]),
    "JWT_PUBLIC_SIGNING_JWK_SET": (JWK_SET, JWK_SET),
    "PIE_RETIREMENT_SALTS": (["salt-from-the-file"], ["salt-from-the-file"]),
    "SOCIAL_AUTH_EDX_OAUTH2_KEY": ("key-from-the-file", "key-from-the-file"),
    "SOCIAL_AUTH_EDX_OAUTH2_SECRET": ("secret-from-the-file", "secret-from-the-file"),
    "SOCIAL_AUTH_EDX_OAUTH2_URL_ROOT": (
        "https://lms.from-the-file.example.com",
        "https://lms.from-the-file.example.com",
    ),
}


def test_every_name_the_refusal_lists_has_its_yaml_form_here():
    assert set(YAML_FORMS) == set(REQUIRED)


@pytest.mark.parametrize("name", sorted(REQUIRED))
def test_each_name_the_refusal_lists_works_as_a_key_of_the_yaml_file(tmp_path, name):
    written, read = YAML_FORMS[name]

    values = loaded(production(tmp_path, {name: written}, drop=(name,)))["REQUIRED"][name]

    if name == "DATABASE_URL":
        assert values["NAME"].endswith(read)
    else:
        assert values == read


def test_the_file_alone_configures_production_by_the_environments_names(tmp_path):
    config = {name: written for name, (written, _) in YAML_FORMS.items()}
    config["DATABASE_URL"] = f"sqlite:///{tmp_path / 'pie.sqlite3'}"
    config["CACHE_REDIS_TIMEOUT_SECONDS"] = 0.5
    config["PIE_LEARNER_WRITE_RATE"] = "10/minute"

    result = production(tmp_path, config, drop=tuple(REQUIRED))
    values = loaded(result)
    check = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "ERROR"],
        env={
            **without_configuration(os.environ),
            "DJANGO_SETTINGS_MODULE": "pie.settings.production",
            "PIE_CFG": str(tmp_path / "pie.yml"),
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert check.returncode == 0, check.stderr
    assert values["CACHES"]["default"]["OPTIONS"] == {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    assert values["RATE"] == "10/minute"


def test_the_files_mappings_win_over_its_top_level_names(tmp_path):
    other_issuer = {**ISSUER, "ISSUER": "https://other.example.com/oauth2"}
    config = {
        "JWT_ISSUERS": [ISSUER],
        "JWT_AUTH": {"JWT_ISSUERS": [other_issuer], "JWT_PUBLIC_SIGNING_JWK_SET": json.loads(JWK_SET)},
        "CACHE_REDIS_URL": "redis://ignored.example.com:6379/0",
        "CACHES": OPEN_EDX_CACHES,
    }

    values = loaded(production(tmp_path, config, drop=NOT_FROM_THE_ENVIRONMENT[1:]))

    assert values["JWT_AUTH"]["JWT_ISSUERS"] == [other_issuer]
    # Written as a YAML mapping: edx-drf-extensions reads the set as JSON text.
    assert json.loads(values["JWT_AUTH"]["JWT_PUBLIC_SIGNING_JWK_SET"]) == json.loads(JWK_SET)
    assert values["CACHES"] == OPEN_EDX_CACHES


@pytest.mark.parametrize("in_the_file", [False, True], ids=["environment", "file"])
def test_read_replica_database_url_adds_the_replica_with_the_writers_options(tmp_path, in_the_file):
    url = "mysql://pie_ro:secret@replica.example.com:3306/pie"
    config = {"READ_REPLICA_DATABASE_URL": url} if in_the_file else {}
    env = {} if in_the_file else {"READ_REPLICA_DATABASE_URL": url}
    databases = loaded(production(tmp_path, config, DATABASE_URL="mysql://pie:s@mysql.example.com:3306/pie", **env))[
        "DATABASES"
    ]
    replica, writer = databases["read_replica"], databases["default"]
    assert (replica["HOST"], replica["USER"], replica["ENGINE"]) == ("replica.example.com", "pie_ro", "pie.db.mysql")
    assert replica["OPTIONS"]["init_command"] == writer["OPTIONS"]["init_command"]
    assert replica["OPTIONS"]["isolation_level"] == "read committed"
    assert replica["TEST"]["MIRROR"] == "default"


def test_a_replica_named_twice_is_refused(tmp_path):
    config = open_edx_config({"default": mysql_entry(), "read_replica": mysql_entry(HOST="replica.example.com")})
    line = refused(
        production(
            tmp_path,
            config,
            probe=None,
            drop=NOT_FROM_THE_ENVIRONMENT,
            READ_REPLICA_DATABASE_URL="mysql://a:b@replica2:3306/pie",
        )
    )
    assert "READ_REPLICA_DATABASE_URL" in line


def test_migrations_run_only_on_the_writer():
    from pie.db.routers import WriterOnlyRouter

    router = WriterOnlyRouter()
    assert router.allow_migrate("default", "intents") is True
    assert router.allow_migrate("read_replica", "intents") is False
    assert router.db_for_read(None) == router.db_for_write(None) == "default"
