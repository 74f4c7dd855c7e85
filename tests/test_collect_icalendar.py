# ruff: noqa: F811 - pytest fixtures imported from tests.sitefixtures are used as arguments
"""The ``icalendar`` kind against agendas in iCalendar (RFC 5545) on a real HTTP server: one dated document
per event, updated events refreshed rather than duplicated; then events missing DTSTART or with a broken
one, a file in Windows-1252, an HTML page instead of a calendar, a 5xx.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from signals.core.schema import Document, Source
from signals.core.store import Store
from tests.platformfixtures import serve_platforms
from tests.sitefixtures import collect, collect_home, crawl_settings, sources_from  # noqa: F401


def event(uid: str, start: str, summary: str, *lines: str) -> str:
    return "\r\n".join(["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20250101T000000Z", f"DTSTART{start}",
                        f"SUMMARY:{summary}", *lines, "END:VEVENT"])  # fmt: skip


def calendar(*events: str) -> str:
    head = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Mairie de Fontclaire//Agenda//FR"]
    return "\r\n".join([*head, *events, "END:VCALENDAR"]) + "\r\n"


def agenda(status: str = "CONFIRMED") -> str:
    return calendar(
        event("conseil-2025-03@fontclaire", ";TZID=Europe/Paris:20250314T183000", "Conseil municipal",
              "DTEND;TZID=Europe/Paris:20250314T210000", "CREATED:20250301T090000Z",
              "DESCRIPTION:Ordre du jour : budget primitif\\, rénovation de l'école.",
              "LOCATION:Salle des fêtes\\, Fontclaire", "CATEGORIES:Conseil,Budget",
              f"STATUS:{status}", "URL:https://fontclaire.example/agenda/conseil-2025-03"),
        event("marche@fontclaire", ";VALUE=DATE:20250105", "Marché de producteurs",
              "RRULE:FREQ=WEEKLY;BYDAY=SU", "LOCATION:Place de l'église\\, Montclar-le-Haut"),
        event("sans-date@fontclaire", "", "Réunion sans date"),
        event("cassee@fontclaire", ":demain", "Réunion à une date illisible"),
        "BEGIN:VEVENT\r\nUID:sans-titre\r\nDTSTART:20250320T100000Z\r\nEND:VEVENT",
    )  # fmt: skip


def test_icalendar_sources(tmp_path: Path, collect_home: Path) -> None:
    (tmp_path / "agenda.ics").write_text(agenda(), encoding="utf-8")
    latin = calendar(event("fete@lirac", ":20250621T180000Z", "Fête de la musique à Lirac-sur-Lirette",
                           "CREATED:20250601T080000Z", "DESCRIPTION:Scène ouverte près de l'église."))  # fmt: skip
    (tmp_path / "lirac.ics").write_bytes(latin.encode("cp1252"))
    (tmp_path / "page.ics").write_text("<html><body><h1>Agenda</h1></body></html>", encoding="utf-8")
    entries = [
        {"name": "agenda", "url": "{base}/agenda.ics"},
        {"name": "lirac", "url": "{base}/lirac.ics"},
        {"name": "page", "url": "{base}/page.ics"},
        {"name": "down", "url": "{base}/_status/503/agenda.ics"},
    ]
    settings = crawl_settings(collect_home)
    with serve_platforms(tmp_path, {}) as site:
        sources = sources_from([{"kind": "icalendar", **e} for e in entries], site.base_url)
        outcomes = collect(settings, sources)
        store = Store.open(settings)

        agenda_run = outcomes["agenda"]
        assert agenda_run.status == "partial" and agenda_run.counts["new"] == 2
        assert agenda_run.counts["rejected"] == {"malformed_event": 3}
        assert outcomes["lirac"].status == "ok" and outcomes["lirac"].counts["new"] == 1
        assert (
            outcomes["page"].status == "failed" and "n'est pas un fichier iCalendar" in outcomes["page"].error
        )
        assert outcomes["down"].status == "failed" and "HTTP 503" in outcomes["down"].error

        def events(name: str) -> dict[str, Document]:
            with store.session() as session:
                source_id = session.scalar(select(Source.id).where(Source.name == name))
                docs = session.scalars(select(Document).where(Document.source_id == source_id))
                return {d.external_id: d for d in docs}

        stored = events("agenda")
        council = stored["conseil-2025-03@fontclaire"]
        assert council.title == "Conseil municipal" and council.url.endswith("/agenda/conseil-2025-03")
        assert council.published_at.astimezone(settings.tz).date().isoformat() == "2025-03-01"  # announced
        assert (
            council.extra["starts"] == "2025-03-14T18:30:00+01:00" and council.extra["status"] == "CONFIRMED"
        )
        assert council.extra["categories"] == ["Conseil", "Budget"] and council.territory == "Fontclaire"
        assert "budget primitif, rénovation" in council.text
        market = stored["marche@fontclaire"]
        assert market.extra["recurrence"] == "FREQ=WEEKLY;BYDAY=SU" and market.territory == "Montclar-le-Haut"
        assert market.published_at.astimezone(settings.tz).date().isoformat() == "2025-01-05"  # past start
        assert events("lirac")["fete@lirac"].title == "Fête de la musique à Lirac-sur-Lirette"

        (tmp_path / "agenda.ics").write_text(agenda(status="CANCELLED"), encoding="utf-8")
        again = collect(settings, [s for s in sources if s.name == "agenda"])["agenda"]
        assert again.counts["updated"] == 1 and "new" not in again.counts
        assert events("agenda")["conseil-2025-03@fontclaire"].extra["status"] == "CANCELLED"
        store.close()
