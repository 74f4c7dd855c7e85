# ruff: noqa: F811 - pytest fixtures imported from tests.sitefixtures are used as arguments
"""The ``scdl_deliberations`` kind against SCDL « Délibérations » files on a real HTTP server: one act a
row, its PDF (or page) read when DELIB_URL links it, rows checked against the schema's columns with a
reason each; then a file in Windows-1252 with semicolons, a file whose columns changed, an HTML page
instead of a CSV, a rate limit, a 5xx, and a second run that fetches no act twice.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fpdf import FPDF
from sqlalchemy import select

from signals.core.schema import Document, Source
from signals.core.store import Store
from tests.platformfixtures import serve_platforms
from tests.sitefixtures import collect, collect_home, crawl_settings, sources_from  # noqa: F401

HEADER = ["COLL_NOM", "COLL_SIRET", "DELIB_ID", "DELIB_DATE", "DELIB_MATIERE_CODE", "DELIB_MATIERE_NOM",
          "DELIB_OBJET", "BUDGET_ANNEE", "BUDGET_NOM", "PREF_ID", "PREF_DATE", "VOTE_EFFECTIF", "VOTE_REEL",
          "VOTE_POUR", "VOTE_CONTRE", "VOTE_ABSTENTION", "DELIB_URL"]  # fmt: skip
SIRET = "21000000000017"


def act(number: str, day: str, subject: str, url: str = "", **cells: str) -> dict[str, str]:
    row = dict.fromkeys(HEADER, "") | {
        "COLL_NOM": "Commune de Fontclaire", "COLL_SIRET": SIRET, "DELIB_ID": number, "DELIB_DATE": day,
        "DELIB_MATIERE_CODE": "8.4", "DELIB_MATIERE_NOM": "Domaines de compétences par thèmes/Aménagement",
        "DELIB_OBJET": subject, "VOTE_EFFECTIF": "23", "VOTE_REEL": "21", "VOTE_POUR": "19",
        "VOTE_CONTRE": "2", "VOTE_ABSTENTION": "0", "DELIB_URL": url,
    }  # fmt: skip
    return row | cells


def table(rows: list[dict[str, str]], header: list[str] = HEADER, delimiter: str = ",") -> str:
    buffer = io.StringIO()
    out = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    out.writerow(header)
    out.writerows([[row.get(name, "") for name in header] for row in rows])
    return buffer.getvalue()


def pdf(path: Path, lines: list[str]) -> None:
    document = FPDF()
    document.add_page()
    document.set_font("Helvetica", size=11)
    for line in lines:
        document.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    path.parent.mkdir(parents=True, exist_ok=True)
    document.output(str(path))


def write_files(root: Path, base: str) -> None:
    pdf(root / "actes" / "2025-001.pdf", ["CONSEIL MUNICIPAL DE FONTCLAIRE", "Extrait du registre des délibérations",
        "Le conseil approuve la révision du plan local d'urbanisme et la création d'une zone de fraîcheur."])  # fmt: skip
    (root / "actes" / "2025-008.html").write_text(
        "<html><head><title>Délibération 2025-008</title></head><body><main><h1>Délibération 2025-008</h1>"
        "<p>Le conseil municipal approuve la convention de gestion de la cantine scolaire avec la caisse des "
        "écoles pour les années 2025 à 2027, et autorise le maire à la signer.</p></main></body></html>",
        encoding="utf-8",
    )
    rows = [
        act("2025-001", "2025-03-14", "Révision du plan local d'urbanisme", f"{base}/actes/2025-001.pdf",
            BUDGET_ANNEE="2025"),
        act("2025-002", "2025-03-14", "Tarifs de la médiathèque pour 2025-2026"),
        act("2025-003", "2025-03-14", "Subvention au club de football", COLL_SIRET="2100000000"),
        act("2025-004", "14/03/2025", "Désignation d'un délégué"),
        act("2025-005", "2025-04-11", "Création d'un poste d'agent technique", VOTE_POUR="vingt",
            BUDGET_ANNEE="25"),
        act("2025-006", "2025-04-11", "Convention avec le syndicat des eaux", f"{base}/actes/absent.pdf"),
        act("2025-007", "2025-04-11", "", ""),
        act("2025-008", "2025-04-11", "Convention de gestion de la cantine", f"{base}/actes/2025-008.html"),
    ]  # fmt: skip
    text = table(rows)
    text += '"Commune de Fontclaire","' + SIRET + '","2025-009"\r\n'  # a row cut short
    (root / "deliberations.csv").write_text(text, encoding="utf-8")
    latin = [
        act(
            "2024-101",
            "2024-11-02",
            "Dénomination de la rue des Étangs",
            COLL_NOM="Commune de Lirac-sur-Lirette",
        )
    ]
    (root / "lirac.csv").write_bytes(table(latin, delimiter=";").encode("cp1252"))
    renamed = [name if name != "DELIB_OBJET" else "OBJET" for name in HEADER]
    (root / "renamed.csv").write_text(
        table([act("1", "2025-01-01", "x") | {"OBJET": "x"}], renamed), encoding="utf-8"
    )
    (root / "page.csv").write_text(
        "<html><body><h1>Portail en maintenance</h1></body></html>", encoding="utf-8"
    )


def test_scdl_sources(tmp_path: Path, collect_home: Path) -> None:
    settings = crawl_settings(collect_home, retries=1)
    with serve_platforms(tmp_path, {}) as site:
        write_files(tmp_path, site.base_url)
        entries = [
            {"name": "fontclaire", "url": "{base}/_limit/1/deliberations.csv", "territory": "Fontclaire"},
            {"name": "lirac", "url": "{base}/lirac.csv"},
            {"name": "rows-only", "url": "{base}/deliberations.csv", "read_documents": False},
            {"name": "renamed", "url": "{base}/renamed.csv"},
            {"name": "page", "url": "{base}/page.csv"},
            {"name": "down", "url": "{base}/_status/500/deliberations.csv"},
        ]
        sources = sources_from([{"kind": "scdl_deliberations", **e} for e in entries], site.base_url)
        outcomes = collect(settings, sources)
        store = Store.open(settings)

        fontclaire = outcomes["fontclaire"]
        assert fontclaire.status == "partial", fontclaire.error
        assert fontclaire.counts["rejected"] == {"schema_violation": 3, "malformed_row": 1}
        assert fontclaire.counts["new"] == 5 and fontclaire.counts["acts_unreadable"] == 1
        assert len(site.log.paths("/_limit/1/")) == 2  # 429 with Retry-After, then the file
        assert outcomes["rows-only"].counts["items"] == 5 and not site.log.paths("/actes/2025-001.pdf")[1:]
        assert outcomes["lirac"].status == "ok" and outcomes["lirac"].counts["items"] == 1
        renamed = outcomes["renamed"]
        assert renamed.status == "failed" and "DELIB_OBJET" in renamed.error
        assert renamed.counts["rejected"] == {"schema_changed": 1}
        assert outcomes["page"].status == "failed" and "COLL_NOM" in outcomes["page"].error
        assert outcomes["down"].status == "failed" and "HTTP 500" in outcomes["down"].error

        with store.session() as session:

            def documents(name: str) -> dict[str, Document]:
                source_id = session.scalar(select(Source.id).where(Source.name == name))
                docs = session.scalars(select(Document).where(Document.source_id == source_id))
                return {d.external_id.split("/")[-1]: d for d in docs}

            acts = documents("fontclaire")
            lirac = documents("lirac")
        assert sorted(acts) == ["2025-001", "2025-002", "2025-005", "2025-006", "2025-008"]
        plu = acts["2025-001"]
        assert plu.title == "Révision du plan local d'urbanisme" and plu.url.endswith("/actes/2025-001.pdf")
        assert (
            "zone de fraîcheur" in plu.text
            and plu.published_at.astimezone(settings.tz).date().isoformat() == "2025-03-14"
        )
        assert plu.extra["votes"] == {"effectif": 23, "votants": 21, "pour": 19, "contre": 2, "abstention": 0}
        assert plu.extra["matter_code"] == "8.4" and plu.extra["budget_year"] == "2025"
        assert plu.extra["document"] == "pdf" and plu.extra["number"] == "2025-001"
        assert acts["2025-002"].extra["document"] == "row" and acts["2025-002"].url is None
        assert acts["2025-005"].extra["votes"] == {
            "effectif": 23,
            "votants": 21,
            "contre": 2,
            "abstention": 0,
        }
        assert "budget_year" not in acts["2025-005"].extra
        assert acts["2025-006"].extra["document"] == "row"  # its PDF is missing: kept from the row
        assert "cantine scolaire" in acts["2025-008"].text and acts["2025-008"].extra["document"] == "html"
        assert lirac["2024-101"].title == "Dénomination de la rue des Étangs"
        assert lirac["2024-101"].territory == "Lirac-sur-Lirette"

        only = [s for s in sources if s.name == "fontclaire"]
        assert collect(settings, only)["fontclaire"].counts["not_modified"] == 1  # the file is unchanged
        with (tmp_path / "deliberations.csv").open("a", encoding="utf-8") as file:
            file.write(table([act("2025-010", "2025-05-16", "Rénovation du gymnase")]).split("\r\n", 1)[1])
        again = collect(settings, only)["fontclaire"]
        assert again.counts["known"] == 2 and again.counts["new"] == 1  # acts read once are not fetched again
        assert len(site.log.paths("/actes/2025-001.pdf")) == 1
        store.close()
