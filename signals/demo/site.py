"""Write the demo corpus as the web sites a real territory has: feeds, article pages, listings of PDF
deliberations, a consultation platform's JSON API, open-data CSV files; and its ``sources.yaml``.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable
from email.utils import format_datetime
from pathlib import Path

from signals.core.parsing import slug
from signals.core.sources import (
    ConsultationSource,
    ListingSource,
    RssSource,
    SeriesSource,
    SourcesFile,
    Territory,
)
from signals.demo.generate import DemoCorpus, DemoDocument
from signals.demo.territory import COMMUNES, COUNCILS, LAST_DAY, OUTLETS, TERRITORY_NAME

FEED_PAGE = 25
LISTING_PAGE = 20
API_PAGE = 25
ATOM = "http://www.w3.org/2005/Atom"


def write_site(corpus: DemoCorpus, root: Path) -> None:
    """Write every file of the demo sites under ``root`` (URLs are relative to the server's root)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /admin/\n", encoding="utf-8")
    by_source: dict[str, list[DemoDocument]] = defaultdict(list)
    for doc in corpus.documents:
        by_source[doc.source].append(doc)
    for outlet in OUTLETS:
        _write_outlet(
            root / "presse" / outlet.slug,
            outlet.slug,
            outlet.name,
            outlet.feed_format,
            outlet.follow_articles,
            by_source[outlet.slug],
        )
    for council in COUNCILS:
        _write_listing(root / "deliberations" / council.slug, council.body, by_source[council.slug])
    _write_consultation(root / "participer" / "api" / "proposals", by_source["participer"])
    _write_series(root / "opendata", corpus)
    _write_index(root)


def sources_file(base_url: str) -> SourcesFile:
    """The demo territory's source definitions, pointing at the demo server."""
    base = base_url.rstrip("/")
    sources: list = []
    for outlet in OUTLETS:
        sources.append(
            RssSource(
                kind="rss",
                name=outlet.slug,
                title=outlet.name,
                url=f"{base}/presse/{outlet.slug}/feed.xml",
                follow_articles=outlet.follow_articles,
                cadence="1h",
            )
        )
    for council in COUNCILS:
        territory = next((c.name for c in COMMUNES if c.slug == council.slug), None)
        sources.append(
            ListingSource(
                kind="listing",
                name=f"deliberations-{council.slug}",
                title=council.body,
                url=f"{base}/deliberations/{council.slug}/index.html",
                territory=territory,
                cadence="1d",
                item_selector="li.deliberation",
                link_selector="a::attr(href)",
                title_selector="a::text",
                date_selector=".date::text",
                number_selector=".numero::text",
                next_selector="a.suivant::attr(href)",
            )
        )
    sources.append(
        ConsultationSource(
            kind="consultation",
            name="participer",
            title="Participer en Val de Lirette, consultation citoyenne",
            url=f"{base}/participer/api/proposals/page-1.json",
            cadence="1d",
            series_titles={
                "proposals": "Propositions citoyennes déposées",
                "votes": "Votes sur les propositions citoyennes",
                "comments": "Commentaires sur les propositions citoyennes",
            },
        )
    )
    for indicator, unit, column, title in (
        ("nuitees", "nuitées", "Nuitées", "Nuitées touristiques"),
        ("frequentation", "visiteurs", "Visiteurs", "Fréquentation touristique"),
    ):
        sources.append(
            SeriesSource(
                kind="series",
                name=f"tourisme-{indicator}",
                title=f"Office de tourisme : {title.lower()}",
                series_title=title,
                url=f"{base}/opendata/tourisme-{indicator}.csv",
                cadence="1w",
                series=f"tourisme.{indicator}",
                unit=unit,
                delimiter=";",
                decimal=",",
                encoding="cp1252",
                columns={"period": "Mois", "value": column, "territory": "Commune"},
            )
        )
    return SourcesFile(
        territory=Territory(name=TERRITORY_NAME, communes=[c.name for c in COMMUNES]), sources=sources
    )


# --- press ---------------------------------------------------------------------------------------------


def article_path(outlet: str, doc: DemoDocument) -> str:
    return f"/presse/{outlet}/articles/{doc.published:%Y/%m}/{slug(doc.title, 60)}-{doc.id}.html"


def _write_outlet(
    folder: Path, slug: str, name: str, fmt: str, lead_only: bool, docs: list[DemoDocument]
) -> None:
    newest_first = sorted(docs, key=lambda d: d.published, reverse=True)
    for doc in newest_first:
        path = folder.parents[1] / article_path(slug, doc).lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_article_html(name, doc), encoding="utf-8")
    pages = max(1, math.ceil(len(newest_first) / FEED_PAGE))
    for page in range(1, pages + 1):
        chunk = newest_first[(page - 1) * FEED_PAGE : page * FEED_PAGE]
        next_name = f"feed-{page + 1}.xml" if page < pages else None
        writer = _rss if fmt == "rss" else _atom
        data = writer(slug, name, chunk, next_name, lead_only)
        (folder / ("feed.xml" if page == 1 else f"feed-{page}.xml")).write_bytes(data)


