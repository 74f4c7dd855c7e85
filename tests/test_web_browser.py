"""The web console in headless Chromium (Debian's, through Playwright), served by uvicorn on 127.0.0.1
over a real SQLite file: log in, filter and search, open a signal from the emergence map, confirm and
dismiss, preview and save a source definition, open the archive and the indicators; no page breaks its
Content-Security-Policy or runs hostile text; every page is read on a 390 px phone too. Screenshots of
each page go to test-artifacts/console-*.png."""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import func, select

from signals.core.schema import Document, Feedback, Source
from tests.reportfixtures import ARTIFACTS, HOSTILE_TITLE
from tests.sitefixtures import SITES, serve_folder
from tests.test_reports_browser import ARGS, CHROMIUM, _assert_inert
from tests.webfixtures import PASSWORD, console

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]  # a busy machine builds the home slowly


@pytest.fixture(scope="module")
def site():
    with serve_folder(SITES) as served:
        yield served


@pytest.fixture(scope="module")
def web(tmp_path_factory, site):
    with console(tmp_path_factory, "web-browser", site_url=site.base_url) as served:
        yield served


@pytest.fixture(scope="module")
def browser():
    from pathlib import Path

    if not Path(CHROMIUM).exists():  # a missing browser fails these tests, never skips them
        pytest.fail(f"chromium not found at {CHROMIUM}: `make chromium` installs Debian's package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


class Visit:
    """A browser context logged in as one role, recording every page error, console error (a CSP
    violation is one) and failed request."""

    def __init__(self, browser, web, role: str, width: int = 1100) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(
            180_000
        )  # a preview or a collection crawls a site: seconds, more under load
        self.problems: list[str] = []
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on(
            "console", lambda m: self.problems.append(f"console: {m.text}") if m.type == "error" else None
        )
        # the browser cancels the icon's fetch when a page is left at once: not a failure of the page
        self.page.on(
            "requestfailed",
            lambda r: (
                None
                if r.url.endswith("favicon.svg")
                else self.problems.append(f"request failed: {r.url[:100]}")
            ),
        )
        self.web = web
        self.goto("/connexion")
        self.page.fill("#nom", role)
        self.page.fill("#mot_de_passe", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state("load")

    def goto(self, path: str) -> None:
        self.page.goto(self.web.url + path)
        self.page.wait_for_load_state("load")

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"console-{name}.png"), full_page=True)

    def text(self) -> str:
        return self.page.inner_text("main")

    def close(self) -> None:
        self.context.close()


def test_log_in_filter_and_search(browser, web):
    visit = Visit(browser, web, "official")
    try:
        assert "Signaux de la semaine" in visit.text() and "official" in visit.page.inner_text("header")
        _assert_inert(visit.page)
        visit.shot("signaux")
        visit.page.select_option("#statut", "rising")
        visit.page.click("form.filters button[type=submit]")
        visit.page.wait_for_load_state("load")
        assert "statut=rising" in visit.page.url
        rising = visit.page.locator("#signaux .card").count()
        assert rising >= 1 and visit.page.locator("#signaux .status-rising").count() == rising
        visit.page.select_option("#statut", "confirmed")
        visit.page.click("form.filters button[type=submit]")
        visit.page.wait_for_load_state("load")
        assert "Aucun signal ne correspond" in visit.text()
        visit.goto("/recherche")
        visit.page.fill("#q", "punaises inquiètent")
        visit.page.press("#q", "Enter")
        visit.page.wait_for_load_state("load")
        assert "documents trouvés" in visit.text()
        assert HOSTILE_TITLE in visit.text()  # the planted theme's hostile titles, shown as text
        _assert_inert(visit.page)
        visit.shot("recherche")
        assert visit.problems == []
    finally:
        visit.close()


def test_open_a_signal_from_the_emergence_map_then_confirm_and_dismiss(browser, web):
    visit = Visit(browser, web, "staff")
    try:
        visit.goto("/carte")
        assert visit.page.locator("svg a.point").count() >= 1
        visit.shot("carte")
        visit.page.locator("svg a.point").first.click()
        visit.page.wait_for_load_state("load")
        assert "/signaux/" in visit.page.url and "Documents par semaine" in visit.text()
        assert visit.page.locator("figure.chart svg rect").count() >= 4
        _assert_inert(visit.page)
        signal_id = int(visit.page.url.rsplit("/", 1)[1].split("?")[0])
        visit.shot("signal")
        visit.page.fill("#note", "vu en réunion <b>lundi</b>")
        visit.page.click("button[value=confirm]")
        visit.page.wait_for_load_state("load")
        assert "Action enregistrée : signal confirmé" in visit.text()
        assert "vu en réunion <b>lundi</b>" in visit.page.inner_text("#avis")
        visit.page.fill("#note", "finalement hors sujet")
        visit.page.click("button[value=dismiss]")
        visit.page.wait_for_load_state("load")
        assert "signal écarté" in visit.text()
        visit.shot("signal-avis")
        assert visit.problems == []
    finally:
        visit.close()
    with web.store.session() as session:
        verdicts = [
            (f.verdict, f.note, f.author)
            for f in session.scalars(select(Feedback).where(Feedback.signal_id == signal_id))
        ]
    assert verdicts == [
        ("confirm", "vu en réunion <b>lundi</b>", "staff"),
        ("dismiss", "finalement hors sujet", "staff"),
    ]


