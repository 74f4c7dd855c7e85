"""What a reader of the brief and the report can trust: evidence from the period reported, the territory's
own name, French typography, a stale anomaly retired, each forecast's method named, the PDF tagged with its
language, an archived report rebuilt on demand, a message only written to the outbox not called sent."""

from __future__ import annotations

import re
from datetime import timedelta

import pypdf
import pytest
from sqlalchemy import select

from reports.brief import brief_context
from reports.quarterly import quarterly_context
from signals import pipeline
from signals.core.periods import parse_quarter, start_of_day_utc
from signals.core.schema import Brief
from signals.core.settings import Settings
from signals.core.sources import SourceError, SourcesFile, Territory, dump_sources
from tests.reportfixtures import ANOMALY, QUARTER, WEEK, published


@pytest.fixture(scope="module")
def done(tmp_path_factory):
    with published(tmp_path_factory, "reader") as home:
        yield home


def _no_forecast(indicator, steps):
    return None


def test_a_report_cites_only_documents_of_its_quarter(done):
    settings, store, _, _ = done
    with store.session() as session:
        for label in ("2025Q2", QUARTER):
            first, last = parse_quarter(label)
            context = quarterly_context(session, settings, label, "Val de Test", [], _no_forecast)
            for theme in context["themes"]:
                assert all(first <= d.published.date() <= last for d in theme.documents), label


def test_a_brief_cites_nothing_published_after_its_week(done):
    settings, store, _, _ = done
    until = start_of_day_utc(WEEK + timedelta(days=7), settings.tz)
    with store.session() as session:
        context = brief_context(session, settings, WEEK, "Val de Test", [])
    cards = context["new"] + context["rising"] + context["established"]
    assert cards
    assert all(d.published <= until for c in cards for d in c.documents)


def test_the_brief_reads_as_french(done):
    _, _, brief, _ = done
    html = brief.archive.read_text(encoding="utf-8")
    assert "(s)" not in html and "(x)" not in html and "(aux)" not in html
    assert "semaine du 28 juillet au 3 août 2025" in html  # the week by its dates, not 2025-W31
    body = re.sub(r"<[^>]+>", " ", html[html.index("<body") :])
    assert "2025-W31" not in body  # the ISO label only in the charts' Content-IDs
    months = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
    assert not re.search(rf"\b1 ({months})", body)  # the first of a month is the 1er
    assert "significativité" not in html and "quadrant" not in html  # figures in plain words
    assert "signals feedback" not in html  # one-click signed links, not shell commands
    assert re.search(r'href="http://127\.0\.0\.1:8765/feedback/\d+/confirm\?t=[0-9a-f]{32}"', html)


def test_the_report_names_the_quarter_and_the_first_of_the_month(done):
    _, _, _, report = done
    html = report.files[0].read_text(encoding="utf-8")
    assert "3e trimestre 2025" in html and "du 1er juillet 2025 au 30 septembre 2025" in html
    assert "commune(s)" not in html and "source(s)" not in html


def test_a_stale_anomaly_leaves_the_brief_and_a_recent_one_is_followed_up(done):
    settings, store, _, _ = done
    commune, month = ANOMALY
    with store.session() as session:
        now = brief_context(session, settings, WEEK, "Val de Test", [])["series"]
        later = brief_context(session, settings, WEEK + timedelta(weeks=9), "Val de Test", [])["series"]
    flagged = [c for c in now if commune in c.subject and c.metrics["period"].startswith(month.isoformat())]
    assert flagged, [c.subject for c in now]
    card = flagged[0]
    assert max(p for p, _ in card.points) > month  # the chart goes on past the flagged value
    # nine weeks later, August and September are known: the July anomaly is no longer news
    assert not [c for c in later if c.id == card.id]


def test_each_forecast_names_its_method_and_the_pdf_is_tagged_in_french(done):
    _, _, _, report = done
    html_path, pdf_path = report.files
    html = html_path.read_text(encoding="utf-8")
    assert "Prévision : médiane de " in html and "méthode Theta" in html  # the stored forecast's method
    reader = pypdf.PdfReader(pdf_path)
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "fr"
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "&#39;" not in text  # the running footer shows the territory's apostrophe as written


