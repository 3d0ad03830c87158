"""
Suite-wide pytest set-up.

Tests marked ``mysql`` need MySQL/MariaDB (row locks, real concurrency). On SQLite they
are skipped with that reason, which ``-rs`` prints; under ``make test-mysql``
(``PIE_TEST_REQUIRE_MYSQL=1``) the suite refuses to run on anything but MySQL, so those
tests can never be skipped there.
"""

import os

import pytest
from django.conf import settings


def _on_mysql() -> bool:
    return settings.DATABASES["default"]["ENGINE"] in ("pie.db.mysql", "django.db.backends.mysql")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("PIE_TEST_REQUIRE_MYSQL") and not _on_mysql():
        raise pytest.UsageError("PIE_TEST_REQUIRE_MYSQL is set but DATABASE_URL does not point at MySQL/MariaDB.")
    if _on_mysql():
        return
    skip = pytest.mark.skip(reason="needs MySQL/MariaDB: run make test-mysql")
    for item in items:
        if "mysql" in item.keywords:
            item.add_marker(skip)


def pytest_report_header(config):
    database = settings.DATABASES["default"]
    return f"database: {database['ENGINE'].rsplit('.', 1)[-1]} {database.get('HOST') or ''} {database['NAME']}"


def pytest_sessionfinish(session, exitstatus):
    """Under make test-mysql nothing may be skipped: every test has its database there."""
    if not os.environ.get("PIE_TEST_REQUIRE_MYSQL") or exitstatus != 0:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        reporter.write_line(f"FAILED: {len(skipped)} test(s) skipped on MySQL/MariaDB, where all must run.", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
