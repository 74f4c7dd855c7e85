"""The console served by several processes (``signals web --workers N``): nothing a page shows may live in
the memory of the process that happened to receive a form. A collection started through one console is
followed, to its end, through another one over the same store."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import func, select

from signals.core.schema import Document, Source
from tests.sitefixtures import SITES, serve_folder
from tests.webfixtures import console, serve


@pytest.fixture(scope="module")
def site():
    with serve_folder(SITES) as served:
        yield served


def test_a_collection_started_on_one_process_is_followed_on_another(tmp_path_factory, site):
    with console(tmp_path_factory, "web-processes", site_url=site.base_url) as first:
        with serve(first.settings, first.store) as second:  # another app, with its own memory
            client = first.client()
            assert client.login("analyst")[0] == 200
            status, html = client.post("/sources/echo-test/collecter", {"csrf": client.csrf("/sources")})
            assert status == 200 and "Collecte de echo-test" in html
            path = client.last_url.removeprefix(first.url)
            assert re.fullmatch(r"/sources/echo-test/collecte\?apres=\d+&depuis=[\d.]+", path), path
            client.base = second  # the same signed session cookie, the other process
            deadline = time.monotonic() + 180
            status, html = client.get(path)
            while status == 200 and "Collecte en cours" in html and time.monotonic() < deadline:
                time.sleep(0.5)
                status, html = client.get(path)
            assert status == 200 and "Collecte terminée" in html and "réussie" in html, html[-800:]
            shown = re.search(r"Nouveaux documents</dt><dd>(\d+)", html)
            with first.store.session() as session:
                stored = session.scalar(
                    select(func.count()).select_from(Document).join(Source).where(Source.name == "echo-test")
                )
            assert shown and int(shown.group(1)) == stored > 0
