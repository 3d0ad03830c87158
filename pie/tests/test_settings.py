"""The settings modules, each imported fresh in a subprocess with a chosen environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from pie.tests.production import full_production_env, without_configuration

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import importlib, json, sys
module = importlib.import_module(sys.argv[1])
db = module.DATABASES.get("default", {})
print(json.dumps({
    "ENGINE": db.get("ENGINE"), "NAME": str(db.get("NAME")), "OPTIONS": db.get("OPTIONS", {}),
    "SECRET_KEY": module.SECRET_KEY, "ALLOWED_HOSTS": module.ALLOWED_HOSTS, "DEBUG": module.DEBUG,
    "CONN_MAX_AGE": db.get("CONN_MAX_AGE"), "CONN_HEALTH_CHECKS": db.get("CONN_HEALTH_CHECKS"),
    "EVENT_BUS": {name: getattr(module, name) for name in dir(module) if name.startswith("EVENT_BUS_")},
    "CORS_ORIGIN_WHITELIST": module.CORS_ORIGIN_WHITELIST, "CSRF_TRUSTED_ORIGINS": module.CSRF_TRUSTED_ORIGINS,
    "CSRF_COOKIE_DOMAIN": module.CSRF_COOKIE_DOMAIN, "CSRF_COOKIE_SECURE": module.CSRF_COOKIE_SECURE,
}))
"""

CONFIGURATION_VARIABLES = (
    "DATABASE_URL",
    "SECRET_KEY",
    "PIE_CFG",
    "ALLOWED_HOSTS",
    "CORS_ORIGIN_WHITELIST",
    "CSRF_COOKIE_DOMAIN",
)


# What production needs besides the values each test gives or leaves out.
PRODUCTION_ENV = {
    k: v
    for k, v in full_production_env(database_url="sqlite:///unused.sqlite3").items()
    if k not in ("DATABASE_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")
}


def load_settings(module, **env):
    clean = {k: v for k, v in without_configuration(os.environ).items() if k not in CONFIGURATION_VARIABLES}
    if module == "pie.settings.production":
        env = {**PRODUCTION_ENV, **env}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, module],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise RuntimeError(result.stderr.strip().splitlines()[-1])
    return json.loads(result.stdout)


def test_local_defaults_to_a_sqlite_file_in_the_repository():
    values = load_settings("pie.settings.local")
    assert values["ENGINE"] == "django.db.backends.sqlite3"
    assert values["NAME"] == str(ROOT / "pie.sqlite3")
    assert values["DEBUG"] is True


@pytest.mark.parametrize("module", ["pie.settings.local", "pie.settings.test", "pie.settings.production"])
def test_every_module_honours_database_url(module):
    values = load_settings(module, DATABASE_URL="mysql://pie:secret@db.internal:3307/pie_db", SECRET_KEY="x")
    assert values["ENGINE"] == "pie.db.mysql"
    assert values["NAME"] == "pie_db"
    options = values["OPTIONS"]
    assert options["charset"] == "utf8mb4"
    assert "STRICT_TRANS_TABLES" in options["init_command"]
    assert "time_zone='+00:00'" in options["init_command"]
    assert options["isolation_level"] == "read committed"


def test_production_keeps_connections_and_checks_them_before_reuse():
    values = load_settings("pie.settings.production", DATABASE_URL="mysql://pie:secret@db:3306/pie", SECRET_KEY="x")
    assert (values["CONN_MAX_AGE"], values["CONN_HEALTH_CHECKS"]) == (60, True)
    values = load_settings(
        "pie.settings.production",
        DATABASE_URL="mysql://pie:secret@db:3306/pie",
        SECRET_KEY="x",
        DATABASE_CONN_MAX_AGE="0",
    )
    assert (values["CONN_MAX_AGE"], values["CONN_HEALTH_CHECKS"]) == (0, False)


def test_local_settings_open_a_connection_per_request():
    assert load_settings("pie.settings.local")["CONN_MAX_AGE"] == 0


def test_production_refuses_to_start_without_a_secret_key():
    with pytest.raises(RuntimeError, match="missing configuration: SECRET_KEY "):
        load_settings("pie.settings.production", DATABASE_URL="sqlite:///x.sqlite3")


def test_production_refuses_to_start_without_a_database():
    with pytest.raises(RuntimeError, match="missing configuration: DATABASE_URL "):
        load_settings("pie.settings.production", SECRET_KEY="s")


def test_production_reads_a_yaml_file_named_by_pie_cfg(tmp_path):
    config = tmp_path / "pie.yml"
    config.write_text(
        "SECRET_KEY: from-yaml\n"
        "ALLOWED_HOSTS: [pie.example.com]\n"
        "DATABASE_URL: mysql://pie:pw@mysql.example.com:3306/pie\n"
    )
    values = load_settings("pie.settings.production", PIE_CFG=str(config), SECRET_KEY="from-env")
    assert values["SECRET_KEY"] == "from-yaml"
    assert values["ALLOWED_HOSTS"] == ["pie.example.com"]
    assert (values["ENGINE"], values["NAME"]) == ("pie.db.mysql", "pie")
    assert values["DEBUG"] is False


