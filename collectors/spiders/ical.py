"""Municipal agendas published as iCalendar feeds (RFC 5545, read with the ``icalendar`` package): each
``VEVENT`` becomes a document (``SUMMARY`` its title, ``DESCRIPTION`` and ``LOCATION`` its text), dated
by its announcement (``CREATED``, else ``LAST-MODIFIED``, else its start when past), with its start, end,
place, categories and status kept; the commune is found in its place.

An event seen again has its figures (start, status...) refreshed, never duplicated (``UID``). An event
without ``DTSTART`` or ``SUMMARY``, or whose properties do not parse, is rejected with the property named; a
file that is not an iCalendar fails the source. A recurring event is one document (its rule is kept).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from icalendar import Calendar
from scrapy.http import Response

from collectors.enrich import html_to_text
from collectors.items import DocumentItem
from collectors.spiders.base import SourceSpider
from collectors.tabular import decode


def _moment(value: Any, tz: Any) -> datetime | None:
    """A property's date or date-time as an aware date-time (a date: midnight; floating: local time)."""
    moment = getattr(value, "dt", value)
    if isinstance(moment, datetime):
        return moment if moment.tzinfo else moment.replace(tzinfo=tz)
    if isinstance(moment, date):
        return datetime.combine(moment, time.min, tzinfo=tz)
    return None


def _texts(value: Any) -> list[str]:
    """The values of a text list property (``CATEGORIES``, possibly on several lines)."""
    values = value if isinstance(value, list) else [value]
    out: list[str] = []
    for one in values:
        out += [str(c) for c in getattr(one, "cats", [one]) if str(c).strip()]
    return out


class ICalendarSpider(SourceSpider):
    """One iCalendar feed."""

    name = "icalendar"
    kind = "icalendar"

    def parse_page(self, response: Response) -> Any:
        text, _ = decode(response.body)
        if "BEGIN:VCALENDAR" not in text[:2000].upper():
            self.ledger.page_failed(
                response.url,
                f"{response.url} n'est pas un fichier iCalendar (pas de BEGIN:VCALENDAR)",
                "not_icalendar",
            )
            return
        try:
            calendar = Calendar.from_ical(text)
        except (ValueError, IndexError, KeyError) as exc:
            self.ledger.page_failed(
                response.url, f"{response.url} : iCalendar illisible : {exc}"[:300], "malformed_icalendar"
            )
            return
        tz = self.context.crawl.tz
        oldest = (
            self.context.crawl.started_at - timedelta(days=self.source.since_days)
            if self.source.since_days
            else None
        )
        for position, event in enumerate(calendar.walk("VEVENT"), 1):
            where = f"{response.url} événement {position}"
            item = self._event(event, where, tz)
            if item is None:
                continue
            if oldest is not None and datetime.fromisoformat(item.extra["ends"]) < oldest:
                self.ledger.count("past_events")
                continue
            yield item

    def _event(self, event: Any, where: str, tz: Any) -> DocumentItem | None:
        broken = [name for name, _ in getattr(event, "errors", [])]
        for needed in ("DTSTART", "SUMMARY"):
            if needed not in event or needed in broken:
                problem = "absente" if needed not in event else "illisible"
                self.ledger.reject(where, f"propriété {needed} {problem}", "malformed_event")
                return None
        if broken:
            self.ledger.reject(where, f"propriété {broken[0]} illisible", "malformed_event")
            return None
        starts = _moment(event.get("DTSTART"), tz)
        if starts is None:
            self.ledger.reject(where, "la propriété DTSTART n'est pas une date", "malformed_event")
            return None
        ends = _moment(event.get("DTEND"), tz) or starts
        announced = _moment(event.get("CREATED"), tz) or _moment(event.get("LAST-MODIFIED"), tz)
        if announced is None and starts <= self.context.crawl.started_at:
            announced = starts
        location = str(event.get("LOCATION") or "").strip()
        uid = str(event.get("UID") or "").strip()
        extra: dict[str, Any] = {
            "kind": "event",
            "starts": starts.isoformat(),
            "ends": ends.isoformat(),
            "status": str(event.get("STATUS") or "CONFIRMED").upper(),
        }
        if location:
            extra["location"] = location
        if "CATEGORIES" in event:
            extra["categories"] = _texts(event.get("CATEGORIES"))
        if "RRULE" in event:
            extra["recurrence"] = event.get("RRULE").to_ical().decode("utf-8", "replace")
        url = str(event.get("URL") or "") or None
        description = html_to_text(str(event.get("DESCRIPTION") or ""))
        return DocumentItem(
            source=self.source.name,
            url=url,
            title=str(event.get("SUMMARY")).strip(),
            text="\n".join(part for part in (description, location) if part),
            published_at=announced,
            territory_hint=(self.context.crawl.gazetteer.detect(location) if location else None)
            or location
            or None,
            external_id=uid or None,
            extra=extra,
            refresh=True,
        )
