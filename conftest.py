"""
Suite-wide pytest set-up.

Tests marked ``mysql`` need MySQL/MariaDB (row locks, real concurrency). On SQLite they
are skipped with that reason, which ``-rs`` prints; under ``make test-mysql``
(``PIE_TEST_REQUIRE_MYSQL=1``) the suite refuses to run on anything but MySQL, so those
tests can never be skipped there.

Tests marked ``browser`` drive a real Chromium (Debian's ``chromium`` package, through
Playwright). Where it is not installed they are skipped with that reason; with
``PIE_TEST_REQUIRE_BROWSER=1`` (set by ``.ci/run``) the suite refuses to run without it.
"""

import os

import pytest
from django.conf import settings

from pie.tests.browser import CHROMIUM, chromium_missing_reason

# The fixtures every app's tests share (pie/tests/support): no test imports a conftest.
pytest_plugins = ["pie.tests.support.api_clients", "pie.tests.support.event_bus", "pie.tests.support.kafka"]


def _on_mysql() -> bool:
    return settings.DATABASES["default"]["ENGINE"] in ("pie.db.mysql", "django.db.backends.mysql")


def pytest_collection_modifyitems(config, items):
    if os.environ.get("PIE_TEST_REQUIRE_MYSQL") and not _on_mysql():
        raise pytest.UsageError("PIE_TEST_REQUIRE_MYSQL is set but DATABASE_URL does not point at MySQL/MariaDB.")
    no_browser = chromium_missing_reason()
    if no_browser and os.environ.get("PIE_TEST_REQUIRE_BROWSER"):
        raise pytest.UsageError(f"PIE_TEST_REQUIRE_BROWSER is set but {no_browser}.")
    skips = {}
    if not _on_mysql():
        skips["mysql"] = pytest.mark.skip(reason="needs MySQL/MariaDB: run make test-mysql")
    if no_browser:
        skips["browser"] = pytest.mark.skip(reason=f"needs Chromium: {no_browser}")
    for item in items:
        for marker, skip in skips.items():
            if marker in item.keywords:
                item.add_marker(skip)


def pytest_report_header(config):
    database = settings.DATABASES["default"]
    browser = chromium_missing_reason() or CHROMIUM
    return [
        f"database: {database['ENGINE'].rsplit('.', 1)[-1]} {database.get('HOST') or ''} {database['NAME']}",
        f"browser: {browser}",
    ]


def pytest_sessionfinish(session, exitstatus):
    """
    Under make test-mysql nothing may be skipped: every test has its database there. A
    browser test skipped for want of Chromium is the business of PIE_TEST_REQUIRE_BROWSER, a
    replica test skipped for want of MariaDB's server binaries PIE_TEST_REQUIRE_REPLICA's.
    """
    if not os.environ.get("PIE_TEST_REQUIRE_MYSQL") or exitstatus != 0:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if not os.environ.get("PIE_TEST_REQUIRE_BROWSER"):
        skipped = [report for report in skipped if "browser" not in getattr(report, "keywords", {})]
    if not os.environ.get("PIE_TEST_REQUIRE_REPLICA"):
        skipped = [report for report in skipped if "replica" not in getattr(report, "keywords", {})]
    if skipped:
        reporter.write_line(f"FAILED: {len(skipped)} test(s) skipped on MySQL/MariaDB, where all must run.", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
