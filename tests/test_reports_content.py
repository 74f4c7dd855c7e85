"""What the brief and the quarterly report say, from a real analysed store: extractive summaries quoted from
the cited documents, charts, series anomalies, forecasts with bands, the barometer, the PDF's sections and
charts, the archive."""

from __future__ import annotations

import email
import json
import re
from datetime import date
from email import policy

import pypdf
import pytest
from sqlalchemy import select

from reports.archive import archive_entries
from reports.forecasts import ForecastBand
from reports.format import quarter_name
from reports.indicators import indicator_histories
from reports.quarterly import quarterly_context, render_quarterly
from signals import pipeline
from signals.core.schema import Brief, Document, Evidence
from signals.stages.series import quarter_forecasts
from tests.conftest import home_environment
from tests.reportfixtures import ANOMALY, HOSTILE_TITLE, QUARTER, WEEK, published


@pytest.fixture(scope="module")
def done(tmp_path_factory):
    with published(tmp_path_factory, "content") as home:
        yield home


def test_each_quoted_sentence_is_a_sentence_of_the_document_it_cites(done):
    settings, store, brief, _ = done
    html = brief.archive.read_text(encoding="utf-8")
    with store.session() as session:
        texts = [d.text for d in session.scalars(select(Document).join(Evidence).order_by(Evidence.rank))]
    # French quotation marks hold their text with no-break spaces, the document's number too
    nbsp = "(?:\u00a0|&nbsp;)"
    quotes = re.findall(rf"«{nbsp}(.+?){nbsp}»{nbsp}<span class=\"muted\"[^>]*>\[(\d)\]", html)
    assert quotes
    unescaped = [
        q.replace("&lt;", "<").replace("&gt;", ">").replace("&#34;", '"').replace("&#39;", "'")
        for q, _ in quotes
    ]
    assert all(any(q in text for text in texts) for q in unescaped)  # extracted, not written


def test_the_brief_shows_the_series_anomaly_with_its_chart(done):
    settings, _, brief, _ = done
    message = email.message_from_bytes(brief.outbox[0].read_bytes(), policy=policy.default)
    html = message.get_body(("html",)).get_content()
    commune, month = ANOMALY
    assert (
        "Séries chiffrées : valeurs inhabituelles" in html and commune in html and "d'habitude entre" in html
    )
    assert re.search(
        r'<img[^>]+src="cid:chart-\d+-signal-\d+[^"]*"[^>]+width="520"', html
    )  # the series chart
    text = message.get_body(("plain",)).get_content()
    assert "VALEURS INHABITUELLES" in text and commune in text


def test_the_quarterly_pdf_has_its_sections_and_charts(done):
    _, _, _, report = done
    html_path, pdf_path = report.files
    reader = pypdf.PdfReader(pdf_path)
    text = "\n".join(page.extract_text() for page in reader.pages)
    for section in (
        "Thèmes émergents du trimestre",
        "Indicateurs et prévisions",
        "Baromètre des communes",
        "Couverture des données",
        "Méthode",
    ):
        assert section in text, section
    # the charts are drawn as vectors with their text: legends and axis labels are in the PDF's text
    assert "bande de prévision (80 %)" in text and "documents / semaine" in text
    assert "évolution sur un an" in text
    drawn = sum(len(page["/Resources"].get("/XObject", {})) for page in reader.pages)
    assert drawn >= 4
    assert HOSTILE_TITLE in text  # a document's title is printed as the text it is
    html = html_path.read_text(encoding="utf-8")
    assert html.count('src="data:image/svg+xml;base64,') >= 4 and "<script>" not in html


def test_the_report_gives_each_indicator_its_forecast_band_and_the_communes_their_change(done):
    settings, store, _, _ = done
    calls = []

    def fake_forecast(key, steps):
        calls.append((key, steps))
        periods = [date(2025, 10, 1), date(2025, 11, 1), date(2025, 12, 1)]
        return ForecastBand(periods, [10.0] * 3, [8.0] * 3, [13.0] * 3, 0.8, "stored")

    with store.session() as session:
        context = quarterly_context(session, settings, QUARTER, "Val de Test", ["Nulle-Part"], fake_forecast)
    indicators = {i.key: i for i in context["indicators"]}
    assert set(indicators) == {"tourisme.nuitees", "tourisme.visiteurs"}
    assert calls and all(steps == 6 for _, steps in calls)  # six months shown
    nights = indicators["tourisme.nuitees"]
    assert nights.next_quarter == (30.0, 24.0, 39.0)
    assert nights.value == sum(v for m, v in nights.history if date(2025, 7, 1) <= m <= date(2025, 9, 1))
    assert nights.events and nights.events[0].territory == ANOMALY[0]
    rows = {r.territory: r for r in nights.rows}
    assert rows["Nulle-Part"].value is None  # a commune without data is listed, not left out
    assert all(r.change is not None for name, r in rows.items() if name != "Nulle-Part")
    assert abs(sum(r.share for r in rows.values() if r.share) - 1.0) < 1e-9


