# ruff: noqa: F811 - pytest fixtures imported from tests.sitefixtures are used as arguments
"""The ``sdmx`` kind against SDMX 2.1 answers on a real HTTP server, shaped as INSEE's BDM sends them
(structure-specific SDMX-ML, series attributes IDBANK, TITLE_FR, UNIT_MEASURE, UNIT_MULT), a generic
SDMX-ML message and an SDMX-CSV file; then an SDMX error message, an HTML page, missing values and a series
without its key, and the next run asking from the newest stored period on.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from signals.core.schema import Observation
from signals.core.store import Store
from tests.platformfixtures import serve_platforms
from tests.sitefixtures import collect, collect_home, crawl_settings, sources_from  # noqa: F401

MESSAGE = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message"
COMMON = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common"
GENERIC = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/generic"
SPECIFIC = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/data/structurespecific"


def header(root: str, extra_ns: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><message:{root} xmlns:message="{MESSAGE}" '
        f'xmlns:common="{COMMON}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" {extra_ns}>'
        "<message:Header><message:ID>TEST</message:ID><message:Test>false</message:Test>"
        '<message:Prepared>2025-03-01T00:00:00</message:Prepared><message:Sender id="FR1"/>'
        '<message:Structure structureID="BDM" dimensionAtObservation="TIME_PERIOD">'
        '<common:StructureUsage><Ref agencyID="FR1" id="SERIES_BDM" version="1.0"/></common:StructureUsage>'
        "</message:Structure></message:Header>"
    )


def series(idbank: str, title: str, mult: str, observations: list[tuple[str, str, str]]) -> str:
    key = f'IDBANK="{idbank}" ' if idbank else ""
    obs = "".join(f'<Obs TIME_PERIOD="{p}" OBS_VALUE="{v}" OBS_STATUS="{s}"/>' for p, v, s in observations)
    return f'<Series {key}FREQ="M" TITLE_FR="{title}" UNIT_MEASURE="NOMBRE" UNIT_MULT="{mult}">{obs}</Series>'


def specific(*all_series: str) -> str:
    return (
        header("StructureSpecificData", f'xmlns:ss="{SPECIFIC}"')
        + '<message:DataSet ss:structureRef="BDM" action="Information">'
        + "".join(all_series)
        + "</message:DataSet></message:StructureSpecificData>"
    )


def generic() -> str:
    def obs(period: str, value: str) -> str:
        return f'<generic:Obs><generic:ObsDimension value="{period}"/><generic:ObsValue value="{value}"/></generic:Obs>'

    return (
        header("GenericData", f'xmlns:generic="{GENERIC}"')
        + '<message:DataSet structureRef="BDM"><generic:Series><generic:SeriesKey>'
        + '<generic:Value id="IDBANK" value="001"/><generic:Value id="FREQ" value="M"/></generic:SeriesKey>'
        + obs("2025-01", "7.5") + obs("2025-02", "8")
        + "</generic:Series></message:DataSet></message:GenericData>"
    )  # fmt: skip


def test_sdmx_sources(tmp_path: Path, collect_home: Path) -> None:
    nights = series("010598795", "Nuitées - Fontclaire", "3", [("2024-11", "1.5", "A"), ("2024-12", "2", "A"),
                    ("2025-01", "NaN", "O"), ("2025-01", "x", "A")])  # fmt: skip
    others = series("010598796", "Nuitées - autre", "0", [("2024-Q4", "40", "A")])
    (tmp_path / "bdm.xml").write_text(
        specific(nights, others, series("", "Sans idbank", "0", [("2024-11", "1", "A")]))
    )
    (tmp_path / "generic.xml").write_text(generic())
    (tmp_path / "bdm.csv").write_text(
        "DATAFLOW,IDBANK,FREQ,TIME_PERIOD,OBS_VALUE,OBS_STATUS,UNIT_MULT\n"
        "FR1:SERIES_BDM(1.0),010598795,M,2024-10,900,A,0\nFR1:SERIES_BDM(1.0),010598795,M,2024-09,,O,0\n"
    )
    (tmp_path / "renamed.csv").write_text("DATAFLOW,IDBANK,PERIODE,VALEUR\nFR1,1,2024-01,3\n")
    (tmp_path / "error.xml").write_text(
        f'<?xml version="1.0"?><message:Error xmlns:message="{MESSAGE}" xmlns:common="{COMMON}">'
        '<message:ErrorMessage code="100"><common:Text>NoRecordsFound</common:Text></message:ErrorMessage>'
        "</message:Error>"
    )
    (tmp_path / "page.xml").write_text("<html><body><p>Service indisponible</p></body></html>")
    common = {"kind": "sdmx", "territories": {"010598795": "Fontclaire"}}
    entries = [
        common | {"name": "insee", "url": "{base}/_limit/1/bdm.xml?detail=full", "series": "tourisme.nuitees-insee"},
        common | {"name": "generic", "url": "{base}/generic.xml", "series": "t.g"},
        common | {"name": "csv", "url": "{base}/bdm.csv", "format": "csv", "series": "t.c"},
        common | {"name": "renamed", "url": "{base}/renamed.csv", "format": "csv", "series": "t.r"},
        common | {"name": "error", "url": "{base}/error.xml", "series": "t.e"},
        common | {"name": "page", "url": "{base}/page.xml", "series": "t.p"},
    ]  # fmt: skip
    settings = crawl_settings(collect_home, retries=1)
    with serve_platforms(tmp_path, {}) as site:
        sources = sources_from(entries, site.base_url)
        outcomes = collect(settings, sources)
        status = {name: (o.status, o.error) for name, o in outcomes.items()}

        insee = outcomes["insee"]
        assert insee.status == "partial" and insee.counts["observations_new"] == 3
        assert insee.counts["rejected"] == {"missing_value": 1, "bad_value": 1, "schema_changed": 1}
        assert outcomes["generic"].counts["observations_new"] == 2
        assert outcomes["csv"].counts["observations_new"] == 1 and outcomes["csv"].counts["rejected"] == {
            "missing_value": 1
        }
        assert status["renamed"][0] == "failed" and "TIME_PERIOD, OBS_VALUE" in status["renamed"][1]
        assert status["error"][0] == "failed" and "erreur SDMX 100: NoRecordsFound" in status["error"][1]
        assert status["page"][0] == "failed" and "pas un message de données SDMX-ML" in status["page"][1]

        store = Store.open(settings)
        with store.session() as session:
            values = {
                (o.series, o.period.isoformat()): (o.value, o.territory)
                for o in session.scalars(select(Observation))
            }
        assert values[("tourisme.nuitees-insee/fontclaire", "2024-11-01")] == (
            1500.0,
            "Fontclaire",
        )  # UNIT_MULT 3
        assert values[("tourisme.nuitees-insee.010598796", "2024-10-01")] == (40.0, None)  # a quarter
        assert values[("t.g.001", "2025-02-01")] == (8.0, None)
        assert values[("t.c/fontclaire", "2024-10-01")] == (900.0, "Fontclaire")

        again = collect(settings, [s for s in sources if s.name == "insee"])["insee"]
        assert "startPeriod=2024-12" in site.log.paths("/_limit/1/bdm.xml")[-1]
        assert again.counts["observations_unchanged"] == 3
        store.close()