def test_report_force_rebuilds_an_archived_report(done):
    settings, store, _, _ = done
    with store.session(write=True) as session:
        row = session.scalar(select(Brief).where(Brief.kind == "quarterly", Brief.period == QUARTER))
        row.html = "<p>ancien</p>"
    pipeline.quarterly_report(store, settings, QUARTER)
    with store.session() as session:
        assert session.scalar(select(Brief.html).where(Brief.period == QUARTER)) == "<p>ancien</p>"
    pipeline.quarterly_report(store, settings, QUARTER, force=True)
    with store.session() as session:
        assert "Baromètre des communes" in session.scalar(select(Brief.html).where(Brief.period == QUARTER))


def test_a_message_only_written_to_the_outbox_is_not_called_sent(done):
    settings, store, brief, _ = done
    assert brief.deliveries.get("written to the outbox") == len(settings.recipients)
    assert "sent" not in brief.deliveries
    rows = pipeline.deliveries(store)
    assert rows and {r.outcome for r in rows} == {"written to the outbox"}


def test_commands_after_the_demo_find_its_sources_file(tmp_path):
    settings = Settings(home=tmp_path / "var")  # no sources file configured, none in the working folder
    with pytest.raises(SourceError, match=re.escape(str(settings.sources_file))):
        pipeline.read_territory(settings)  # a clear error naming the file, not a placeholder name
    name = "Communauté d'agglomération du Val de Lirette"
    dump_sources(SourcesFile(territory=Territory(name=name)), settings.demo_dir / "sources.yaml")
    assert pipeline.read_territory(settings)[0] == name
    broken = Settings(home=tmp_path / "var", sources_file=tmp_path / "mine.yaml")
    (tmp_path / "mine.yaml").write_text("territory: [\n", encoding="utf-8")
    with pytest.raises(SourceError, match="mine.yaml"):  # a configured file is never replaced by the demo's
        pipeline.read_territory(broken)


def test_sources_and_series_have_display_titles():
    from signals.core.sources import ConsultationSource, SeriesSource
    from signals.demo.site import sources_file

    demo = sources_file("http://127.0.0.1:9")
    titles = demo.titles()
    assert titles["echo-du-val"] == "L'Écho du Val"
    assert titles["tourisme.nuitees"] == "Nuitées touristiques"
    assert titles["participer.comments"].startswith("Commentaires")
    # every demo source and series is titled in the file itself, none falls back to a name made from its key
    for source in demo.sources:
        assert source.title, source.name
        if isinstance(source, SeriesSource):
            assert source.series_title, source.series
        if isinstance(source, ConsultationSource):
            assert set(source.series_titles) == {"proposals", "votes", "comments"}


def test_keys_without_a_title_read_as_words():
    from reports.wording import display_name
    from signals.core.schema import TOPIC_VOLUME_SERIES
    from signals.core.sources import SourcesFile

    untitled = SourcesFile.model_validate(
        {
            "sources": [
                {"name": "echo-du-val", "kind": "rss", "url": "https://echo.example/feed.xml"},
                {"name": "agora", "kind": "consultation", "url": "https://agora.example/api"},
                {
                    "name": "meteo",
                    "kind": "series",
                    "url": "https://meteo.example/pluie.csv",
                    "series": "meteo.pluie_mm",
                    "columns": {"period": "mois", "value": "mm"},
                },
            ]
        }
    ).titles()
    assert untitled["echo-du-val"] == "Echo du val"
    assert untitled["agora.votes"] == "Agora : votes"
    assert untitled["meteo.pluie_mm"] == "Meteo : pluie mm"
    assert display_name("tourisme.nuitees", untitled) == "Tourisme : nuitees"  # imported, not in the file
    assert display_name(TOPIC_VOLUME_SERIES, untitled) == "Documents par semaine du sujet"
