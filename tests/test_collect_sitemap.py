# ruff: noqa: F811 - pytest fixtures imported from tests.sitefixtures are used as arguments
"""The ``news_sitemap`` kind against a press site without a feed on a real HTTP server: robots.txt →
sitemap index (gzipped) → news sitemaps → article pages; then an index listing itself, an old article,
a missing article, an HTML page and an RSS file where a sitemap was expected, and a second run that fetches
no article twice.
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from signals.core.schema import Document, Source
from signals.core.store import Store
from tests.platformfixtures import serve_platforms
from tests.sitefixtures import collect, collect_home, crawl_settings, sources_from  # noqa: F401

NEWS = "http://www.google.com/schemas/sitemap-news/0.9"


def urlset(base: str, entries: list[tuple[str, datetime]]) -> str:
    urls = "".join(
        f"<url><loc>{base}{path}</loc><lastmod>{modified.isoformat()}</lastmod>"
        f"<news:news><news:publication><news:name>Le Courrier</news:name><news:language>fr</news:language>"
        f"</news:publication><news:publication_date>{modified.isoformat()}</news:publication_date>"
        f"<news:title>Article</news:title></news:news></url>"
        for path, modified in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        f'xmlns:news="{NEWS}">{urls}</urlset>'
    )


def index(base: str, paths: list[str], modified: datetime) -> str:
    items = "".join(
        f"<sitemap><loc>{base}{p}</loc><lastmod>{modified.isoformat()}</lastmod></sitemap>" for p in paths
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{items}</sitemapindex>'


def article(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{title}</title></head><body>'
        f"<header><nav>Accueil · Politique · Sports</nav></header><article><h1>{title}</h1>"
        f"<p>{body}</p><p>{body.replace('.', ' ; les habitants en débattront en réunion publique.')}</p>"
        f"</article><footer>Le Courrier du Val · mentions légales</footer></body></html>"
    )


def write_site(root: Path, base: str) -> None:
    now = datetime.now(UTC)
    (root / "courrier" / "2025").mkdir(parents=True)
    (root / "courrier" / "robots.txt").write_text(
        f"User-agent: *\nSitemap: {base}/courrier/sitemap-index.xml.gz\n"
    )
    (root / "courrier" / "sitemap-index.xml.gz").write_bytes(gzip.compress(index(
        base, ["/courrier/news.xml", "/courrier/archives.xml", "/courrier/sitemap-index.xml.gz"], now).encode()))  # fmt: skip
    (root / "courrier" / "news.xml").write_text(urlset(base, [
        ("/courrier/2025/piscine.html", now - timedelta(days=1)),
        ("/courrier/2025/fontclaire-ecole.html", now - timedelta(days=2)),
        ("/courrier/2025/absent.html", now - timedelta(days=2)),
        ("/courrier/tag/ecole", now - timedelta(days=2)),
        ("/courrier/2025/ancien.html", now - timedelta(days=90)),
    ]))  # fmt: skip
    (root / "courrier" / "archives.xml").write_text(urlset(base, []))
    (root / "courrier" / "2025" / "piscine.html").write_text(article(
        "La piscine intercommunale rouvre à Montclar-le-Haut",
        "Après dix-huit mois de travaux, la piscine intercommunale de Montclar-le-Haut rouvre ses bassins "
        "au public avec une toiture isolée et une chaufferie au bois."), encoding="utf-8")  # fmt: skip
    (root / "courrier" / "2025" / "fontclaire-ecole.html").write_text(article(
        "Fontclaire : l'école élémentaire passe au chauffage géothermique",
        "Le conseil municipal de Fontclaire a voté la rénovation énergétique de l'école élémentaire, "
        "avec des sondes géothermiques sous la cour de récréation."), encoding="utf-8")  # fmt: skip
    (root / "courrier" / "page.xml").write_text("<html><body><p>Plan du site</p></body></html>")
    (root / "courrier" / "feed.xml").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>'
    )


def test_news_sitemap_sources(tmp_path: Path, collect_home: Path) -> None:
    settings = crawl_settings(collect_home)
    with serve_platforms(tmp_path, {}) as site:
        write_site(tmp_path, site.base_url)
        entries = [
            {"name": "courrier", "url": "{base}/courrier/robots.txt", "url_pattern": r"/\d{4}/[\w-]+\.html$",
             "follow": ["news", "index"]},
            {"name": "not-a-sitemap", "url": "{base}/courrier/page.xml"},
            {"name": "rss-instead", "url": "{base}/courrier/feed.xml"},
        ]  # fmt: skip
        sources = sources_from([{"kind": "news_sitemap", **e} for e in entries], site.base_url)
        outcomes = collect(settings, sources)
        store = Store.open(settings)

        courrier = outcomes["courrier"]
        assert courrier.status == "partial", courrier.error
        assert courrier.counts["new"] == 2 and courrier.counts["too_old"] == 1
        assert courrier.counts["urls_not_articles"] == 1 and courrier.counts["sitemaps_not_followed"] == 1
        assert courrier.counts["rejected"] == {"sitemap_loop": 1, "http_error": 1}
        assert not site.log.paths("/courrier/archives.xml") and not site.log.paths(
            "/courrier/2025/ancien.html"
        )
        assert (
            outcomes["not-a-sitemap"].status == "failed"
            and "n'est pas un sitemap" in outcomes["not-a-sitemap"].error
        )
        assert outcomes["rss-instead"].status == "failed" and "<rss>" in outcomes["rss-instead"].error

        with store.session() as session:
            source_id = session.scalar(select(Source.id).where(Source.name == "courrier"))
            docs = {
                d.title: d for d in session.scalars(select(Document).where(Document.source_id == source_id))
            }
        school = docs["Fontclaire : l'école élémentaire passe au chauffage géothermique"]
        assert "sondes géothermiques" in school.text and "mentions légales" not in school.text
        assert school.territory == "Fontclaire" and school.extra["kind"] == "article"
        assert (datetime.now(UTC) - school.published_at).days <= 3  # the sitemap's lastmod

        again = collect(settings, [s for s in sources if s.name == "courrier"])["courrier"]
        assert "new" not in again.counts and len(site.log.paths("/courrier/2025/piscine.html")) == 1
        store.close()
