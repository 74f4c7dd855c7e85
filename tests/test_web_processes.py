"""The console served by several processes (``signals web --workers N``): nothing a page shows may live in
the memory of the process that happened to receive a form. A collection started through one console is
followed, to its end, through another one over the same store; a run left "running" by a killed crawl
blocks nothing."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from signals.core import clock
from signals.core.schema import Document, Run, Source
from signals.pipeline.collect import sync_sources
from tests.sitefixtures import SITES, serve_folder
from tests.webfixtures import Client, console, serve


@pytest.fixture(scope="module")
def site():
    with serve_folder(SITES) as served:
        yield served


@pytest.fixture
def web(tmp_path_factory, site, request):
    """A console of the test's own: no collection of another test still preparing its documents."""
    with console(tmp_path_factory, request.node.name[:40], site_url=site.base_url) as served:
        yield served


def _start(client: Client) -> str:
    """Ask for a collection of the test source; the path of the page that follows it."""
    assert client.login("analyst")[0] == 200
    status, html = client.post("/sources/echo-test/collecter", {"csrf": client.csrf("/sources")})
    assert status == 200 and "Collecte de echo-test" in html
    path = client.last_url.removeprefix(client.base)
    assert re.fullmatch(r"/sources/echo-test/collecte\?apres=\d+&depuis=[\d.]+", path), path
    return path


def _until_done(client: Client, path: str) -> str:
    deadline = time.monotonic() + 180
    status, html = client.get(path)
    while status == 200 and "Collecte en cours" in html and time.monotonic() < deadline:
        time.sleep(0.5)
        status, html = client.get(path)
    assert status == 200, html[-800:]
    return html


def _stored(web) -> int:
    with web.store.session() as session:
        query = select(func.count()).select_from(Document).join(Source).where(Source.name == "echo-test")
        return int(session.scalar(query) or 0)


def test_a_collection_started_on_one_process_is_followed_on_another(web):
    with serve(web.settings, web.store) as second:  # another app, with its own memory
        client = web.client()
        path = _start(client)
        client.base = second  # the same signed session cookie, the other process
        html = _until_done(client, path)
    assert "Collecte terminée" in html and "réussie" in html, html[-800:]
    shown = re.search(r"Nouveaux documents</dt><dd>(\d+)", html)
    assert shown and int(shown.group(1)) == _stored(web) > 0


def test_a_run_left_running_by_a_killed_crawl_blocks_nothing(web):
    budget = web.settings.collect.time_budget_s
    sync_sources(web.store, web.settings)  # the source's row, whichever test runs first
    with web.store.session(write=True) as session:
        source = session.scalar(select(Source).where(Source.name == "echo-test"))
        stale = Run(stage="collect", target="echo-test", source_id=source.id, pid=999_999, status="running")
        stale.started_at = clock.now() - timedelta(seconds=budget + 600)
        session.add(stale)
        session.flush()
        stale_id = stale.id
    client = web.client()
    client.login("analyst")
    status, html = client.get(f"/sources/echo-test/collecte?apres={stale_id - 1}&depuis={time.time() - 900}")
    assert status == 200 and "ne s’est pas terminée à temps" in html
    path = _start(client)  # a new collection, not the stale one followed for ever
    assert f"apres={stale_id}&" in path
    html = _until_done(client, path)
    assert "Collecte terminée" in html, html[-800:]
