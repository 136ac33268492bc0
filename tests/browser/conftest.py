"""Browser fixtures: `screener serve` as a subprocess on a free port, and Debian's headless Chromium
driven by Playwright (never `playwright install`: the tests use the system's chromium)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from screener.store.redis_process import free_port
from tests.conftest import wait_until_serving

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def server(env) -> Iterator[str]:
    """The real server (gunicorn via `screener serve`) with the test environment; yields its base URL."""
    port = free_port()
    screener = str(Path(sys.executable).with_name("screener"))
    process = subprocess.Popen([screener, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                               env={**os.environ}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base + "/healthz", process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        pytest.skip("chromium is not installed (apt-get install chromium; see scripts/apt-packages.txt)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 860})
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def phone(browser, server):
    context = browser.new_context(base_url=server, viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                  is_mobile=True, has_touch=True)
    tab = context.new_page()
    yield tab
    context.close()


def shoot(tab, name: str) -> None:
    """The whole page, and (for long pages) the first screen as the person sees it."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    if tab.evaluate("document.documentElement.scrollHeight") > tab.viewport_size["height"] * 1.5:
        tab.screenshot(path=str(SCREENSHOTS / f"{name}-first-screen.png"))
