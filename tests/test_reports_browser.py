"""The brief, the quarterly report and the feedback page opened in headless Chromium: they render without
errors, their images load, hostile document text is shown as text and never runs; screenshots are saved
into test-artifacts/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from signals import pipeline
from signals.core.schema import Feedback
from signals.core.store import Store
from tests.reportfixtures import ARTIFACTS, HOSTILE_TEXT, HOSTILE_TITLE, QUARTER, WEEK, analysed_home

CHROMIUM = (
    os.environ.get("SIGNALS_CHROMIUM")
    or shutil.which("chromium")
    or shutil.which("chromium-browser")
    or "/usr/bin/chromium"
)
pytestmark = pytest.mark.slow
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    settings = analysed_home(tmp_path_factory, "browser", public_url="http://127.0.0.1:1")
    store = Store.open(settings)
    brief = pipeline.brief(store, settings, WEEK)
    report = pipeline.quarterly_report(store, settings, QUARTER)
    yield settings, store, brief.archive, report.files[0]
    store.close()


@pytest.fixture(scope="module")
def browser():
    # A browser that cannot run fails these tests, never skips them (``make test`` installs Debian's).
    if not Path(CHROMIUM).exists():
        pytest.fail(f"chromium not found at {CHROMIUM}: `make chromium` installs Debian's package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def _open(browser, url: str, width: int = 760):
    """A page with everything that went wrong in it recorded."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda msg: problems.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None,
    )
    page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url[:80]}"))
    page.goto(url)
    page.wait_for_load_state("load")
    return page, problems


def _assert_inert(page) -> None:
    assert page.evaluate("typeof window.__pwned") == "undefined"  # no hostile script ran
    assert page.locator("script").count() == 0
    assert page.locator("[onerror]").count() == 0
    assert page.locator('a[href^="javascript:" i]').count() == 0


@pytest.mark.parametrize("which", ["brief", "report"])
def test_brief_and_report_render_in_chromium_and_hostile_text_stays_text(rendered, browser, which):
    _, _, brief_path, report_path = rendered
    path = brief_path if which == "brief" else report_path
    page, problems = _open(browser, path.resolve().as_uri())
    try:
        assert problems == []
        _assert_inert(page)
        text = page.inner_text("body")
        assert HOSTILE_TITLE in text and HOSTILE_TEXT in text  # shown to the reader as the text it is
        images = page.eval_on_selector_all(
            "img",
            "els => els.map(e => [e.complete && e.naturalWidth > 0, e.getAttribute('src').slice(0, 20)])",
        )
        assert images and all(ok for ok, _ in images), images
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")  # no overflow
        if which == "brief":
            assert "Nouveaux signaux faibles" in text and "Couverture des données" in text
            assert page.locator('a.button[href*="/feedback/"]').count() >= 2
        else:
            assert "Indicateurs et prévisions" in text and "Baromètre des communes" in text
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{which}.png"), full_page=True)
    finally:
        page.close()


def test_a_confirm_link_of_the_brief_opens_a_form_that_records_the_verdict(rendered, browser):
    settings, store, brief_path, _ = rendered
    server = pipeline.feedback_server(store, settings, "127.0.0.1", 0).start()
    try:
        page, problems = _open(browser, brief_path.resolve().as_uri())
        href = page.locator('a.button[href*="/confirm"]').first.get_attribute("href")
        page.close()
        link = server.url + href[href.index("/feedback/") :]  # the same link on this test's port
        page, problems = _open(browser, link)
        _assert_inert(page)
        assert "Confirmer ce signal" in page.inner_text("body")
        with store.session() as session:
            assert session.query(Feedback).count() == 0  # opening the link records nothing
        page.fill("textarea", "vu en réunion <b>lundi</b>")
        page.click("button[type=submit]")
        page.wait_for_load_state("load")
        assert "verdict est enregistré" in page.inner_text("body") and problems == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "feedback.png"))
        page.close()
    finally:
        server.stop()
    with store.session() as session:
        verdicts = [(f.verdict, f.note) for f in session.query(Feedback)]
    assert verdicts == [("confirm", "vu en réunion <b>lundi</b>")]


def test_the_brief_reflows_on_a_390_px_phone_without_horizontal_scroll(rendered, browser):
    _, _, brief_path, _ = rendered
    page, problems = _open(browser, brief_path.resolve().as_uri(), width=390)
    try:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the brief is {width} px wide on a 390 px screen"
        assert page.evaluate("document.documentElement.lang") == "fr" and problems == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "brief-390.png"), full_page=True)
    finally:
        page.close()
