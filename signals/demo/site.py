"""Write the demo corpus as the web sites a real territory has: feeds, article pages, listings of PDF
deliberations and SCDL « Délibérations » files, a Decidim platform, an OpenDataSoft portal and an open-data
CSV file; and its ``sources.yaml``.
"""

from __future__ import annotations

import csv
import html
import io
import math
import xml.etree.ElementTree as ET
import zlib
from collections import defaultdict
from collections.abc import Iterable
from email.utils import format_datetime
from pathlib import Path

from signals.core.parsing import slug
from signals.core.sources import (
    DecidimSource,
    ListingSource,
    OpenDataSoftSource,
    RssSource,
    ScdlDeliberationsSource,
    SeriesSource,
    SourcesFile,
    Territory,
)
from signals.demo.generate import DemoCorpus, DemoDocument
from signals.demo.platforms import DecidimSpace, save_decidim, save_ods
from signals.demo.territory import COMMUNES, COUNCILS, LAST_DAY, OUTLETS, TERRITORY_NAME

FEED_PAGE = 25
LISTING_PAGE = 20
# Councils that publish their acts as an SCDL « Délibérations » file (the others as an HTML listing).
SCDL_COUNCILS = ("agglomeration", "lirac-sur-lirette")
DECIDIM_PROCESS = ("1", "budget-participatif", "7")  # the participatory process's id, slug, component
ODS_DATASET = "tourisme-nuitees"
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
        _write_scdl(root / "deliberations" / council.slug, council.body, by_source[council.slug])
    _write_decidim(root, by_source["participer"])
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
        name, folder = f"deliberations-{council.slug}", f"{base}/deliberations/{council.slug}"
        if council.slug in SCDL_COUNCILS:
            sources.append(
                ScdlDeliberationsSource(
                    kind="scdl_deliberations",
                    name=name,
                    title=council.body,
                    url=f"{folder}/deliberations.csv",
                    territory=territory,
                    cadence="1d",
                )
            )
            continue
        sources.append(
            ListingSource(
                kind="listing",
                name=name,
                title=council.body,
                url=f"{folder}/index.html",
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
        DecidimSource(
            kind="decidim",
            name="participer",
            title="Participer en Val de Lirette, consultation citoyenne",
            url=f"{base}/participer/api",
            space_id=DECIDIM_PROCESS[0],
            cadence="1d",
            series_titles={
                "proposals": "Propositions citoyennes déposées",
                "votes": "Votes sur les propositions citoyennes",
                "comments": "Commentaires sur les propositions citoyennes",
            },
        )
    )
    sources.append(
        OpenDataSoftSource(
            kind="opendatasoft",
            name="tourisme-nuitees",
            title="Office de tourisme : nuitées touristiques",
            series_title="Nuitées touristiques",
            url=f"{base}/opendata",
            dataset=ODS_DATASET,
            cadence="1w",
            series="tourisme.nuitees",
            unit="nuitées",
            fields={"period": "mois", "value": "nuitees", "territory": "commune"},
            date_field="mois",
        )
    )
    sources.append(
        SeriesSource(
            kind="series",
            name="tourisme-frequentation",
            title="Office de tourisme : fréquentation touristique",
            series_title="Fréquentation touristique",
            url=f"{base}/opendata/tourisme-frequentation.csv",
            cadence="1w",
            series="tourisme.frequentation",
            unit="visiteurs",
            delimiter=";",
            decimal=",",
            encoding="cp1252",
            columns={"period": "Mois", "value": "Visiteurs", "territory": "Commune"},
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


# --- participation and acts ----------------------------------------------------------------------------


def _write_decidim(root: Path, docs: list[DemoDocument]) -> None:
    """The proposals as a Decidim instance types them (ProposalType), newest first, with a public page each."""
    ident, slug_, component = DECIDIM_PROCESS
    nodes = []
    for doc in sorted(docs, key=lambda d: d.published, reverse=True):
        nodes.append(
            {
                "id": doc.id,
                "title": {"translation": doc.title, "translations": [{"locale": "fr", "text": doc.title}]},
                "body": {"translation": doc.text, "translations": [{"locale": "fr", "text": doc.text}]},
                "publishedAt": doc.published.isoformat(),
                "state": None,
                "voteCount": doc.extra["votes"],
                "totalCommentsCount": doc.extra["comments"],
                "authorsCount": 1,
                "category": None,
                "scope": {"name": {"translation": doc.commune, "translations": []}},
            }
        )
        page = root / "processes" / slug_ / "f" / component / "proposals" / doc.id / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(
            f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{html.escape(doc.title)}</title>'
            f"</head><body><h1>{html.escape(doc.title)}</h1><p>{html.escape(doc.text)}</p></body></html>",
            encoding="utf-8",
        )
    save_decidim(
        root, "participer", {("participatoryProcess", ident): DecidimSpace(slug_, {component: nodes})}
    )


def _write_scdl(folder: Path, body: str, docs: list[DemoDocument]) -> None:
    """The council's acts as an SCDL « Délibérations » file (UTF-8, commas), each linking its PDF."""
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\r\n")
    out.writerow(["COLL_NOM", "COLL_SIRET", "DELIB_ID", "DELIB_DATE", "DELIB_MATIERE_CODE", "DELIB_MATIERE_NOM",
                  "DELIB_OBJET", "BUDGET_ANNEE", "BUDGET_NOM", "PREF_ID", "PREF_DATE", "VOTE_EFFECTIF",
                  "VOTE_REEL", "VOTE_POUR", "VOTE_CONTRE", "VOTE_ABSTENTION", "DELIB_URL"])  # fmt: skip
    siret = f"2{zlib.crc32(body.encode()) % 10**8:08d}00017"
    for doc in sorted(docs, key=lambda d: (d.published, d.extra["number"]), reverse=True):
        subject = doc.title.split(" : ", 1)[-1]
        out.writerow([body, siret, doc.extra["number"], doc.extra["sitting"], "9.1",
                      "Autres domaines de compétences/Autres domaines de compétences des communes", subject,
                      "", "", "", "", "", "", "", "", "", f"pdf/{doc.extra['number']}.pdf"])  # fmt: skip
    (folder / "deliberations.csv").write_text(buffer.getvalue(), encoding="utf-8")


# --- open data -----------------------------------------------------------------------------------------


def _write_series(folder: Path, corpus: DemoCorpus) -> None:
    """Tourist nights on the portal (OpenDataSoft records); visitors as a CSV file with French conventions:
    semicolons, decimal comma, Windows-1252."""
    folder.mkdir(parents=True, exist_ok=True)
    records = [
        {"mois": obs.month.isoformat(), "commune": obs.commune, "nuitees": float(f"{obs.value:.1f}")}
        for obs in corpus.observations
        if obs.indicator == "tourisme.nuitees"
    ]
    save_ods(folder.parent, "opendata", ODS_DATASET, records)
    buffer = io.StringIO()
    out = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    out.writerow(["Commune", "Mois", "Visiteurs"])
    for obs in corpus.observations:
        if obs.indicator == "tourisme.frequentation":
            out.writerow([obs.commune, f"{obs.month:%Y-%m}", f"{obs.value:.1f}".replace(".", ",")])
    (folder / "tourisme-frequentation.csv").write_bytes(buffer.getvalue().encode("cp1252"))


def _write_index(root: Path) -> None:
    links: Iterable[str] = sorted(
        str(p.relative_to(root))
        for p in root.rglob("*")
        if (p.name in ("feed.xml", "index.html") and "processes" not in p.parts) or p.suffix == ".csv"
    )
    items = "".join(f'<li><a href="/{html.escape(link)}">{html.escape(link)}</a></li>' for link in links)
    (root / "index.html").write_text(
        f'<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>{html.escape(TERRITORY_NAME)}</title>'
        f"</head><body><h1>{html.escape(TERRITORY_NAME)} (démonstration)</h1><ul>{items}</ul></body></html>",
        encoding="utf-8",
    )
