# ruff: noqa: F811 - pytest fixtures imported from tests.sitefixtures are used as arguments
"""The ``udata`` kind against a udata API (data.gouv.fr) on a real HTTP server: a dataset's newest CSV or
JSON resource read as a table, skipped while its checksum and last-modified date do not change; then an
unknown dataset, a dataset without a table resource, resources missing documented fields, a rate limit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from signals.core.schema import Observation
from signals.core.store import Store
from signals.demo.platforms import UdataPortal
from tests.platformfixtures import serve_platforms
from tests.sitefixtures import collect, collect_home, crawl_settings, sources_from  # noqa: F401


def resource(ident: str, fmt: str, url: str, modified: str, checksum: str, **more: Any) -> dict[str, Any]:
    return {
        "id": ident, "title": f"Nuitées {fmt}", "type": "main", "filetype": "file", "format": fmt,
        "url": url, "checksum": {"type": "sha1", "value": checksum}, "filesize": 120,
        "mime": "text/csv", "created_at": "2024-01-02T10:00:00+00:00", "last_modified": modified,
    } | more  # fmt: skip


def test_udata_sources(tmp_path: Path, collect_home: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "2024.csv").write_text(
        "Commune;Mois;Nuitées\nFontclaire;2024-01;10,5\n", encoding="utf-8"
    )
    (tmp_path / "files" / "2025.csv").write_bytes(
        "Commune;Mois;Nuitées\nFontclaire;2025-01;12,5\nFontclaire;2025-02;13\nFontclaire;février;1\n".encode(
            "cp1252"
        )
    )
    (tmp_path / "files" / "2025.json").write_text(
        '{"data": [{"Commune": "Fontclaire", "Mois": "2025-03", "Nuitées": 9}]}'
    )
    portal = UdataPortal(
        {
            "nuitees": {"id": "d1", "title": "Nuitées", "resources": [
                resource("r-old", "csv", "/files/2024.csv", "2024-02-01T08:00:00+00:00", "aaa"),
                resource("r-new", "csv", "/files/2025.csv", "2025-03-01T08:00:00+00:00", "bbb"),
                resource("r-doc", "csv", "/files/absent.csv", "2026-01-01T08:00:00+00:00", "ccc", type="documentation"),
                resource("r-pdf", "pdf", "/files/notice.pdf", "2026-01-01T08:00:00+00:00", "ddd"),
            ]},
            "json-only": {"resources": [resource("r-json", "json", "/files/2025.json", "2025-04-01T00:00:00Z", "eee")]},
            "pdf-only": {"resources": [resource("r-pdf", "pdf", "/files/notice.pdf", "2025-04-01T00:00:00Z", "f")]},
            "changed": {"resources": [{"id": "x", "format": "csv", "last_modified": "2025-01-01T00:00:00Z"}]},
            "not-a-list": {"resources": {"id": "x"}},
        }
    )  # fmt: skip
    table = {"kind": "udata", "columns": {"period": "Mois", "value": "Nuitées", "territory": "Commune"}}
    entries = [
        table | {"name": "nuitees", "url": "{base}/_limit/1/data", "dataset": "nuitees", "series": "t.n"},
        table | {"name": "json-only", "url": "{base}/data", "dataset": "json-only", "series": "t.j",
                 "records_path": "data"},
        table | {"name": "pdf-only", "url": "{base}/data", "dataset": "pdf-only", "series": "t.p"},
        table | {"name": "changed", "url": "{base}/data", "dataset": "changed", "series": "t.c"},
        table | {"name": "not-a-list", "url": "{base}/data", "dataset": "not-a-list", "series": "t.l"},
        table | {"name": "unknown", "url": "{base}/data", "dataset": "absent", "series": "t.u"},
    ]  # fmt: skip
    settings = crawl_settings(collect_home, retries=1)
    with serve_platforms(tmp_path, {"data": portal}) as site:
        sources = sources_from(entries, site.base_url)
        outcomes = collect(settings, sources)
        status = {name: (o.status, o.error) for name, o in outcomes.items()}

        nuitees = outcomes["nuitees"]
        assert nuitees.status == "partial" and nuitees.counts["observations_new"] == 2
        assert nuitees.counts["rejected"] == {"bad_period": 1} and nuitees.counts["resources_read"] == 1
        assert site.log.paths("/files/2025.csv") and not site.log.paths("/files/2024.csv")
        assert outcomes["json-only"].counts["observations_new"] == 1
        assert (
            status["pdf-only"][0] == "failed"
            and "aucune ressource CSV ou JSON (formats : pdf)" in status["pdf-only"][1]
        )
        changed = outcomes["changed"]
        assert changed.status == "failed" and changed.counts["rejected"]["schema_changed"] == 1
        assert "no_resource" in changed.counts["rejected"]
        assert (
            status["not-a-list"][0] == "failed"
            and "le champ 'resources' n'est pas une liste" in status["not-a-list"][1]
        )
        assert status["unknown"][0] == "failed" and "le portail répond : Not Found" in status["unknown"][1]

        store = Store.open(settings)
        with store.session() as session:
            values = {(o.series, o.period.isoformat()): o.value for o in session.scalars(select(Observation))}
        assert (
            values[("t.n/fontclaire", "2025-01-01")] == 12.5
            and values[("t.n/fontclaire", "2025-02-01")] == 13
        )
        assert values[("t.j/fontclaire", "2025-03-01")] == 9

        json_only = [s for s in sources if s.name == "json-only"]
        assert collect(settings, json_only)["json-only"].counts["unchanged"] == 1  # same checksum, same date
        assert len(site.log.paths("/files/2025.json")) == 1
        portal.datasets["json-only"]["resources"][0] |= {"checksum": {"type": "sha1", "value": "fff"}}
        again = collect(settings, json_only)["json-only"]
        assert again.counts["resources_read"] == 1 and again.counts["observations_unchanged"] == 1
        with store.session() as session:
            assert session.scalar(select(func.count()).select_from(Observation)) == 3
        store.close()
