"""Indicators: each series of the territory with its anomalies and forecast, and the commune barometer of a
quarter, with the numbers and charts of that quarter's report (``reports.quarterly.quarter_indicators``)
and the forecasts the forecast stage stored for it (nothing is fitted here)."""

from __future__ import annotations

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reports.forecasts import ForecastBand
from reports.quarterly import IndicatorView, quarter_indicators
from signals import pipeline
from signals.core.periods import parse_quarter
from signals.core.registry import signals_version
from signals.core.schema import Brief, ModelState, Observation
from signals.core.sources import SourceError
from signals.stages.series import stored_quarter_forecasts
from signals.web.pages import page
from signals.web.security import guarded


def _quarter(request: Request, session) -> str:  # type: ignore[no-untyped-def]
    asked = request.query_params.get("trimestre", "").upper()
    if asked:
        try:
            parse_quarter(asked)
            return asked
        except ValueError:
            pass
    reported = session.scalar(
        select(Brief.period).where(Brief.kind == "quarterly").order_by(Brief.period.desc()).limit(1)
    )
    return reported or pipeline.resolve_quarter(None, request.app.state.settings)


@guarded("read")
def indicators(request: Request) -> Response:
    settings = request.app.state.settings
    try:
        sources = pipeline.read_sources(settings)
        titles, communes = sources.titles(), sources.territory.communes
    except SourceError:
        titles, communes = {}, []
    with request.app.state.store.session() as session:
        label = _quarter(request, session)
        # the charts are drawn once per quarter and version of the data: the stages that write observations,
        # forecasts and series events all record their runs (signals_version), the others are checked too
        version = (
            signals_version(session),
            session.scalar(select(func.max(Observation.id))),
            session.scalar(select(func.max(ModelState.updated_at))),
        )

        def views() -> list[IndicatorView]:
            stored = stored_quarter_forecasts(session, label)

            def forecast(indicator: str, steps: int) -> ForecastBand | None:
                return ForecastBand.from_stored(stored[indicator], steps) if indicator in stored else None

            return quarter_indicators(session, label, communes, forecast, titles)

        key = ("indicators", label, tuple(communes), tuple(titles.items()), version)
        shown = request.app.state.kept.get(key, views)
        reported = list(
            session.scalars(
                select(Brief.period).where(Brief.kind == "quarterly").order_by(Brief.period.desc())
            )
        )
    return page(request, "indicators.html.j2", quarter=label, indicators=shown, quarters=reported)


routes = [Route("/indicateurs", indicators)]