def test_the_report_shows_the_forecasts_the_stage_stored_as_of_the_quarter_end(done):
    settings, store, _, _ = done
    with store.session(write=True) as session:
        histories = {k: h.territory for k, h in indicator_histories(session, date(2025, 9, 30)).items()}
        stored = quarter_forecasts(session, settings, QUARTER, histories)
    assert set(stored) == {"tourisme.nuitees", "tourisme.visiteurs"}
    for meta in stored.values():
        assert meta["fitted_until"] == "2025-09-01"  # the quarter's data only, never later data
        assert meta["band"][0]["ds"] == "2025-10-01" and meta["method"]
        assert all(r["yhat_lower"] <= r["yhat"] <= r["yhat_upper"] for r in meta["band"])
    with store.session() as session:  # fitted once: read back, not fitted again
        assert quarter_forecasts(session, settings, QUARTER, {}) == {}
        again = quarter_forecasts(session, settings, QUARTER, histories)
        context = quarterly_context(
            session,
            settings,
            QUARTER,
            "Val de Test",
            [],
            lambda key, steps: ForecastBand.from_stored(stored[key], steps),
        )
    assert again == stored
    for indicator in context["indicators"]:
        assert indicator.forecast.yhat == [r["yhat"] for r in stored[indicator.key]["band"][:6]]
        assert indicator.forecast.method == stored[indicator.key]["method"]


def test_briefs_and_reports_are_rendered_once_and_archived(done, tmp_path):
    settings, store, brief, report = done
    before = report.files[1].stat().st_mtime_ns
    again = pipeline.quarterly_report(store, settings, QUARTER, tmp_path / "copy")
    assert report.files[1].stat().st_mtime_ns == before  # not rendered again
    assert [p.name for p in again.files] == [p.name for p in report.files]
    assert again.files[1].read_bytes() == report.files[1].read_bytes()
    brief.archive.unlink()  # a lost archive file is rewritten from the database
    assert not pipeline.brief(store, settings, WEEK).created and brief.archive.exists()
    with store.session() as session:
        entries = archive_entries(session)
        kinds = {(e.kind, e.period): e for e in entries}
        assert set(kinds) == {("weekly", "2025-W31"), ("quarterly", QUARTER)}
        assert kinds[("weekly", "2025-W31")].deliveries == {"written to the outbox": 2}
        assert all(size and size > 1000 for e in entries for size in e.sizes.values())
        assert session.scalar(select(Brief).where(Brief.kind == "weekly")).meta["images"]


def test_render_quarterly_works_without_any_data(settings, store, tmp_path):
    with store.session() as session:
        context = quarterly_context(session, settings, "2024Q1", "Vide", [], lambda *_: None)
    rendered = render_quarterly(context, tmp_path)
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(rendered.pdf_path).pages)
    assert "Aucun thème émergent" in text and "Aucune série" in text


def _first_column(table: str) -> list[str]:
    """The first cell of each row of ``signals archive``'s table, its wrapped lines joined (a row starts
    where the second column has a date)."""
    cells: list[str] = []
    for line in table.splitlines():
        parts = [p.strip() for p in line.split("│")]
        if len(parts) < 3:
            continue
        if re.fullmatch(r"\d\d/\d\d/\d{4}", parts[2]):
            cells.append(parts[1])
        else:
            cells[-1] += " " + parts[1]
    return [c.strip() for c in cells]


def test_the_cli_lists_the_archive_and_the_deliveries(done):
    from typer.testing import CliRunner

    from signals.cli import app

    settings, _, _, _ = done
    env = home_environment(settings)
    runner = CliRunner()
    archive = runner.invoke(app, ["archive"], env=env)
    assert archive.exit_code == 0, archive.output
    documents = _first_column(archive.output)
    assert documents == [f"rapport du {quarter_name(QUARTER)}", "note du 28 juillet au 3 août 2025"], (
        archive.output
    )
    # no SMTP server: nothing was "sent"
    assert "déposé dans la boîte d'envoi : 2" in archive.output, archive.output
    assert max(len(line) for line in archive.output.splitlines()) <= 80
    deliveries = runner.invoke(app, ["deliveries", "--send"], env=env)
    assert deliveries.exit_code == 0, deliveries.output
    assert (
        "mis en boîte d'envoi : 0, à réessayer : 0, en échec : 0, repris après arrêt : 0" in deliveries.output
    )  # none left
    assert deliveries.output.count("note du 28") == 2, deliveries.output  # both recipients
    assert max(len(line) for line in deliveries.output.splitlines()) <= 80
    listed = runner.invoke(app, ["deliveries", "--json"], env=env)
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert [r["outcome"] for r in rows] == ["written to the outbox"] * 2
