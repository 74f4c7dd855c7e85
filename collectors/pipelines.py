"""Item pipelines, in order (see ``collectors.settings.ITEM_PIPELINES``): clean and validate, redact
personal data, enrich (date, commune, language), find near-duplicates, store.

Each pipeline reads the source's context from the spider (``spider.context``). A refused item is reported
to the ledger (counted by reject code, reason logged and kept in the run record) and dropped.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from scrapy.exceptions import DropItem
from scrapy.logformatter import LogFormatter
from sqlalchemy.exc import SQLAlchemyError

from collectors.context import SourceContext
from collectors.enrich import detect_language, implausible, normalise_text, parse_date
from collectors.items import DocumentItem, ObservationItem
from signals.core.privacy import redact
from signals.core.store import NewDocument, NewObservation

_TITLE_FROM_TEXT = 120
_MAX_URL = 2000  # documents.url and sightings.url


class _Pipeline:
    """Pipelines keep the crawler (Scrapy's modern component style) and read the source's context from it."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> Any:
        return cls(crawler)

    @property
    def context(self) -> SourceContext:
        return self.crawler.spider.context


def reject(
    context: SourceContext, where: str, reason: str, code: str, *, transient: bool = False
) -> DropItem:
    """Report a refused item and return the exception that drops it."""
    context.ledger.reject(where, reason, code, transient=transient)
    return DropItem(f"{code}: {reason}")


def _where(item: DocumentItem | ObservationItem) -> str:
    if isinstance(item, ObservationItem):
        return item.row or item.series
    return item.url or item.external_id or item.title[:80] or "(élément sans titre)"


class CleanPipeline(_Pipeline):
    """Normalised title and text; an item with neither is refused; overlong texts are cut; fields fit
    their columns (PostgreSQL refuses a value longer than its column, SQLite would not tell)."""

    def process_item(self, item: Any) -> Any:
        if isinstance(item, ObservationItem):
            item.series, item.unit = item.series[:200], item.unit[:40] if item.unit else None
            item.territory = item.territory[:120] if item.territory else None
            return item
        if not isinstance(item, DocumentItem):
            return item
        context = self.context
        item.title = " ".join(normalise_text(item.title or "").split())
        item.text = normalise_text(item.text or "")
        if not item.title and not item.text:
            raise reject(context, _where(item), "élément sans titre ni texte", "empty")
        if not item.title:
            item.title = item.text[:_TITLE_FROM_TEXT].rsplit(" ", 1)[0] + "…"
            item.problems.append("pas de titre : le début du texte en tient lieu")
        limit = context.crawl.settings.collect.max_text_chars
        if len(item.text) > limit:
            item.problems.append(f"texte coupé à {limit} caractères (il en avait {len(item.text)})")
            item.text = item.text[:limit]
            context.ledger.count("texts_cut")
        if item.url and not item.url.startswith(("http://", "https://")):
            item.problems.append(f"le lien {item.url[:80]!r} n'est pas une adresse web ; gardé sans URL")
            item.url = None
        if item.url and len(item.url) > _MAX_URL:
            item.problems.append(f"lien de plus de {_MAX_URL} caractères ; gardé sans URL")
            item.url = None
        item.external_id = item.external_id[:300] if item.external_id else None
        item.territory_hint = item.territory_hint[:120] if item.territory_hint else None
        return item


class PrivacyPipeline(_Pipeline):
    """E-mail addresses and phone numbers replaced by placeholders before anything is stored."""

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, DocumentItem):
            return item
        item.title, in_title = redact(item.title)
        item.text, in_text = redact(item.text)
        if in_title + in_text:
            self.context.ledger.count("redactions", in_title + in_text)
            item.problems.append(
                f"adresses électroniques ou numéros de téléphone masqués : {in_title + in_text}"
            )
        return item


class EnrichPipeline(_Pipeline):
    """A time-zone aware publication date, the commune, and the language of each document."""

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, DocumentItem):
            return item
        context = self.context
        crawl = context.crawl
        if item.published_at is None and item.date_text:
            item.published_at = parse_date(item.date_text, crawl.tz)
            if item.published_at is None:
                item.problems.append(f"date {item.date_text[:60]!r} non comprise")
        if item.published_at is not None:
            problem = implausible(item.published_at, crawl.started_at)
            if problem:
                item.problems.append(problem)
                item.published_at = None
        if item.published_at is None:
            item.published_at = crawl.started_at
            item.problems.append("pas de date utilisable : l'heure de la collecte en tient lieu")
            context.ledger.count("undated")
        source = context.source
        item.territory = (
            item.territory
            or source.territory
            or crawl.gazetteer.canonical(item.territory_hint)
            or crawl.gazetteer.detect(item.title, item.text)
        )
        if item.territory is None and crawl.gazetteer.communes:
            item.problems.append("aucune commune du territoire trouvée")
        item.language = detect_language(item.text or item.title, default=source.language)
        if item.language != source.language:
            item.problems.append(f"langue détectée : {item.language} (la source indique {source.language})")
        return item


