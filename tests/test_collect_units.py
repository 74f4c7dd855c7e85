"""The collectors' building blocks, without a crawl: redaction, dates, communes, tables, near-duplicates,
PDF text, settings and accounting.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from collectors.enrich import Gazetteer, detect_language, html_to_text, implausible, parse_date
from collectors.extract import ExtractionError, pdf_text, sniff
from collectors.ledger import RunLedger
from collectors.neardup import NearDuplicateIndex
from collectors.run import crawl_timeout
from collectors.settings import scrapy_settings
from collectors.tabular import decode, sniff_delimiter
from signals.core.parsing import parse_number, parse_period
from signals.core.privacy import EMAIL_PLACEHOLDER, PHONE_PLACEHOLDER, redact
from signals.core.settings import CollectSettings, Settings
from signals.core.sources import RssSource
from signals.core.store import RunRecorder
from tests.sitefixtures import SITES

PARIS = ZoneInfo("Europe/Paris")


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Écrire à jean.dupont@mairie-lirac.fr.", 1),
        ("JEAN.DUPONT+conseil@Exemple.COM", 1),
        ("contact (at) exemple (dot) fr", 1),
        ("Appelez le 06 12 34 56 78 ou le 01.23.45.67.89", 2),
        ("Tél : 0612345678 / +33 6 12 34 56 78 / +33 (0)4 12 34 56 78", 3),
        ("Bureau de Genève : +41 22 123 45 67", 1),
        ("Séance du 12/03/2025 à 18h30, délibération n° 2025-012", 0),
        ("Budget de 1 234 567 euros, code postal 38000, SIRET 123 456 789 00012", 0),
        ("Du 01.02.2025 au 28.02.2025, 3 votes pour", 0),
    ],
)
def test_redaction_finds_contacts_and_spares_numbers(text: str, found: int) -> None:
    redacted, count = redact(text)
    assert count == found
    if found:
        assert "@" not in redacted and ("dot" not in redacted or EMAIL_PLACEHOLDER in redacted)
        assert EMAIL_PLACEHOLDER in redacted or PHONE_PLACEHOLDER in redacted
    else:
        assert redacted == text


def test_dates_are_aware_and_local_when_the_source_gives_no_zone() -> None:
    assert parse_date("2025-07-01 14:00", PARIS) == datetime(2025, 7, 1, 14, 0, tzinfo=PARIS)
    assert parse_date("2025-07-01T12:00:00Z", PARIS).astimezone(UTC).hour == 12
    assert parse_date("mardi 1 juillet 2025", PARIS) == datetime(2025, 7, 1, tzinfo=PARIS)
    assert parse_date("Mon, 30 Jun 2025 22:00:00 -0000", PARIS).tzinfo is not None
    assert parse_date("32/01/2025", PARIS) is None and parse_date("", PARIS) is None
    now = datetime(2025, 7, 1, tzinfo=UTC)
    assert implausible(now + timedelta(days=3), now) and implausible(datetime(1850, 1, 1, tzinfo=UTC), now)
    assert implausible(now + timedelta(hours=5), now) is None


def test_gazetteer_finds_communes_however_written() -> None:
    g = Gazetteer(["Saint-Aubin-des-Prés", "Les Essarts-Rouges", "Lirac-sur-Lirette", "Lirac"])
    assert g.detect("", "Rendez-vous à LES ESSARTS ROUGES demain.") == "Les Essarts-Rouges"
    assert g.detect("", "La fête de Lirac-sur-Lirette") == "Lirac-sur-Lirette"  # the longest name wins
    assert g.detect("Lirac", "Saint-Aubin-des-Prés, Saint-Aubin-des-Prés") == "Lirac"  # the title weighs more
    assert g.detect("Météo", "Aucune commune ici, ni Liracois.") is None
    assert g.canonical("st aubin des pres") == "Saint-Aubin-des-Prés"


def test_language_and_html_text() -> None:
    assert detect_language("The city council approved the library budget yesterday evening.", "fr") == "en"
    assert (
        detect_language("Der Gemeinderat hat gestern Abend den Haushalt der Bibliothek beschlossen.", "fr")
        == "de"
    )
    assert html_to_text("<ul><li>un</li><li>deux</li></ul><style>x{}</style>") == "un\ndeux"


def test_tables_the_french_way() -> None:
    assert parse_number("−3,5".replace("−", "-")) == -3.5
    assert parse_number("1.234.567") == 1234567.0 and parse_number("n.c.") is None
    with pytest.raises(ValueError):
        parse_number("douze")
    assert parse_period("T3 2025") == date(2025, 7, 1) and parse_period("2025M11") == date(2025, 11, 1)
    with pytest.raises(ValueError):
        parse_period("2025-00")
    assert sniff_delimiter('"a;b",c,d\n1,2,3') == ","
    assert decode("Été".encode("cp1252"), "utf-8") == ("Été", "cp1252")  # a wrong declaration is survived


def test_near_duplicate_index_is_bounded_and_reloads_from_the_store() -> None:
    stored: list[tuple[int, str, date, str]] = []

    def loader(first: date, last: date):  # noqa: ANN202 - test double of StoreWriter.published_between
        return [row for row in stored if first <= row[2] <= last]

    words = [f"mot{i}" for i in range(400)]
    story = lambda n: " ".join(words[n : n + 60])  # noqa: E731 - distinct stories share no 3-word shingle
    index = NearDuplicateIndex(capacity=50, loader=loader)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for n in range(300):
        day = start + timedelta(days=n)
        text = " ".join(f"jour{n}-{k}" for k in range(40))
        index.add(n, index.signature(text), "echo", day)
        stored.append((n, "echo", day.date(), text))
        assert len(index) <= 50 + 1  # whole day buckets are evicted
    old_copy = "Selon nos informations, " + " ".join(f"jour3-{k}" for k in range(40))
    assert index.find(index.signature(old_copy), "radio", start + timedelta(days=3, hours=3)) == 3  # reloaded
    assert index.find(index.signature(old_copy), "radio", start + timedelta(days=9)) is None  # outside window
    assert index.signature(story(0)[:100]) is None  # too short to compare


def test_pdf_problems_have_codes() -> None:
    folder = SITES / "deliberations" / "pdf"
    assert "Tarifs de la cantine scolaire" in pdf_text((folder / "2025-012.pdf").read_bytes()).text
    broken = {"protege.pdf": "pdf_encrypted", "tronque.pdf": "pdf_invalid", "scan.pdf": "pdf_no_text",
              "faux.pdf": "pdf_invalid", "vide.pdf": "pdf_invalid"}  # fmt: skip
    for name, code in broken.items():
        with pytest.raises(ExtractionError) as caught:
            pdf_text((folder / name).read_bytes())
        assert caught.value.code == code, name
    assert sniff((folder / "introuvable.pdf").read_bytes(), "application/pdf") == "html"


def test_scrapy_settings_follow_the_service_settings() -> None:
    polite = scrapy_settings(Settings().collect, time_budget_s=600)
    assert polite["ROBOTSTXT_OBEY"] and polite["AUTOTHROTTLE_ENABLED"] and polite["DOWNLOAD_DELAY"] == 0.25
    assert polite["USER_AGENT"].startswith("signaux-faibles/") and polite["CLOSESPIDER_TIMEOUT"] == 600
    demo = scrapy_settings(CollectSettings(download_delay_s=0, autothrottle=False, concurrency_per_domain=8))
    assert (demo["DOWNLOAD_DELAY"], demo["AUTOTHROTTLE_ENABLED"], demo["CONCURRENT_REQUESTS_PER_DOMAIN"]) == (
        0,
        False,
        8,
    )
    settings = Settings(collect=CollectSettings(time_budget_s=100))
    same_host = [RssSource(kind="rss", name=n, url=f"http://h.example/{n}.xml") for n in ("a", "b")]
    other = RssSource(kind="rss", name="c", url="http://other.example/c.xml", time_budget_s=500)
    assert crawl_timeout(settings, [*same_host, other]) == 500 + 120  # longest same-host chain + margin
    assert crawl_timeout(Settings(collect=CollectSettings(time_budget_s=0)), same_host) is None


def test_a_run_is_complete_only_when_nothing_is_left_to_retry() -> None:
    ledger = RunLedger("s", RunRecorder(0))
    ledger.page_ok("http://h/feed.xml")
    ledger.reject("http://h/a", "no answer", "timeout", transient=True)
    ledger.close("finished")
    assert ledger.status == "partial" and not ledger.complete
    capped = RunLedger("s", RunRecorder(0), limit=1)
    capped.page_ok("http://h/feed.xml")
    capped.take()
    capped.close("item_cap")
    assert (
        capped.status == "ok"
        and not capped.complete
        and capped.summary()["truncated"] == "plafond d'éléments atteint"
    )


def test_latency_figures_of_a_run() -> None:
    ledger = RunLedger("s", RunRecorder(0))
    ledger.page_ok("http://h/feed.xml")
    for seconds in (0.01, 0.02, 0.03, 1.5):
        ledger.latency(seconds)
    ledger.close("finished")
    counts = ledger.summary()
    assert (counts["responses"], counts["latency_median_s"], counts["latency_p95_s"]) == (4, 0.025, 1.5)


class _Payload:  # what an attacker with write access to Redis would queue: a pickle that runs code
    ran = False

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (setattr, (_Payload, "ran", True))


def test_the_shared_frontier_stores_requests_as_data_and_never_unpickles():
    import pickle

    from scrapy import Spider
    from scrapy.http import Request
    from scrapy.utils.request import request_from_dict

    from collectors import requestcodec

    class Site(Spider):
        name = "site"

        def parse_page(self, response):  # type: ignore[no-untyped-def]
            return None

    spider = Site()
    request = Request(
        "https://mairie.example/deliberations?page=3",
        callback=spider.parse_page,
        method="POST",
        body="année=2026".encode(),
        headers={"If-None-Match": '"abc"'},
        meta={"page": 3, "cursors": ("x", "y"), "handle_httpstatus_list": [304]},
        priority=-2,
    )
    back = request_from_dict(
        requestcodec.loads(requestcodec.dumps(request.to_dict(spider=spider))), spider=spider
    )
    assert (back.url, back.method, back.body, back.priority) == (request.url, "POST", request.body, -2)
    assert back.headers[b"If-None-Match"] == b'"abc"' and back.callback == spider.parse_page
    assert back.meta["page"] == 3 and list(back.meta["cursors"]) == ["x", "y"]

    with pytest.raises(ValueError):  # msgpack refuses it, and nothing ran
        requestcodec.loads(pickle.dumps(_Payload()))
    assert _Payload.ran is False
    with pytest.raises(TypeError):  # an object that is not data cannot be queued: said when queued
        requestcodec.dumps(Request("https://mairie.example/", meta={"when": object()}).to_dict())
