"""
A real Chromium for the tests marked ``browser``: Debian's ``chromium``, driven by Playwright.

Playwright never downloads a browser here (``playwright install`` is not part of any
set-up): it launches the executable named by ``PIE_TEST_CHROMIUM``, by default the
first ``chromium`` on ``PATH`` or ``/usr/bin/chromium``.

Playwright's synchronous API runs an event loop in the calling thread, where Django
refuses database queries; so ``in_chromium`` runs one function against a fresh browser
and returns what it found, and the test queries the database before or after it.
"""

import importlib.util
import os
import shutil
from collections.abc import Callable

CHROMIUM = os.environ.get("PIE_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

# Headless, and quiet: no first-run, sync, component or background traffic of its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_missing_reason() -> str | None:
    """Why the browser tests cannot run here, or ``None`` when they can."""
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is not installed (requirements/test.txt)"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium; or set PIE_TEST_CHROMIUM)"
    return None


def in_chromium[T](run: Callable[..., T]) -> T:
    """Launch a fresh Chromium, return ``run(browser)`` (a Playwright ``Browser``), and close it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # Playwright gives every launch a fresh, temporary user-data directory.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            return run(browser)
        finally:
            browser.close()
