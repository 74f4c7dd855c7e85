"""``signals sources kinds`` and ``signals sources test`` for the platform kinds, as a user runs them: a
real process, a sources file, the platforms on a real HTTP server on 127.0.0.1; nothing is stored.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from signals.demo.platforms import DecidimApi, DecidimSpace, OdsPortal, UdataPortal
from tests.platformfixtures import serve_platforms
from tests.test_cli import run
from tests.test_collect_decidim import proposal
from tests.test_collect_icalendar import calendar, event
from tests.test_collect_scdl import act, table
from tests.test_collect_sdmx import series, specific
from tests.test_collect_udata import resource


def test_sources_kinds_lists_every_kind_with_its_options(tmp_path: Path) -> None:
    result = run(["sources", "kinds"], tmp_path, env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    for kind in (
        "rss",
        "listing",
        "consultation",
        "series",
        "decidim",
        "opendatasoft",
        "scdl_deliberations",
        "udata",
    ):
        assert f"\n{kind} : " in result.stdout
    described = json.loads(run(["sources", "kinds", "--json"], tmp_path).stdout)
    options = {k["kind"]: {o["name"]: o for o in k["options"]} for k in described}
    assert options["decidim"]["space_id"]["required"] and options["decidim"]["page_size"]["default"] == 50
    assert options["opendatasoft"]["fields"]["required"] and "url" in options["common"]


def test_sources_test_previews_the_platform_kinds(tmp_path: Path) -> None:
    decidim = DecidimApi({("participatoryProcess", "3"): DecidimSpace("budget", {"5": [
        proposal(1, "Fontclaire", "2025-03-03", 12, 3), proposal(2, "Montclar-le-Haut", "2025-03-04", 2, 0)]})})  # fmt: skip
    portal = OdsPortal({"nuitees": [{"mois": "2025-01-01", "commune": "Fontclaire", "nuitees": 1234.5}]})
    (tmp_path / "actes.csv").write_text(table([act("2025-002", "2025-03-14", "Tarifs de la médiathèque")]))
    (tmp_path / "agenda.ics").write_text(
        calendar(event("e1", ":20250314T180000Z", "Conseil municipal à Fontclaire"))
    )
    (tmp_path / "bdm.xml").write_text(specific(series("010598795", "Nuitées", "0", [("2024-11", "12", "A")])))
    (tmp_path / "visites.csv").write_text("Commune;Mois;Visites\nFontclaire;2025-01;40\n")
    udata = UdataPortal({"visites": {"resources": [
        resource("r1", "csv", "/visites.csv", "2025-02-01T00:00:00Z", "abc")]}})  # fmt: skip
    with serve_platforms(tmp_path, {"participer": decidim, "data": portal, "gouv": udata}) as site:
        sources = [
            {"name": "participer", "kind": "decidim", "url": f"{site.base_url}/participer/api", "space_id": "3"},
            {"name": "nuitees", "kind": "opendatasoft", "url": f"{site.base_url}/data", "dataset": "nuitees",
             "series": "tourisme.nuitees", "fields": {"period": "mois", "value": "nuitees", "territory": "commune"}},
            {"name": "actes", "kind": "scdl_deliberations", "url": f"{site.base_url}/actes.csv"},
            {"name": "agenda", "kind": "icalendar", "url": f"{site.base_url}/agenda.ics"},
            {"name": "insee", "kind": "sdmx", "url": f"{site.base_url}/bdm.xml", "series": "tourisme.insee"},
            {"name": "visites", "kind": "udata", "url": f"{site.base_url}/gouv", "dataset": "visites",
             "series": "culture.visites", "columns": {"period": "Mois", "value": "Visites", "territory": "Commune"}},
        ]  # fmt: skip
        territory = {"name": "Val de Test", "communes": ["Fontclaire", "Montclar-le-Haut"]}
        (tmp_path / "sources.yaml").write_text(yaml.safe_dump({"territory": territory, "sources": sources}))
        shown = {source["name"]: run(["sources", "test", source["name"]], tmp_path) for source in sources}
    for name, result in shown.items():
        assert result.returncode == 0, (name, result.stdout, result.stderr)
    assert "Proposition 1 pour Fontclaire" in shown["participer"].stdout
    assert "tourisme.nuitees/fontclaire 2025-01-01 = 1234.5" in shown["nuitees"].stdout
    assert "Tarifs de la médiathèque" in shown["actes"].stdout
    assert "Conseil municipal à Fontclaire" in shown["agenda"].stdout
    assert "tourisme.insee.010598795 2024-11-01 = 12" in shown["insee"].stdout
    assert "culture.visites/fontclaire 2025-01-01 = 40" in shown["visites"].stdout
    assert not (tmp_path / "var" / "signals.db").exists()  # a preview stores nothing


def test_readme_shows_a_valid_definition_of_every_kind() -> None:
    from signals.core.sources import SOURCE_KINDS, SourcesFile

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Sources", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    data = yaml.safe_load(block.replace(", ...]", "]"))
    kinds = {source.kind for source in SourcesFile.model_validate(data).sources}
    assert kinds == set(SOURCE_KINDS)
