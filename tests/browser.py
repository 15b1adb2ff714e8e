"""A real headless browser for the tests: Debian's chromium driven by Playwright (never `playwright install`).

`.ci/run` apt-installs `chromium`; `STATEWRIGHT_CHROMIUM` names another binary.
A test that needs the browser fails, never skips, when it is missing. The
flags keep the browser from reaching the network on its own (updates, sync,
QUIC probes), so a test that records requests sees only the page's.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, ConsoleMessage, Page, Request, sync_playwright

CHROMIUM = Path(os.environ.get("STATEWRIGHT_CHROMIUM", "/usr/bin/chromium"))
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Launch the system chromium for the duration of the block; fail when it is not installed."""
    if not CHROMIUM.exists():
        raise AssertionError(f"{CHROMIUM} is missing: install Debian's `chromium` (.ci/run does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(FLAGS))
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Watched:
    """A page with everything it logged and every request it made."""

    page: Page
    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


def watch(browser: Browser, width: int = 1400, height: int = 900) -> Watched:
    """Open a page that records console warnings and errors, uncaught exceptions and requests."""
    page = browser.new_page(viewport={"width": width, "height": height})
    watched = Watched(page)

    def logged(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            watched.console.append(f"{message.type}: {message.text}")

    def requested(request: Request) -> None:
        watched.requests.append(request.url)

    page.on("console", logged)
    page.on("pageerror", lambda error: watched.console.append(f"uncaught: {error}"))
    page.on("request", requested)
    return watched
