# ruff: noqa: F811 - pytest fixtures imported from tests.sitefixtures are used as arguments
"""The demo territory's sources (signals.demo) are all collected by the generic spiders, as defined by
``signals.demo.site.sources_file``: three press feeds, two deliberation listings and two SCDL files, a
Decidim platform, a tourism dataset on an OpenDataSoft portal and a tourism CSV file. Documents sources are
capped at a few dozen items to keep the test short.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from signals.core.schema import Document, Observation, Source
from signals.core.store import Store
from signals.demo import site as demo_site
from signals.demo.generate import generate
from signals.demo.server import serve
from signals.demo.territory import COMMUNES, MONTHS
from tests.sitefixtures import collect, collect_home, crawl_settings  # noqa: F401 - pytest fixture

CAP = 12
SERIES_KINDS = ("series", "opendatasoft")


def test_every_demo_source_is_collected(tmp_path: Path, collect_home: Path) -> None:
    corpus = generate()
    demo_site.write_site(corpus, tmp_path / "demo")
    settings = crawl_settings(collect_home, timeout_s=20)
    with serve(tmp_path / "demo") as base:
        definitions = demo_site.sources_file(base)
        sources = [
            s if s.kind in SERIES_KINDS else s.model_copy(update={"item_cap": CAP})
            for s in definitions.sources
        ]
        outcomes = collect(settings, sources, territory=definitions.territory)

    assert {o.status for o in outcomes.values()} == {"ok"}, {n: o.error for n, o in outcomes.items()}
    kinds = {s.name: s.kind for s in sources}
    for name, outcome in outcomes.items():
        expected = len(COMMUNES) * MONTHS if kinds[name] in SERIES_KINDS else CAP  # communes x months
        assert outcome.counts["items"] == expected, (name, outcome.counts)
    assert outcomes["echo-du-val"].counts["articles_read"] >= CAP - 1  # the feed has leads; pages the text

    store = Store.open(settings)
    with store.session() as session:

        def docs(name: str) -> list[Document]:
            source_id = session.scalar(select(Source.id).where(Source.name == name))
            return list(session.scalars(select(Document).where(Document.source_id == source_id)))

        deliberations = docs("deliberations-lirac-sur-lirette")
        assert all(d.extra["number"] and d.extra["date"] for d in deliberations)
        assert {d.territory for d in deliberations} == {"Lirac-sur-Lirette"}
        assert all(d.text.startswith("CONSEIL MUNICIPAL DE LIRAC-SUR-LIRETTE") for d in deliberations)
        communes = set(definitions.territory.communes)
        press = docs("gazette-de-lirac") + docs("radio-lirette")
        assert all(d.territory in communes and d.language == "fr" for d in press)
        proposals = docs("participer")
        assert all(
            set(d.extra) == {"kind", "authors", "votes", "comments", "state", "scope"} for d in proposals
        )
        assert all(d.url and d.territory == d.extra["scope"] for d in proposals)
        assert {s.kind for s in sources} >= {"decidim", "opendatasoft", "scdl_deliberations", "listing"}
        authors = {d.extra["author"] for d in corpus.documents if d.kind == "proposal"}
        stored_text = " ".join(d.title + " " + d.text for d in proposals)
        assert not any(name in stored_text for name in authors)
        anomaly = corpus.ground_truth["anomalies"][0]
        value = session.scalar(
            select(Observation.value).where(
                Observation.series == anomaly["series"],
                Observation.period == date.fromisoformat(anomaly["period"]),
            )
        )
        expected = next(
            o.value
            for o in corpus.observations
            if o.indicator == "tourisme.nuitees" and o.commune == anomaly["commune"]
            and o.month == date.fromisoformat(anomaly["period"])
        )  # fmt: skip
    assert value == expected  # the series key the ground truth names, with the CSV's value
