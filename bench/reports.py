"""Reports benchmark: how long the weekly brief and the quarterly report take to build, how big they are, and
what the crash-safe outbox costs per message.

A synthetic territory (``signals.demo.synthetic``: background news, one planted theme; monthly tourism
series for its communes) is imported and analysed in a temporary folder, then:

- brief: gathering its data, drawing its charts + laying it out + inlining its CSS, against the baseline of
  laying out the same data with no chart and no inlining;
- report: gathering its data with the forecasts fitted on the fly, against the baseline of no forecast; then
  the charts, HTML and PDF;
- delivery: ``--messages`` messages through the outbox (claim, SMTP to aiosmtpd on 127.0.0.1, fsync'ed
  journal, commit), against the baseline of ``smtplib.send_message`` of the same messages alone.

``python -m bench.reports [--quick]``; figures last as one JSON line.
"""

from __future__ import annotations

import csv
import json
import smtplib
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import emit, free_port, parser, peak_rss_mb, timed

FIRST = date(2025, 1, 6)


COMMUNES = ["Lirac", "Fontclaire", "Montclar", "Beauvallon", "Saint-Aubin"]


def _series(path: Path, communes: list[str], months: int) -> Path:
    """Monthly tourism nights per commune, the last month September 2025."""
    rng = np.random.default_rng(1)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["series", "period", "value", "unit", "territory"])
        for c, commune in enumerate(communes):
            for m in range(months):
                index = 2025 * 12 + 8 - (months - 1) + m  # months since year 0, September 2025 last
                day = date(index // 12, index % 12 + 1, 1)
                summer = 1.0 + 0.8 * (day.month in (7, 8))
                value = round((3000 + 800 * c) * summer * rng.lognormal(0, 0.06))
                writer.writerow(
                    [f"tourisme.nuitees/{commune.lower()}", day.isoformat(), value, "nuitées", commune]
                )
    return path


def _store(folder: Path, quick: bool) -> tuple[Any, Any, date]:
    from signals import pipeline
    from signals.core.settings import Settings
    from signals.core.sources import SourcesFile, Territory, dump_sources
    from signals.core.store import Store
    from signals.demo.synthetic import Plant, synthetic_corpus
    from signals.demo.themes import EMERGING
    from signals.stages.importer import import_file

    dump_sources(SourcesFile(territory=Territory(name="Val de Bench", communes=COMMUNES)), folder / "s.yaml")
    settings = Settings(home=folder / "var", sources_file=folder / "s.yaml", recipients=["a@example.fr"])
    store = Store.open(settings)
    corpus = synthetic_corpus(
        weeks=32,
        per_week=40 if quick else 80,
        first_monday=FIRST,
        communes=COMMUNES,
        seed=3,
        plants=[
            Plant(EMERGING[0], onset=25, start_rate=2.0, growth=1.3),
            Plant(EMERGING[1], onset=24, start_rate=1.5, growth=1.25),
        ],
    )
    lines = []
    for i, record in enumerate(corpus.records):
        record["url"] = f"https://presse.example.fr/{i}"
        lines.append(json.dumps(record, ensure_ascii=False))
    (folder / "c.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    import_file(store, settings, folder / "c.jsonl")
    import_file(store, settings, _series(folder / "o.csv", COMMUNES, 36 if quick else 48))
    week = FIRST + timedelta(weeks=29)
    pipeline.replay(store, settings, week - timedelta(weeks=3), week + timedelta(days=6))
    return settings, store, week


def _brief(settings: Any, store: Any, week: date, figures: dict[str, Any]) -> Any:
    from reports.brief import brief_context, render_brief
    from reports.rendering import render

    with store.session() as session:
        with timed(figures, "brief_context_s"):
            context = brief_context(session, settings, week, "Val de Bench", [])
        render("brief.html.j2", context)  # compile the templates outside the timings
        with timed(figures, "baseline_brief_templates_only_s"):
            render("brief.html.j2", context), render("brief.txt.j2", context)
        with timed(figures, "brief_render_s"):
            rendered = render_brief(context)
    figures["brief_charts"] = len(rendered.images)
    figures["brief_html_kb"] = round(len(rendered.html.encode()) / 1024, 1)
    figures["brief_archive_kb"] = round(len(rendered.archive_html().encode()) / 1024, 1)
    figures["brief_chart_kb"] = round(sum(len(b) for b in rendered.images.values()) / 1024, 1)
    return rendered


def _report(settings: Any, store: Any, folder: Path, figures: dict[str, Any]) -> None:
    from reports.forecasts import ForecastBand
    from reports.indicators import indicator_histories
    from reports.quarterly import quarterly_context, render_quarterly
    from signals.stages.series import quarter_forecasts

    with store.session(write=True) as session:
        with timed(figures, "baseline_report_context_no_forecast_s"):
            quarterly_context(session, settings, "2025Q3", "Val de Bench", [], lambda *_: None)
        with timed(figures, "report_context_with_forecasts_s"):  # the forecast stage's fits included
            histories = indicator_histories(session, date(2025, 9, 30))
            stored = quarter_forecasts(
                session, settings, "2025Q3", {k: h.territory for k, h in histories.items()}
            )
            context = quarterly_context(
                session,
                settings,
                "2025Q3",
                "Val de Bench",
                [],
                lambda key, steps: ForecastBand.from_stored(stored[key], steps) if key in stored else None,
            )
    rendered = render_quarterly(context, folder / "report")
    figures["report_render_html_pdf_s"] = round(rendered.seconds, 3)
    figures["report_pdf_kb"] = round(rendered.pdf_path.stat().st_size / 1024, 1)
    figures["report_html_kb"] = round(rendered.html_path.stat().st_size / 1024, 1)
    figures["report_forecasts"] = sum(1 for i in context["indicators"] if i.forecast)


def _delivery(settings: Any, store: Any, rendered: Any, messages: int, figures: dict[str, Any]) -> None:
    from aiosmtpd.controller import Controller

    from reports.mail import build_message, encode_images, message_id
    from reports.outbox import deliver_pending, queue
    from signals.core.schema import Brief

    class Count:
        received = 0

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            Count.received += 1
            return "250 OK"

    controller = Controller(Count(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        recipients = [f"r{i}@example.fr" for i in range(messages)]
        started = time.perf_counter()
        for recipient in recipients:  # baseline: the same messages, built and sent, nothing recorded
            message = build_message(
                rendered.subject,
                rendered.html,
                rendered.text,
                "v@example.fr",
                recipient,
                message_id("bench", "0", recipient),
                rendered_date(),
                rendered.images,
            )
            with smtplib.SMTP("127.0.0.1", controller.port) as client:
                client.send_message(message)
        figures["baseline_smtplib_msg_per_s"] = round(messages / (time.perf_counter() - started), 1)
        settings = settings.model_copy(
            update={
                "smtp": settings.smtp.model_copy(
                    update={"host": "127.0.0.1", "port": controller.port, "starttls": False}
                )
            }
        )
        with store.session() as session:
            brief = Brief(
                kind="bench",
                period="0",
                subject=rendered.subject,
                html=rendered.html,
                text=rendered.text,
                meta={"images": encode_images(rendered.images)},
            )
            session.add(brief)
            session.flush()
            queue(session, brief, recipients)
        started = time.perf_counter()
        result = deliver_pending(store, settings)
        figures["outbox_msg_per_s"] = round(messages / (time.perf_counter() - started), 1)
        figures["outbox_sent"] = result.sent
        figures["message_kb"] = round(len(bytes(message)) / 1024, 1)
        figures["smtp_received"] = Count.received
    finally:
        controller.stop()


def rendered_date() -> Any:
    from datetime import UTC, datetime

    return datetime(2025, 8, 4, 7, tzinfo=UTC)


def main() -> None:
    options = parser(__doc__.splitlines()[0])
    options.add_argument("--messages", type=int, default=None, help="messages through the outbox")
    args = options.parse_args()
    messages = args.messages or (20 if args.quick else 100)
    figures: dict[str, Any] = {"quick": args.quick, "messages": messages}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with timed(figures, "setup_import_analyse_s"):
            settings, store, week = _store(folder, args.quick)
        rendered = _brief(settings, store, week, figures)
        _report(settings, store, folder, figures)
        _delivery(settings, store, rendered, messages, figures)
        store.close()
    figures["peak_rss_mb"] = round(peak_rss_mb(), 1)
    print(
        "brief: {brief_render_s} s to render ({brief_charts} charts), baseline {baseline_brief_templates_only_s} s".format(
            **figures
        )
    )
    print(
        "report: context {report_context_with_forecasts_s} s with forecasts "
        "(baseline {baseline_report_context_no_forecast_s} s), HTML+PDF {report_render_html_pdf_s} s".format(
            **figures
        )
    )
    print(
        "outbox: {outbox_msg_per_s} msg/s, baseline smtplib {baseline_smtplib_msg_per_s} msg/s".format(
            **figures
        )
    )
    emit(figures)


if __name__ == "__main__":
    main()
