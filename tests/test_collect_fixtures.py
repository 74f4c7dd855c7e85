# ruff: noqa: F811 - pytest fixtures imported from tests.sitefixtures are used as arguments
"""Every spider kind against the fixture sites (tests/fixtures/sites) on a real HTTP server: what each
source stores, and what it rejects with which reason (tests/fixtures/cases_*.yaml).

One crawl per kind (a crawl is a subprocess): the cases of a kind run together.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from signals.core.schema import Document, Observation, Run, Sighting, Source
from signals.core.store import Store
from tests.sitefixtures import (  # noqa: F401 - pytest fixtures
    Site,
    collect,
    collect_home,
    crawl_settings,
    dead_url,
    http_site,
    load_cases,
    sources_from,
)


def crawl_cases(
    site: Site, home: Path, cases_file: str, **collect_knobs: Any
) -> tuple[list[dict], dict, Store]:
    cases = load_cases(cases_file)
    entries = [{**c["source"], "url": c["source"]["url"].replace("{dead}", dead_url())} for c in cases]
    settings = crawl_settings(home, **collect_knobs)
    outcomes = collect(settings, sources_from(entries, site.base_url))
    return cases, outcomes, Store.open(settings)


def check(case: dict, outcome: Any) -> list[str]:
    """Differences between what a case expects and what the crawl did (empty: as expected)."""
    name, counts = case["source"]["name"], outcome.counts
    problems = []
    if outcome.status != case["status"]:
        problems.append(f"{name}: status {outcome.status} ({outcome.error}), expected {case['status']}")
    for key, value in (case.get("counts") or {}).items():
        if counts.get(key) != value:
            problems.append(f"{name}: {key} = {counts.get(key)}, expected {value}")
    for key, value in (case.get("min_counts") or {}).items():
        if (counts.get(key) or 0) < value:
            problems.append(f"{name}: {key} = {counts.get(key)}, expected at least {value}")
    for key in case.get("absent") or []:
        if counts.get(key):
            problems.append(f"{name}: {key} = {counts.get(key)}, expected none")
    if (counts.get("rejected") or {}) != (case.get("rejected") or {}):
        problems.append(f"{name}: rejected {counts.get('rejected')}, expected {case.get('rejected')}")
    if case["status"] == "failed" and not outcome.error:
        problems.append(f"{name}: failed without a reason")
    return problems


def assert_cases(cases: list[dict], outcomes: dict) -> None:
    problems = [p for case in cases for p in check(case, outcomes[case["source"]["name"]])]
    assert not problems, "\n".join(problems)


def documents(store: Store, source: str) -> list[Document]:
    with store.session() as session:
        source_id = session.scalar(select(Source.id).where(Source.name == source))
        return list(
            session.scalars(select(Document).where(Document.source_id == source_id).order_by(Document.id))
        )


def test_rss_sources(http_site: Site, collect_home: Path) -> None:
    cases, outcomes, store = crawl_cases(http_site, collect_home, "cases_rss.yaml")
    assert_cases(cases, outcomes)

    valid = documents(store, "rss-valid")
    assert [d.url for d in valid] == [http_site.url(f"articles/a{n}.html") for n in (1, 2)] + [
        http_site.url("articles/story.html")
    ]
    assert all(d.published_at.isoformat() == "2025-03-11T09:00:00+00:00" for d in valid)
    assert valid[0].territory == "Fontclaire" and valid[0].language == "fr"
    assert "[courriel masqué]" in valid[1].text and "[téléphone masqué]" in valid[1].text
    assert "@" not in valid[1].text and "06 12" not in valid[1].text

    assert [d.title for d in documents(store, "atom-valid")] == ["Atom 1", "Atom 2"]
    assert documents(store, "atom-valid")[0].url == http_site.url("atom/1.html")
    odd = {d.external_id: d.published_at.isoformat() for d in documents(store, "rss-odd-dates")}
    assert odd["fixture-51"] == "2025-03-12T09:00:00+00:00"  # "12 mars 2025 10:00", Paris time
    assert odd["fixture-52"] == "2025-03-12T09:00:00+00:00"  # ISO without zone: Paris time
    assert odd["fixture-54"] == "2025-03-11T10:00:00+00:00"
    assert documents(store, "rss-latin1")[0].title == "Été à Lirac : la fête du village"
    assert documents(store, "rss-wrong-encoding")[0].title == "Fête déclarée UTF-8 mais écrite en cp1252"
    assert documents(store, "rss-entities")[0].title == "Café & thé : débat"
    script = documents(store, "rss-script")[0].text
    assert "alert" not in script and "color" not in script and "Deuxième paragraphe." in script
    assert len(documents(store, "rss-huge-item")[0].text) == 20_000
    assert documents(store, "rss-no-link")[0].url is None
    assert documents(store, "rss-bad-link")[0].url is None
    assert [d.territory for d in documents(store, "rss-communes")] == [
        "Montclar-le-Haut",
        "Saint-Aubin-des-Prés",
        None,
    ]
    assert documents(store, "rss-english")[0].language == "en"

    followed = {d.url.rsplit("/", 1)[-1]: d for d in documents(store, "rss-follow")}
    assert sorted(followed) == ["broken.html", "empty.html", "image.png", "latin1.html", "ok.html"]
    assert "auditorium de cent places" in followed["ok.html"].text  # the page's text, not the feed's lead
    assert "Accueil" not in followed["ok.html"].text and "Mentions légales" not in followed["ok.html"].text
    assert followed["empty.html"].text.endswith("médiathèque. 3")  # no text on the page: the lead stays
    assert "Les élus ont débattu" in followed["latin1.html"].text

    with store.session() as session:
        story = session.scalar(select(Document).where(Document.url == http_site.url("articles/story.html")))
        sightings = {
            s.source.name for s in session.scalars(select(Sighting).where(Sighting.document_id == story.id))
        }
        assert sightings == {"rss-valid", "rss-copy"}  # the edited wire copy is a sighting of the story
        runs = session.scalars(select(Run).where(Run.stage == "collect")).all()
        assert len(runs) == len(cases) and all(r.status in ("ok", "partial", "failed") for r in runs)
        failed = next(r for r in runs if r.target == "rss-garbage")
        assert any(e["code"] == "malformed_feed" for e in failed.errors)
        health = {
            s.name: (s.consecutive_failures, s.last_success_at) for s in session.scalars(select(Source))
        }
    assert (
        health["rss-garbage"][0] == 1 and health["rss-valid"][0] == 0 and health["rss-valid"][1] is not None
    )
    assert outcomes["rss-dead"].error.startswith("connexion impossible à ")
    assert all(" " in o.error and "\n" not in o.error for o in outcomes.values() if o.status == "failed")


def test_listing_sources(http_site: Site, collect_home: Path) -> None:
    cases, outcomes, store = crawl_cases(http_site, collect_home, "cases_listing.yaml")
    assert_cases(cases, outcomes)

    stored = {d.url.rsplit("/", 1)[-1]: d for d in documents(store, "deliberations")}
    assert sorted(stored) == sorted(
        ["2025-012.pdf", "2025-013.pdf", "sans-date.pdf", "restreint.pdf", "octet.pdf", "avis-urbanisme.html",
         "2025-014.pdf", "2025-015.pdf"]
    )  # fmt: skip
    first = stored["2025-012.pdf"]
    assert first.title == "Tarifs de la cantine scolaire"
    assert first.extra == {"document": "pdf", "number": "2025-012", "date": "2025-03-10"}
    assert first.published_at.isoformat() == "2025-03-09T23:00:00+00:00"  # 10/03/2025, Paris time
    assert first.territory == "Lirac-sur-Lirette"
    assert "Tarifs de la cantine scolaire" in first.text and "[courriel masqué]" in first.text
    assert stored["sans-date.pdf"].extra["date"] == "2025-03-04"  # from the PDF, the listing said "bientôt"
    assert stored["restreint.pdf"].extra["number"] == "2025-019"  # opened: no user password
    assert stored["avis-urbanisme.html"].extra["document"] == "html"
    assert "commissaire enquêteur" in stored["avis-urbanisme.html"].text
    assert documents(store, "listing-latin1")[0].title == "Subvention à l'équipe de football féminine"
    with store.session() as session:
        run = session.scalar(select(Run).where(Run.target == "deliberations"))
        reasons = {e["code"]: e["reason"] for e in run.errors}
    assert "PDF chiffré par un mot de passe" in reasons["pdf_encrypted"] and "protege.pdf" in run.errors[1][
        "item"
    ] + str(run.errors)
    assert "ne trouve rien sur" in outcomes["listing-empty"].error


def test_consultation_sources(http_site: Site, collect_home: Path) -> None:
    cases, outcomes, store = crawl_cases(http_site, collect_home, "cases_consultation.yaml")
    assert_cases(cases, outcomes)

    proposals = {d.external_id: d for d in documents(store, "participer")}
    assert sorted(proposals) == ["1", "2", "3", "7"]
    assert proposals["1"].extra == {"kind": "proposal", "authors": 1, "votes": 12, "comments": 3}
    assert proposals["2"].extra["authors"] == 2 and proposals["2"].extra["votes"] == 8
    assert proposals["3"].extra["votes"] is None
    assert (
        proposals["1"].text == "Installer des bancs à l'ombre." and proposals["1"].territory == "Fontclaire"
    )
    assert "[courriel masqué]" in proposals["2"].text and "[téléphone masqué]" in proposals["2"].text
    with store.session() as session:
        everything = " ".join(
            str(row) for row in session.execute(select(Document.title, Document.text, Document.extra))
        )
        observations = {
            (o.series, o.period.isoformat()): o.value for o in session.scalars(select(Observation))
        }
    for name in ("Jeanne", "Martin", "Petit", "Roux", "Henri"):  # authors are counted, never stored
        assert name not in everything
    assert observations[("participer.proposals/fontclaire", "2025-03-01")] == 2
    assert observations[("participer.votes/fontclaire", "2025-03-01")] == 12
    assert observations[("participer.comments/lirac-sur-lirette", "2025-03-01")] == 0
    assert observations[("participer.votes/montclar-le-haut", "2025-04-01")] == 5


def test_series_sources(http_site: Site, collect_home: Path) -> None:
    cases, outcomes, store = crawl_cases(http_site, collect_home, "cases_series.yaml")
    assert_cases(cases, outcomes)

    with store.session() as session:
        rows = {
            (o.series, o.period.isoformat()): (o.value, o.unit, o.territory)
            for o in session.scalars(select(Observation))
        }
        total = session.scalar(select(func.count()).select_from(Observation))
    assert rows[("t.cp1252/lirac-sur-lirette", "2025-01-01")] == (1234.5, None, "Lirac-sur-Lirette")
    assert rows[("t.cp1252/saint-aubin-des-pres", "2025-01-01")][2] == "Saint-Aubin-des-Prés"
    assert rows[("t.bom/fontclaire", "2025-02-01")][0] == 13.25
    assert rows[("t.tab/fontclaire", "2025-03-01")][0] == 7.5
    assert rows[("t.quoted/fontclaire", "2025-01-01")][0] == 1234.5
    assert rows[("t.undeclared/les-essarts-rouges", "2025-01-01")][2] == "Les Essarts-Rouges"
    assert [p for s, p in rows if s == "t.periods/fontclaire"] == [
        "2025-01-01",
        "2025-03-01",
        "2025-04-01",
        "2024-01-01",
    ]
    assert rows[("t.dup/fontclaire", "2025-01-01")][0] == 2.0  # a repeated period updates, never duplicates
    assert rows[("t.json/fontclaire", "2025-02-01")][0] == 11.5
    assert total == sum(1 for _ in rows)


def test_collect_tells_how_many_sources_are_done(
    http_site: Site, collect_home: Path, monkeypatch: Any
) -> None:
    """`signals collect` draws a bar from these reports: sources done out of all, from 0 to all."""
    import collectors.run
    from signals import pipeline
    from signals.core.sources import SourcesFile, dump_sources
    from signals.pipeline.collect import COLLECTING

    monkeypatch.setattr(collectors.run, "POLL_S", 0.01)  # hear the crawl's run records while it runs
    entries = [c["source"] for c in load_cases("cases_series.yaml")[:3]]
    sources_file = collect_home / "sources.yaml"
    dump_sources(SourcesFile(sources=sources_from(entries, http_site.base_url)), sources_file)
    settings = crawl_settings(collect_home).model_copy(update={"sources_file": sources_file})
    steps: list[tuple[str, int, int]] = []
    with Store.open(settings) as store:
        outcomes = pipeline.collect(store, settings, progress=lambda *s: steps.append(s))

    assert {o.status for o in outcomes} == {"ok"}
    collecting = [(done, total) for step, done, total in steps if step == COLLECTING]
    assert collecting[0] == (0, 3) and collecting[-1] == (3, 3)
    assert all(total == 3 for _, total in collecting)
    assert [d for d, _ in collecting] == sorted(d for d, _ in collecting)  # never backwards
    assert len(collecting) > 2  # the crawl process was heard while it ran