def test_preview_then_save_a_source_definition(browser, web, site):
    visit = Visit(browser, web, "analyst")
    try:
        visit.goto("/sources")
        assert "Santé des sources" in visit.text()
        visit.shot("sources")
        visit.goto("/sources/nouvelle")
        visit.page.fill("#definition", "name: echo\nkind: rss\nurl: pas une adresse\n")
        visit.page.click("button[value=apercu]")
        visit.page.wait_for_load_state("load")
        assert "Définition invalide" in visit.text() and "url" in visit.page.inner_text("#erreur")
        assert visit.problems == [
            "console: Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
        ]
        visit.problems.clear()  # the page of a refused definition is answered 422, on purpose
        before = web.settings.sources_file.read_text(encoding="utf-8")
        definition = (
            f"name: echo-valide\nkind: rss\ntitle: L'Écho valide\nurl: {site.url('feeds/rss-valid.xml')}\n"
        )
        visit.page.fill("#definition", definition)
        visit.page.click("button[value=apercu]")
        visit.page.wait_for_load_state("load")
        assert visit.page.locator("#apercu").count() == 1, visit.text()
        preview = visit.page.inner_text("#apercu")
        assert "Titre de l'article 1" in preview and "réussi" in preview
        assert web.settings.sources_file.read_text(encoding="utf-8") == before  # nothing stored
        visit.shot("source-apercu")
        visit.page.click("button[value=enregistrer]")
        visit.page.wait_for_load_state("load")
        assert "Définition enregistrée" in visit.text() and visit.page.url.split("?")[0].endswith(
            "/sources/echo-valide"
        )
        saved = yaml.safe_load(web.settings.sources_file.read_text(encoding="utf-8"))
        assert [s["name"] for s in saved["sources"]] == ["echo-test", "echo-valide"]
        kept = sorted(web.settings.sources_file.parent.glob("sources.yaml.*.bak"))
        assert kept and kept[-1].read_text(encoding="utf-8") == before  # the previous version
        assert kept[-1].name in visit.text()
        visit.shot("source-enregistree")
        # collect it now: the page follows the collection until it is done
        visit.page.click("text=Collecter cette source maintenant")
        visit.page.wait_for_selector("text=Collecte terminée", timeout=180_000)
        assert "réussie" in visit.page.inner_text("#collecte")
        visit.shot("source-collecte")
        assert visit.problems == []
    finally:
        visit.close()
    with web.store.session() as session:
        stored = session.scalar(
            select(func.count()).select_from(Document).join(Source).where(Source.name == "echo-valide")
        )
    assert stored == 3


def test_open_the_archive_and_the_indicators(browser, web):
    visit = Visit(browser, web, "official")
    try:
        visit.goto("/archives")
        assert visit.page.locator("#archives tbody tr").count() == 2
        visit.shot("archives")
        assert visit.page.locator('a[href$="telecharger.pdf"]').count() == 1
        assert visit.page.locator('a[href$="telecharger.eml"]').count() == 1
        visit.page.locator("#archives tbody a").first.click()
        visit.page.wait_for_load_state("load")
        body = visit.page.inner_text("body")
        assert "Veille prospective" in body or "Rapport" in body
        _assert_inert(visit.page)
        visit.shot("archive-document")
        visit.goto("/indicateurs")
        assert "Baromètre des communes" in visit.text()
        images = visit.page.eval_on_selector_all(
            "main img", "els => els.map(e => e.complete && e.naturalWidth > 0)"
        )
        assert images and all(images)
        visit.shot("indicateurs")
        assert visit.problems == []
    finally:
        visit.close()


@pytest.mark.parametrize(
    "path", ["/", "/carte", "/signaux/1", "/recherche?q=punaises", "/archives", "/indicateurs"]
)
def test_pages_read_on_a_390_px_phone(browser, web, path):
    visit = Visit(browser, web, "admin", width=390)
    try:
        visit.goto(path)
        width = visit.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide on a 390 px screen"
        assert visit.page.evaluate("document.documentElement.lang") == "fr"
        assert visit.page.locator("h1").count() == 1
        unlabelled = visit.page.eval_on_selector_all(
            "main input:not([type=hidden]), main select, main textarea",
            "els => els.filter(e => !(e.labels && e.labels.length)).map(e => e.name)",
        )
        assert unlabelled == []
        if path == "/":
            visit.shot("telephone")
        assert visit.problems == []
    finally:
        visit.close()
