# ruff: noqa: F811 - pytest fixtures imported from tests.sitefixtures are used as arguments
"""The ``opendatasoft`` kind against an Explore API v2.1 portal on a real HTTP server: records paged with
limit/offset into observations or documents, the JSON export, incremental runs by a date field; then the
portal's failures (rate limit, 5xx, its 400 errors, a dataset whose field was renamed) and hostile answers
(wrong types, an oversized page, a total that never ends, a wrong encoding), rejected with a reason.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

from sqlalchemy import select

from signals.core.schema import Document, Observation, Source
from signals.core.store import Store
from signals.demo.platforms import OdsPortal
from tests.platformfixtures import Misbehaving, serve_platforms
from tests.sitefixtures import collect, collect_home, crawl_settings, sources_from  # noqa: F401

COMMUNES = ("Fontclaire", "Lirac-sur-Lirette", "Montclar-le-Haut")


def nights(months: int) -> list[dict[str, Any]]:
    """Monthly tourist nights per commune, as a portal types them: a date field, a text, a number."""
    rows = []
    for m in range(months):
        for n, commune in enumerate(COMMUNES):
            month = date(2023 + m // 12, m % 12 + 1, 1)
            rows.append({"mois": month.isoformat(), "commune": commune, "nuitees": 1000.0 + 10 * m + n})
    return rows


def agenda() -> list[dict[str, Any]]:
    return [
        {
            "recordid": f"r{i}",
            "titre": f"Réunion publique n° {i} sur la rénovation de l'école",
            "description": f"<p>La commune présente l'étape {i} du projet de rénovation de l'école.</p>",
            "date_evenement": f"2025-0{i}-15T18:00:00+01:00",
            "lieu": "Fontclaire",
            "lien": f"https://agenda.example/evenements/{i}",
        }
        for i in range(1, 4)
    ]


def endless_page(call: int, path: str, query: str) -> tuple[int, Any]:
    offset = int(parse_qs(query)["offset"][0])
    rows = [{"mois": "2025-01-01", "commune": "Fontclaire", "nuitees": offset + i} for i in range(100)]
    return 200, {"total_count": 10**9, "results": rows}


def hostile_page(call: int, path: str, query: str) -> tuple[int, Any]:
    rows: list[Any] = [
        {"mois": "2025-01-01", "commune": "Fontclaire", "nuitees": 5},
        "not a record",
        {"mois": "hier", "commune": "Fontclaire", "nuitees": 5},
        {"mois": "2025-02-01", "commune": "Fontclaire", "nuitees": "beaucoup"},
        {"mois": "2025-03-01", "commune": "Fontclaire", "nuitees": None},
    ] + [{"mois": "2025-04-01", "commune": "Fontclaire", "nuitees": 1}] * 400
    return 200, {"total_count": 5, "results": rows}  # says 5, sends 405


def test_opendatasoft_sources(tmp_path: Path, collect_home: Path) -> None:
    portal = OdsPortal({"nuitees": nights(20), "agenda": agenda(), "renamed": [
        {k.replace("nuitees", "nuitees_total"): v for k, v in r.items()} for r in nights(2)]})  # fmt: skip
    apis = {
        "data": portal,
        "down": Misbehaving(lambda call, path, query: (503, {"error_code": "Unavailable"})),
        "endless": Misbehaving(endless_page),
        "hostile": Misbehaving(hostile_page),
        "latin": Misbehaving(
            lambda call, path, query: (200, "{'total_count': 1, 'résultats': []}".encode("cp1252"))
        ),
        "nototal": Misbehaving(lambda call, path, query: (200, {"total_count": "beaucoup", "results": []})),
    }
    nights_fields = {"period": "mois", "value": "nuitees", "territory": "commune"}
    observations = {
        "kind": "opendatasoft",
        "series": "tourisme.nuitees",
        "unit": "nuitées",
        "fields": nights_fields,
    }
    entries = [
        observations | {"name": "nuitees", "url": "{base}/data", "dataset": "nuitees", "date_field": "mois"},
        observations | {"name": "export", "url": "{base}/data", "dataset": "nuitees", "export": True, "series": "t.export"},
        observations | {"name": "limited", "url": "{base}/_limit/1/data", "dataset": "renamed", "series": "t.x"},
        observations | {"name": "unknown", "url": "{base}/data", "dataset": "absent", "series": "t.y"},
        observations | {"name": "bad-order", "url": "{base}/data", "dataset": "nuitees", "date_field": "maj", "series": "t.z"},
        observations | {"name": "down", "url": "{base}/down", "dataset": "nuitees", "series": "t.d"},
        observations | {"name": "endless", "url": "{base}/endless", "dataset": "x", "series": "t.e", "max_pages": 3},
        observations | {"name": "hostile", "url": "{base}/hostile", "dataset": "x", "series": "t.h"},
        observations | {"name": "latin", "url": "{base}/latin", "dataset": "x", "series": "t.l"},
        observations | {"name": "nototal", "url": "{base}/nototal", "dataset": "x", "series": "t.n"},
        observations | {"name": "huge", "url": "{base}/_huge/3000000", "dataset": "x", "series": "t.hu"},
        {"kind": "opendatasoft", "name": "agenda", "url": "{base}/data", "dataset": "agenda", "mode": "documents",
         "date_field": "date_evenement", "fields": {"id": "recordid", "title": "titre", "text": "description",
                                                   "date": "date_evenement", "url": "lien", "territory": "lieu"}},
    ]  # fmt: skip
    settings = crawl_settings(collect_home, retries=1)
    with serve_platforms(tmp_path, apis) as site:
        sources = sources_from(entries, site.base_url)
        outcomes = collect(settings, sources)
        store = Store.open(settings)
        status = {name: (o.status, o.error) for name, o in outcomes.items()}

        assert status["nuitees"] == ("ok", None) and outcomes["nuitees"].counts["observations_new"] == 60
        assert outcomes["nuitees"].counts["pages"] == 1  # 60 records, 100 a page
        first = site.log.paths("/data/api/explore/v2.1/catalog/datasets/nuitees/records")[0]
        assert "order_by=mois" in first and "limit=100" in first and "where" not in first
        assert outcomes["export"].counts["observations_new"] == 60
        assert site.log.paths("/data/api/explore/v2.1/catalog/datasets/nuitees/exports/json")
        assert status["limited"][0] == "failed"  # answered after the 429, but the field was renamed
        assert "n'a plus de champ 'nuitees'" in status["limited"][1]
        assert outcomes["limited"].counts["rejected"] == {"schema_changed": 1}
        assert status["unknown"][0] == "failed" and "Unknown dataset: absent" in status["unknown"][1]
        assert status["bad-order"][0] == "failed" and "Unknown field: maj" in status["bad-order"][1]
        assert outcomes["bad-order"].counts["rejected"] == {"schema_changed": 1}
        assert status["down"][0] == "failed" and "HTTP 503" in status["down"][1]
        assert outcomes["endless"].counts["rejected"] == {"max_pages": 1}
        assert outcomes["endless"].counts["items"] == 300
        hostile = outcomes["hostile"]
        assert hostile.counts["rejected"] == {
            "page_oversized": 1, "malformed_record": 1, "bad_period": 1, "bad_value": 1, "missing_value": 1,
        }  # fmt: skip
        assert status["latin"][0] == "failed" and "JSON mal formé" in status["latin"][1]
        assert (
            status["nototal"][0] == "failed" and "'total_count' n'est pas un nombre" in status["nototal"][1]
        )
        assert status["huge"][0] == "failed" and outcomes["huge"].counts["rejected"] == {"too_large": 1}

        with store.session() as session:
            values = {
                (o.series, o.period.isoformat()): (o.value, o.unit, o.territory)
                for o in session.scalars(select(Observation))
            }
            source_id = session.scalar(select(Source.id).where(Source.name == "agenda"))
            events = list(session.scalars(select(Document).where(Document.source_id == source_id)))
        assert values[("tourisme.nuitees/fontclaire", "2023-01-01")] == (1000.0, "nuitées", "Fontclaire")
        assert values[("tourisme.nuitees/montclar-le-haut", "2024-08-01")][0] == 1192.0
        assert sorted(e.external_id for e in events) == ["r1", "r2", "r3"]
        event = next(e for e in events if e.external_id == "r2")
        assert event.url == "https://agenda.example/evenements/2" and event.territory == "Fontclaire"
        assert event.published_at.date() == date(2025, 2, 15) and event.text.startswith("La commune présente")

        # a month revised and two new ones: the next run asks from the newest stored month on
        portal.datasets["nuitees"][-1]["nuitees"] = 5.0
        portal.datasets["nuitees"].extend(r | {"mois": "2024-10-01"} for r in nights(1))
        again = collect(settings, [s for s in sources if s.name == "nuitees"])["nuitees"]
        asked = unquote(site.log.paths("/data/api/explore/v2.1/catalog/datasets/nuitees/records")[-1])
        assert "where=mois >= date'2024-08-01'".replace(" ", "+") in asked, asked
        assert again.counts["observations_new"] == 3 and again.counts["observations_updated"] == 1
        assert again.counts["observations_unchanged"] == 2
        store.close()
