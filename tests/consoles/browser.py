"""Browser helpers for the console tests: Chromium via Playwright, error collection, sign-in.

Debian's /usr/bin/chromium is driven by Playwright for Python (never `playwright install`).
Every page opened through `Browsers.page` records console errors and uncaught exceptions;
`Browsers.assert_clean()` (called by the fixture at the end of each test) fails the test if
any page logged one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Locator, Page

from consoles.serve import DIST

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # WebRTC to the media workers: loopback only (the media tests run in a network namespace
    # with only `lo` up, see test_console_media.py).
    "--allow-loopback-in-peer-connection",
    # Sound must play without a click first (alarm sirens are checked by the tests).
    "--autoplay-policy=no-user-gesture-required",
]
STEP_TIMEOUT_MS = 10_000
SIGNED_IN_TIMEOUT_MS = 15_000


def require_dist() -> None:
    """The consoles must be built; say how if they are not."""
    pages = [DIST / f"{page}.html" for page in ("console", "field", "report")]
    missing = [str(p) for p in pages if not p.is_file()]
    assert not missing, (
        f"the web consoles are not built ({', '.join(missing)} missing): run scripts/setup "
        "or `npm --prefix consoles/web ci && npm --prefix consoles/web run build`"
    )


@dataclass
class BrowserErrors:
    """Console errors and uncaught exceptions of the pages of one test."""

    entries: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def watch(self, page: Page, name: str, base_url: str) -> None:
        page.on("console", lambda message: self._console(name, message))
        page.on("request", lambda request: self._offsite(name, request.url, base_url))
        page.on("pageerror", lambda error: self.entries.append(f"[{name}] pageerror: {error}"))
        page.on("crash", lambda _page: self.entries.append(f"[{name}] page crashed"))

    def _console(self, name: str, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        text = f"[{name}] console.error: {message.text} @ {message.location.get('url', '')}"
        if any(fragment in message.text for fragment in self.ignored):
            return
        self.entries.append(text)

    def _offsite(self, name: str, url: str, base_url: str) -> None:
        """The consoles must work with no internet: every request goes to the hub."""
        if not url.startswith((base_url, "data:", "blob:")):
            self.entries.append(f"[{name}] request to another host: {url}")

    def assert_clean(self) -> None:
        assert not self.entries, "the browser logged errors:\n" + "\n".join(self.entries)


@dataclass
class Browsers:
    """One Chromium per test; a context (own storage, own sign-in) per person."""

    browser: Browser
    base_url: str
    errors: BrowserErrors = field(default_factory=BrowserErrors)
    contexts: list[BrowserContext] = field(default_factory=list)

    async def page(
        self, path: str = "/console", *, name: str = "page", **context_options: Any
    ) -> Page:
        """A new page in a fresh context (own cookies and storage), opened at `path`."""
        context = await self.browser.new_context(
            base_url=self.base_url, locale="zh-CN", **context_options
        )
        context.set_default_timeout(STEP_TIMEOUT_MS)
        self.contexts.append(context)
        page = await context.new_page()
        self.errors.watch(page, name, self.base_url)
        await page.goto(path)
        return page

    async def signed_in(
        self, username: str, password: str, path: str = "/console", **context_options: Any
    ) -> Page:
        """A page at `path` signed in through its login form, with its socket connected."""
        page = await self.page(path, name=username, **context_options)
        await sign_in(page, username, password)
        return page

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()
        await self.browser.close()


async def sign_in(page: Page, username: str, password: str) -> None:
    """Fill the shared login form (src/shared/components/LoginForm.vue) and wait until the
    page says who is signed in and that its socket is connected (body data attributes)."""
    await input_of(page, "login-username").fill(username)
    await input_of(page, "login-password").fill(password)
    await page.get_by_test_id("login-submit").click()
    await page.wait_for_selector(
        f'body[data-gh-user="{username}"][data-gh-socket="connected"]',
        state="attached",
        timeout=SIGNED_IN_TIMEOUT_MS,
    )


async def wait_until(page: Page, expression: str, timeout_ms: int = STEP_TIMEOUT_MS) -> None:
    """`page.wait_for_function(expression)` for pages under the hub's CSP: Playwright polls
    that one with `eval` inside the page, which `script-src 'self'` refuses. Here the
    expression is part of a function that DevTools compiles, checked on every frame."""
    await page.evaluate(
        f"""(limit) => new Promise((resolve, reject) => {{
            const started = performance.now();
            const check = () => {{
                if ({expression}) resolve(true);
                else if (performance.now() - started > limit) reject(new Error('timed out'));
                else requestAnimationFrame(check);
            }};
            check();
        }})""",
        timeout_ms,
    )


async def animations_ended(target: Locator) -> None:
    """Wait for the finite CSS animations and transitions running in `target`'s document to
    end (an Element Plus drawer slides in for 0.3 s: a point read mid-slide is not where the
    element stops). Endless ones (a blinking overdue tag) are not waited for."""
    await target.evaluate(
        """async (el) => {
            await new Promise((resolve) => requestAnimationFrame(resolve));
            const finite = el.ownerDocument.getAnimations().filter((a) =>
                Number.isFinite(a.effect ? a.effect.getComputedTiming().endTime : Infinity));
            await Promise.all(finite.map((a) => a.finished.catch(() => null)));
        }"""
    )


def input_of(page: Page, test_id: str) -> Locator:
    """The <input> (or <textarea>) of an Element Plus input tagged with data-testid (the
    attribute lands on the input itself, or on a wrapper for some components)."""
    tag = f'[data-testid="{test_id}"]'
    return page.locator(f"input{tag}, textarea{tag}, {tag} input, {tag} textarea").first


def screenshot_path(name: str) -> Path:
    return Path(__file__).resolve().parents[2] / "docs" / "screenshots" / f"{name}.png"