def _rss(slug: str, name: str, docs: list[DemoDocument], next_name: str | None, lead_only: bool) -> bytes:
    ET.register_namespace("atom", ATOM)
    rss = ET.Element("rss", version="2.0")
    channel = ET.SubElement(rss, "channel")
    ET.SubElement(channel, "title").text = name
    ET.SubElement(channel, "link").text = f"/presse/{slug}/"
    ET.SubElement(channel, "description").text = f"Actualités locales - {name}"
    ET.SubElement(channel, "language").text = "fr-FR"
    if next_name:
        ET.SubElement(channel, f"{{{ATOM}}}link", rel="next", href=next_name)
    for doc in docs:
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = doc.title
        ET.SubElement(item, "link").text = article_path(slug, doc)
        ET.SubElement(item, "guid", isPermaLink="false").text = doc.id
        ET.SubElement(item, "pubDate").text = format_datetime(doc.published)
        ET.SubElement(item, "category").text = doc.commune
        ET.SubElement(item, "description").text = doc.lead if lead_only else doc.text
    return ET.tostring(rss, encoding="utf-8", xml_declaration=True)


def _atom(slug: str, name: str, docs: list[DemoDocument], next_name: str | None, lead_only: bool) -> bytes:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = name
    ET.SubElement(feed, f"{{{ATOM}}}id").text = f"urn:demo:{slug}"
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = (
        docs[0].published.isoformat() if docs else f"{LAST_DAY}T00:00:00+00:00"
    )
    if next_name:
        ET.SubElement(feed, f"{{{ATOM}}}link", rel="next", href=next_name)
    for doc in docs:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}title").text = doc.title
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=article_path(slug, doc))
        ET.SubElement(entry, f"{{{ATOM}}}id").text = f"urn:demo:{doc.id}"
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = doc.published.isoformat()
        ET.SubElement(entry, f"{{{ATOM}}}published").text = doc.published.isoformat()
        ET.SubElement(entry, f"{{{ATOM}}}category", term=doc.commune)
        summary = ET.SubElement(entry, f"{{{ATOM}}}summary", type="text")
        summary.text = doc.lead if lead_only else doc.text
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _article_html(outlet: str, doc: DemoDocument) -> str:
    e = html.escape
    paragraphs = "\n".join(f"<p>{e(s.strip())}.</p>" for s in doc.text.rstrip(".").split(". ") if s.strip())
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>{e(doc.title)} - {e(outlet)}</title>
</head>
<body>
<header><nav><a href="/">Accueil</a> | <a href="#">Faits divers</a> | <a href="#">Sports</a> |
<a href="#">Culture</a> | <a href="#">Abonnez-vous</a></nav><p class="promo">Abonnez-vous dès 1 euro le premier mois
pour lire tous nos articles et recevoir notre lettre d'information quotidienne.</p></header>
<main><article>
<h1>{e(doc.title)}</h1>
<p class="meta">Publié le <time datetime="{doc.published.isoformat()}">{doc.published:%d/%m/%Y à %H:%M}</time>
- {e(doc.commune)}</p>
{paragraphs}
</article>
<aside><h2>À lire aussi</h2><ul><li><a href="#">Les résultats sportifs du week-end</a></li>
<li><a href="#">La météo de la semaine dans le Val de Lirette</a></li></ul></aside></main>
<footer><p>© {e(outlet)} - Mentions légales - Politique de confidentialité - Gérer les cookies</p></footer>
</body></html>
"""


# --- deliberations -------------------------------------------------------------------------------------


def _write_listing(folder: Path, body: str, docs: list[DemoDocument]) -> None:
    newest_first = sorted(docs, key=lambda d: (d.published, d.extra["number"]), reverse=True)
    (folder / "pdf").mkdir(parents=True, exist_ok=True)
    writer = _PdfWriter()
    for doc in newest_first:
        writer.write(folder / "pdf" / f"{doc.extra['number']}.pdf", body, doc)
    pages = max(1, math.ceil(len(newest_first) / LISTING_PAGE))
    e = html.escape
    for page in range(1, pages + 1):
        items = []
        for doc in newest_first[(page - 1) * LISTING_PAGE : page * LISTING_PAGE]:
            sitting = doc.extra["sitting"]
            day = f"{sitting[8:10]}/{sitting[5:7]}/{sitting[0:4]}"
            subject = doc.title.split(" : ", 1)[-1]
            items.append(
                f'<li class="deliberation"><span class="date">{day}</span> '
                f'<span class="numero">{doc.extra["number"]}</span> '
                f'<a href="pdf/{doc.extra["number"]}.pdf">{e(subject)}</a></li>'
            )
        nav = f'<a class="suivant" href="page-{page + 1}.html">Page suivante</a>' if page < pages else ""
        name = "index.html" if page == 1 else f"page-{page}.html"
        (folder / name).write_text(
            f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{e(body)} - délibérations</title>'
            f"</head><body><h1>{e(body)}</h1><h2>Délibérations</h2><ul>{''.join(items)}</ul>{nav}</body></html>",
            encoding="utf-8",
        )


class _PdfWriter:
    """Minutes as real PDF files (fpdf2). Core fonts (Latin-1) keep it fast: French accents are Latin-1."""

    def write(self, path: Path, body: str, doc: DemoDocument) -> None:
        from fpdf import FPDF

        pdf = FPDF(format="A4")
        pdf.set_creator("Val de Lirette")
        pdf.set_title(doc.title)
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        lines = [body.upper(), "Extrait du registre des délibérations", ""]
        lines += [s.strip().rstrip(".") + "." for s in doc.text.split(". ")]
        for line in lines:
            safe = (
                line.replace("\u2019", "'")
                .replace("\u0153", "oe")
                .encode("latin-1", "replace")
                .decode("latin-1")
            )
            pdf.multi_cell(0, 6, safe, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.output(str(path))


# --- consultation ---------------------------------------------------------------------------------------


def _write_consultation(folder: Path, docs: list[DemoDocument]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    newest_first = sorted(docs, key=lambda d: d.published, reverse=True)
    pages = max(1, math.ceil(len(newest_first) / API_PAGE))
    for page in range(1, pages + 1):
        data = [
            {
                "id": doc.id,
                "type": "proposal",
                "title": doc.title,
                "body": doc.text,
                "published_at": doc.published.isoformat(),
                "scope": doc.commune,
                "author": {"name": doc.extra["author"]},
                "votes_count": doc.extra["votes"],
                "comments_count": doc.extra["comments"],
                "state": "published",
            }
            for doc in newest_first[(page - 1) * API_PAGE : page * API_PAGE]
        ]
        links = {"self": f"page-{page}.json", "next": f"page-{page + 1}.json" if page < pages else None}
        payload = {"data": data, "links": links, "meta": {"total": len(newest_first), "page": page}}
        (folder / f"page-{page}.json").write_text(
            json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8"
        )


# --- open data -----------------------------------------------------------------------------------------


def _write_series(folder: Path, corpus: DemoCorpus) -> None:
    """French open-data conventions: semicolons, decimal comma, Windows-1252."""
    folder.mkdir(parents=True, exist_ok=True)
    for indicator, column in (("nuitees", "Nuitées"), ("frequentation", "Visiteurs")):
        buffer = io.StringIO()
        out = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        out.writerow(["Commune", "Mois", column])
        for obs in corpus.observations:
            if obs.indicator == f"tourisme.{indicator}":
                out.writerow([obs.commune, f"{obs.month:%Y-%m}", f"{obs.value:.1f}".replace(".", ",")])
        (folder / f"tourisme-{indicator}.csv").write_bytes(buffer.getvalue().encode("cp1252"))


def _write_index(root: Path) -> None:
    links: Iterable[str] = sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.name in ("feed.xml", "index.html", "page-1.json") or p.suffix == ".csv"
    )
    items = "".join(f'<li><a href="/{html.escape(link)}">{html.escape(link)}</a></li>' for link in links)
    (root / "index.html").write_text(
        f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{html.escape(TERRITORY_NAME)}</title>'
        f"</head><body><h1>{html.escape(TERRITORY_NAME)} (démonstration)</h1><ul>{items}</ul></body></html>",
        encoding="utf-8",
    )