class NearDuplicatePipeline(_Pipeline):
    """Marks a document that nearly repeats one stored from another source (same story, two outlets)."""

    def process_item(self, item: Any) -> Any:
        context = self.context
        crawl = context.crawl
        if not isinstance(item, DocumentItem) or crawl.neardup is None or item.published_at is None:
            return item
        if not getattr(context.source, "near_duplicates", False):
            return item
        item.fingerprint = crawl.neardup.signature(item.text)
        item.same_as = crawl.neardup.find(item.fingerprint, item.source, item.published_at.astimezone(UTC))
        return item


class StorePipeline(_Pipeline):
    """Writes documents and observations through the crawl's store writer; in a preview, only lists them.

    Also enforces the source's item cap on documents (and the preview's limit on every item): the crawl
    stops when it is reached.
    """

    def process_item(self, item: Any) -> Any:
        context = self.context
        ledger = context.ledger
        # The item cap bounds documents; a table is read whole (capping its rows would re-read the same
        # first rows at every run). A preview stops at its limit whatever the kind.
        capped = isinstance(item, DocumentItem) or context.preview
        if capped and not ledger.take():
            ledger.count("over_limit")
            raise DropItem("limit reached", log_level="DEBUG")
        if context.preview:
            ledger.show(_preview_entry(item))
        else:
            try:
                self._store(context, item)
            except SQLAlchemyError as exc:
                writer = context.crawl.writer
                if writer is not None and not writer.session.is_active:  # a failed flush outside a savepoint
                    writer.rollback()
                raise reject(
                    context,
                    _where(item),
                    f"non enregistré : {type(exc).__name__}: {exc}"[:400],
                    "store_error",
                    transient=True,
                ) from None
        ledger.count("items")
        if capped and ledger.full:
            self.crawler.spider.stop("preview_limit" if context.preview else "item_cap")
        return item

    def close_spider(self) -> None:
        writer = self.context.crawl.writer
        if writer is None:
            return
        summarise = getattr(self.crawler.spider, "summarise", None)
        if summarise is not None:
            try:
                summarise(writer)
            except SQLAlchemyError as exc:
                writer.rollback()
                self.context.ledger.reject(
                    "totaux mensuels", f"totaux mensuels non enregistrés : {exc}"[:400], "store_error"
                )
        writer.commit()

    @staticmethod
    def _store(context: SourceContext, item: DocumentItem | ObservationItem) -> None:
        writer = context.crawl.writer
        assert writer is not None
        ledger = context.ledger
        if isinstance(item, ObservationItem):
            outcome = writer.upsert_observation(
                NewObservation(item.series, item.period, item.value, item.unit, item.territory, item.source)
            )
            ledger.count("observations")
            ledger.count(f"observations_{outcome}")
            return
        assert item.published_at is not None  # set by EnrichPipeline
        if item.external_id and (item.url is None or item.refresh):
            existing = writer.document_by_external_id(item.source, item.external_id)
            if existing is not None:  # a proposal seen before: refresh its figures (votes, comments)
                changed = writer.update_document_extra(existing, item.extra)
                ledger.count("updated" if changed else "seen")
                return
        document, outcome = writer.add_document(
            NewDocument(
                source=item.source,
                title=item.title,
                text=item.text,
                published_at=item.published_at,
                url=item.url,
                external_id=item.external_id,
                territory=item.territory,
                language=item.language,
                extra=item.extra,
            ),
            same_as=item.same_as,
        )
        ledger.count(
            {"new": "new", "near_duplicate": "near_duplicates", "seen": "seen"}.get(outcome, "duplicates")
        )
        if outcome == "new" and context.crawl.neardup is not None and item.fingerprint is not None:
            context.crawl.neardup.add(
                document.id, item.fingerprint, item.source, item.published_at.astimezone(UTC)
            )


def _preview_entry(item: DocumentItem | ObservationItem) -> dict[str, Any]:
    if isinstance(item, ObservationItem):
        return {
            "title": f"{item.series} {item.period.isoformat()} = {item.value:g}"
            + (f" {item.unit}" if item.unit else ""),
            "date": item.period.isoformat(),
            "commune": item.territory,
            "text_length": 0,
            "url": item.row,
            "problems": list(item.problems),
        }
    return {
        "title": item.title,
        "date": item.published_at.isoformat() if item.published_at else None,
        "commune": item.territory,
        "text_length": len(item.text),
        "url": item.url,
        "language": item.language,
        "problems": list(item.problems),
    }


class ItemLogFormatter(LogFormatter):
    """Scrapy's log messages without the items' full texts (a document can weigh 200 kB)."""

    def scraped(self, item: Any, response: Any, spider: Any) -> dict[str, Any]:
        entry = super().scraped(item, response, spider)
        entry["args"]["item"] = _where(item) if isinstance(item, DocumentItem | ObservationItem) else item
        return entry

    def dropped(self, item: Any, exception: BaseException, response: Any, spider: Any) -> dict[str, Any]:
        entry = super().dropped(item, exception, response, spider)
        entry["args"]["item"] = _where(item) if isinstance(item, DocumentItem | ObservationItem) else item
        return entry

    def item_error(self, item: Any, exception: BaseException, response: Any, spider: Any) -> dict[str, Any]:
        entry = super().item_error(item, exception, response, spider)
        entry["args"]["item"] = _where(item) if isinstance(item, DocumentItem | ObservationItem) else item
        return entry