def test_local_settings_reach_the_local_redis_and_production_reads_the_bus_from_its_configuration(tmp_path):
    local = load_settings("pie.settings.local")["EVENT_BUS"]
    assert local["EVENT_BUS_REDIS_CONNECTION_URL"] == "redis://127.0.0.1:6379/0"
    assert local["EVENT_BUS_PRODUCER"] == "edx_event_bus_redis.create_producer"
    assert local["EVENT_BUS_CONSUMER"] == "edx_event_bus_redis.RedisEventConsumer"
    assert local["EVENT_BUS_REDIS_CONSUMER_POLL_TIMEOUT"] < 5  # redis-py's socket timeout

    config = tmp_path / "pie.yml"
    config.write_text(
        "EVENT_BUS_PRODUCER: edx_event_bus_kafka.create_producer\n"
        "EVENT_BUS_CONSUMER: edx_event_bus_kafka.KafkaEventConsumer\n"
        "EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS: kafka.example.com:9092\n"
    )
    production = load_settings(
        "pie.settings.production",
        SECRET_KEY="s",
        DATABASE_URL="sqlite:///x.sqlite3",
        EVENT_BUS_REDIS_CONNECTION_URL="rediss://redis.example.com:6380/0",
        EVENT_BUS_TOPIC_PREFIX="prod",
    )["EVENT_BUS"]
    assert production["EVENT_BUS_REDIS_CONNECTION_URL"] == "rediss://redis.example.com:6380/0"
    assert production["EVENT_BUS_TOPIC_PREFIX"] == "prod"
    kafka = load_settings("pie.settings.production", SECRET_KEY="s", DATABASE_URL="sqlite:///x", PIE_CFG=str(config))
    assert kafka["EVENT_BUS"]["EVENT_BUS_CONSUMER"] == "edx_event_bus_kafka.KafkaEventConsumer"
    assert kafka["EVENT_BUS"]["EVENT_BUS_KAFKA_BOOTSTRAP_SERVERS"] == "kafka.example.com:9092"
    assert kafka["EVENT_BUS"]["EVENT_BUS_REDIS_CONNECTION_URL"] is None


@pytest.mark.parametrize("module", ["pie.settings.local", "pie.settings.test"])
def test_local_and_test_settings_allow_the_mfe_development_origin(module):
    values = load_settings(module)
    assert values["CORS_ORIGIN_WHITELIST"] == ["http://localhost:1996"]
    assert values["CSRF_TRUSTED_ORIGINS"] == values["CORS_ORIGIN_WHITELIST"]
    assert values["CSRF_COOKIE_SECURE"] is False


def test_production_allows_no_browser_origin_unless_configured():
    values = load_settings("pie.settings.production", DATABASE_URL="sqlite:///x.sqlite3", SECRET_KEY="s")
    assert (values["CORS_ORIGIN_WHITELIST"], values["CSRF_TRUSTED_ORIGINS"]) == ([], [])
    assert values["CSRF_COOKIE_DOMAIN"] is None
    assert values["CSRF_COOKIE_SECURE"] is True


def test_production_reads_the_browser_origins_and_cookie_domain_from_the_environment():
    values = load_settings(
        "pie.settings.production",
        DATABASE_URL="sqlite:///x.sqlite3",
        SECRET_KEY="s",
        CORS_ORIGIN_WHITELIST="https://apps.example.com,https://learning.example.com",
        CSRF_COOKIE_DOMAIN=".example.com",
    )
    assert values["CORS_ORIGIN_WHITELIST"] == ["https://apps.example.com", "https://learning.example.com"]
    assert values["CSRF_TRUSTED_ORIGINS"] == values["CORS_ORIGIN_WHITELIST"]
    assert values["CSRF_COOKIE_DOMAIN"] == ".example.com"


def test_production_reads_the_browser_origins_from_the_yaml_file_too(tmp_path):
    config = tmp_path / "pie.yml"
    config.write_text("CORS_ORIGIN_WHITELIST: [https://apps.example.com]\nCSRF_COOKIE_DOMAIN: .example.com\n")
    values = load_settings(
        "pie.settings.production",
        PIE_CFG=str(config),
        DATABASE_URL="sqlite:///x.sqlite3",
        SECRET_KEY="s",
        CORS_ORIGIN_WHITELIST="https://from-env.example.com",
    )
    assert values["CORS_ORIGIN_WHITELIST"] == ["https://apps.example.com"]
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://apps.example.com"]
    assert values["CSRF_COOKIE_DOMAIN"] == ".example.com"


def test_the_build_settings_collect_static_files_as_the_dockerfile_does(tmp_path):
    # The image build runs collectstatic with the build settings (production's, with
    # placeholders for every required setting): nothing else is needed, no server reached.
    env = {
        **without_configuration(os.environ),
        "DJANGO_SETTINGS_MODULE": "pie.settings.build",
        "STATIC_ROOT": str(tmp_path / "static"),
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
        env=env,
        cwd=ROOT,
        check=True,
    )
    assert (tmp_path / "static" / "admin" / "css" / "base.css").is_file()
    assert (tmp_path / "static" / "rest_framework" / "css" / "bootstrap.min.css").is_file()
    assert (tmp_path / "static" / "drf_spectacular_sidecar" / "swagger-ui-dist" / "swagger-ui-bundle.js").is_file()


def test_the_app_server_serves_collected_static_files_without_debug(tmp_path, settings, client):
    settings.STATIC_ROOT = tmp_path
    call_command("collectstatic", interactive=False, verbosity=0)
    assert settings.DEBUG is False

    response = client.get("/static/admin/css/base.css")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    swagger_ui = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert swagger_ui.status_code == 200
    assert swagger_ui["Content-Type"].startswith("text/javascript")
    assert client.get("/static/admin/css/no-such-file.css").status_code == 404


@pytest.mark.parametrize(("given", "kept"), [("x-", "x"), ("stage", "stage"), ("", None), ("-", None)])
def test_a_topic_prefix_ending_with_a_hyphen_is_not_doubled(given, kept):
    # The bus libraries join the prefix and the topic with a hyphen of their own.
    assert (
        load_settings("pie.settings.local", EVENT_BUS_TOPIC_PREFIX=given)["EVENT_BUS"]["EVENT_BUS_TOPIC_PREFIX"] == kept
    )
