# ruff: noqa: F811 - pytest fixtures imported from tests.sitefixtures are used as arguments
"""The ``decidim`` kind against a Decidim-shaped GraphQL endpoint on a real HTTP server: proposals of a
participatory process paged with Relay cursors, then the platform's failures (rate limit, 5xx, an HTML
page, a schema without a field) and hostile answers (wrong types, missing ids, oversized pages, a cursor
that comes back, a cursor that never ends): each rejected with a reason and counted, the run going on.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from sqlalchemy import select

from signals.core.schema import Document, Observation, Source
from signals.core.store import Store
from signals.demo.platforms import DECIDIM_PROPOSAL_FIELDS, DecidimApi, DecidimSpace, cursor
from tests.platformfixtures import Misbehaving, serve_platforms
from tests.sitefixtures import collect, collect_home, crawl_settings, sources_from  # noqa: F401


def translated(text: str | None, locale: str = "fr") -> dict[str, Any]:
    return {"translation": text, "translations": [{"locale": locale, "text": text}] if text else []}


def proposal(ident: int, commune: str, day: str, votes: int | None, comments: int, **more: Any) -> dict:
    node = {
        "id": str(ident),
        "title": translated(f"Proposition {ident} pour {commune}"),
        "body": translated(f"<p>Texte de la proposition {ident} : des bancs et de l'ombre à {commune}.</p>"),
        "publishedAt": f"{day}T10:30:00+01:00",
        "state": "evaluating",
        "voteCount": votes,
        "totalCommentsCount": comments,
        "authorsCount": 1,
        "category": {"name": translated("Cadre de vie")},
        "scope": {"name": translated(commune)},
    }
    return node | more


def process() -> DecidimSpace:
    first = [
        proposal(1, "Fontclaire", "2025-03-03", 12, 3),
        proposal(2, "Fontclaire", "2025-03-20", 8, 1),
        proposal(3, "Lirac-sur-Lirette", "2025-03-21", None, 0),  # votes hidden by the component
        proposal(4, "Montclar-le-Haut", "2025-04-02", 5, 2, state="accepted"),
        proposal(
            5,
            "Fontclaire",
            "2025-04-10",
            1,
            0,
            title={"translation": None, "translations": [{"locale": "ca", "text": "Proposta en català"}]},
            body=translated("Écrire à jeanne.martin@example.org ou au 06 12 34 56 78."),
        ),
    ]
    return DecidimSpace(
        slug="budget-participatif-2025",
        components={"12": first, "13": [proposal(6, "Fontclaire", "2025-04-11", 4, 4)]},
    )


def hostile_page(call: int, body: bytes) -> tuple[int, Any]:
    """Wrong types, a missing id, a node that is a string, then 500 proposals on a page asked for 2."""
    good = proposal(50, "Fontclaire", "2025-05-02", 3, 1)
    edges = [
        {"node": good},
        {"node": proposal(51, "Fontclaire", "2025-05-03", 2, 0, voteCount="beaucoup")},
        {"node": {k: v for k, v in good.items() if k != "id"}},
        {"node": "proposal 53"},
        {"node": proposal(54, "Fontclaire", "2025-05-04", 2, 0, publishedAt="hier")},
    ] + [{"node": proposal(100 + i, "Fontclaire", "2025-05-05", 0, 0)} for i in range(495)]
    payload = {"data": {"space": {"slug": "x", "components": [{"id": "1", "proposals": {
        "pageInfo": {"hasNextPage": False, "endCursor": None}, "edges": edges}}]}}}  # fmt: skip
    return 200, payload


def page_with_cursor(next_cursor: Any) -> Any:
    def respond(call: int, body: bytes) -> tuple[int, Any]:
        node = proposal(200 + call, "Fontclaire", "2025-06-01", 1, 0)
        connection = {
            "pageInfo": {"hasNextPage": True, "endCursor": next_cursor(call)},
            "edges": [{"node": node}],
        }
        return 200, {"data": {"space": {"slug": "x", "components": [{"id": "1", "proposals": connection}]}}}

    return respond


def documents(store: Store, source: str) -> list[Document]:
    with store.session() as session:
        source_id = session.scalar(select(Source.id).where(Source.name == source))
        return list(session.scalars(select(Document).where(Document.source_id == source_id)))


def test_decidim_sources(tmp_path: Path, collect_home: Path) -> None:
    api = DecidimApi({("participatoryProcess", "7"): process()})
    apis = {
        "participer": api,
        "changed": DecidimApi(api.spaces, fields=DECIDIM_PROPOSAL_FIELDS - {"voteCount"}),
        "html": Misbehaving(lambda call, body: (200, b"<html><body>Maintenance</body></html>")),
        "hostile": Misbehaving(hostile_page),
        "loop": Misbehaving(page_with_cursor(lambda call: "MQ==")),
        "endless": Misbehaving(page_with_cursor(lambda call: cursor(call))),
    }
    entries = [
        {"name": "participer", "url": "{base}/participer/api", "space_id": "7", "page_size": 2},
        {"name": "limited", "url": "{base}/_limit/1/participer/api", "space_id": "7", "page_size": 50},
        {"name": "assembly", "url": "{base}/participer/api", "space_id": "7", "space": "assembly"},
        {"name": "only-13", "url": "{base}/participer/api", "space_id": "7", "component_id": "13"},
        {"name": "broken", "url": "{base}/_status/502/api", "space_id": "7"},
        {"name": "changed", "url": "{base}/changed/api", "space_id": "7"},
        {"name": "html", "url": "{base}/html/api", "space_id": "7"},
        {"name": "hostile", "url": "{base}/hostile/api", "space_id": "7", "page_size": 3},
        {"name": "loop", "url": "{base}/loop/api", "space_id": "7"},
        {"name": "endless", "url": "{base}/endless/api", "space_id": "7", "max_pages": 4},
        {"name": "huge", "url": "{base}/_huge/3000000/api", "space_id": "7"},
    ]
    settings = crawl_settings(collect_home, retries=1, max_page_bytes=2_000_000)
    with serve_platforms(tmp_path, apis) as site:
        sources = sources_from([{"kind": "decidim", **e} for e in entries], site.base_url)
        outcomes = collect(settings, sources)
        store = Store.open(settings)

        participer = outcomes["participer"]
        assert participer.status == "ok", participer.error
        assert participer.counts["new"] == 6 and "rejected" not in participer.counts
        assert participer.counts["pages"] == 3  # component 12 in 3 pages of 2 (13 rode along on page 1)
        assert outcomes["limited"].status == "ok" and outcomes["limited"].counts["items"] == 6
        assert len(site.log.paths("/_limit/")) == 2  # 429 (Retry-After) then the answer
        assert outcomes["only-13"].counts["items"] == 1 and outcomes["only-13"].counts["pages"] == 1
        assert (
            outcomes["assembly"].status == "failed"
            and "aucune assemblée d'identifiant '7'" in outcomes["assembly"].error
        )
        assert outcomes["broken"].status == "failed" and "HTTP 502" in outcomes["broken"].error
        changed = outcomes["changed"]
        assert changed.status == "failed" and "'voteCount'" in changed.error, changed.error
        assert changed.counts["rejected"] == {"schema_changed": 1}
        assert outcomes["html"].status == "failed" and "est un document HTML" in outcomes["html"].error

        hostile = outcomes["hostile"]
        assert hostile.status == "partial" and hostile.error is None
        assert hostile.counts["rejected"] == {"malformed_record": 4, "page_oversized": 1}
        assert hostile.counts["items"] == 2  # of the 6 edges kept (3 asked), the good one and one filler
        loop, endless = outcomes["loop"], outcomes["endless"]
        assert loop.counts["rejected"] == {"cursor_loop": 1} and loop.counts["items"] == 2
        assert endless.counts["rejected"] == {"max_pages": 1} and endless.counts["items"] == 4
        assert {loop.status, endless.status} == {"partial"}
        huge = outcomes["huge"]  # over max_page_bytes: the download is cut, nothing is parsed
        assert huge.status == "failed" and huge.counts["rejected"] == {"too_large": 1}

        by_id = {d.external_id: d for d in documents(store, "participer")}
        assert sorted(by_id) == ["12/1", "12/2", "12/3", "12/4", "12/5", "13/6"]
        first = by_id["12/1"]
        assert first.url == f"{site.base_url}/processes/budget-participatif-2025/f/12/proposals/1"
        assert first.territory == "Fontclaire" and first.text.startswith("Texte de la proposition 1")
        assert first.extra == {
            "kind": "proposal", "authors": 1, "votes": 12, "comments": 3, "state": "evaluating",
            "category": "Cadre de vie", "scope": "Fontclaire",
        }  # fmt: skip
        assert by_id["12/3"].extra["votes"] is None and by_id["12/4"].extra["state"] == "accepted"
        assert by_id["12/5"].title == "Proposta en català"  # no French translation: the first one
        assert "[courriel masqué]" in by_id["12/5"].text and "jeanne" not in by_id["12/5"].text
        with store.session() as session:
            values = {
                (o.series, o.period.isoformat()): o.value
                for o in session.scalars(select(Observation).where(Observation.series.like("participer.%")))
            }
        assert values[("participer.proposals/fontclaire", "2025-03-01")] == 2
        assert values[("participer.votes/fontclaire", "2025-03-01")] == 20
        assert values[("participer.comments/fontclaire", "2025-04-01")] == 4
        # a month without a commune's proposal is a count of 0, not a gap: the series stay regular
        assert values[("participer.proposals/montclar-le-haut", "2025-03-01")] == 0
        assert values[("participer.votes/lirac-sur-lirette", "2025-04-01")] == 0
        months = sorted(p for series, p in values if series == "participer.proposals/fontclaire")
        assert months[0] == "2025-03-01" and len(months) == len(set(months))
        assert all((date_of(b) - date_of(a)).days in (28, 29, 30, 31) for a, b in itertools.pairwise(months))

        api.spaces[("participatoryProcess", "7")].components["12"][0]["voteCount"] = 30  # votes go on
        again = collect(settings, [s for s in sources if s.name == "participer"])["participer"]
        assert again.counts["updated"] == 1 and again.counts["seen"] == 5 and "new" not in again.counts
        with store.session() as session:
            votes = session.scalar(
                select(Observation.value).where(
                    Observation.series == "participer.votes/fontclaire",
                    Observation.period.in_([date_of("2025-03-01")]),
                )
            )
        assert votes == 38
        store.close()


def date_of(text: str) -> Any:
    from datetime import date

    return date.fromisoformat(text)
