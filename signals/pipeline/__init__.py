"""The pipeline: the one place that wires collectors, stages, models and reports together.

Each function is a stage over (store, settings) that records its run; the CLI, the scheduler and the
benchmarks call the same functions, re-exported here.
"""

from signals.pipeline.analyze import (
    AnalysisResult,
    ForecastOutcome,
    analyze,
    analyzed_weeks,
    forecast,
    replay,
)
from signals.pipeline.collect import (
    collect,
    collect_as_worker,
    import_path,
    prepare,
    preview_definition,
    preview_source,
    read_sources,
    read_territory,
    sync_sources,
)
from signals.pipeline.demo import DemoResult, demo_settings, run_demo
from signals.pipeline.publish import (
    BriefResult,
    ReportResult,
    archive,
    brief,
    deliver,
    deliveries,
    feedback_server,
    quarterly_report,
    resolve_quarter,
    resolve_week,
    retry_failed,
)

__all__ = [
    "AnalysisResult",
    "BriefResult",
    "DemoResult",
    "ForecastOutcome",
    "ReportResult",
    "analyze",
    "analyzed_weeks",
    "archive",
    "brief",
    "collect",
    "collect_as_worker",
    "deliver",
    "deliveries",
    "demo_settings",
    "feedback_server",
    "forecast",
    "import_path",
    "prepare",
    "preview_definition",
    "preview_source",
    "quarterly_report",
    "read_sources",
    "replay",
    "resolve_quarter",
    "resolve_week",
    "retry_failed",
    "run_demo",
    "sync_sources",
    "read_territory",
]
