"""Detection on real French TV news (news-fr-dev, ../shared/data): import, weekly replay, burst baseline.

The development corpus of issue 12: 48k news reports of 2013–2016 and 9 dated events. The service's
backtest and the keyword-burst baseline (``bench.detection.spike_baseline``) replay the same weeks with the
same budget; per event: first flag, the signal's kind, lead after onset and weeks before the peak, and the
floor of the lead (``bench.detection.oracle_leads``: the week the event's own documents first pass the tests).

    python -m bench.news [--quick] [--home DIR] [--flags FILE]

``--quick`` replays 2015-09..2016-06 (five events) instead of 2014-06..2016-12. ``--home`` keeps the
imported store in DIR and reuses it on the next run (the import and the term cache take a few minutes).
The corpus is read from ``../shared/data/news-fr-dev``; nothing of it is copied into the repository.
"""

from __future__ import annotations

import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench.common import emit, parser, peak_rss_mb, scores_line, shared_data
from bench.detection import oracle_leads, oracle_line, oracle_summary, spike_baseline
from signals.core.settings import Settings
from signals.core.sources import SourcesFile, Territory, dump_sources
from signals.core.store import Store
from signals.stages.backtest import BacktestResult, backtest, load_events
from signals.stages.importer import import_file

FULL = (date(2014, 6, 1), date(2016, 12, 31))
QUICK = (date(2015, 9, 1), date(2016, 6, 30))
BUDGET = 5
IMPORTED = "imported.ok"  # written once the whole corpus is in the store


def _store(home: Path) -> tuple[Settings, Store, bool]:
    """Settings and store in ``home``; True when the corpus is already imported there."""
    home.mkdir(parents=True, exist_ok=True)
    sources = home / "sources.yaml"
    if not sources.exists():  # national news: no territory, no gazetteer
        dump_sources(SourcesFile(territory=Territory(name="news-fr-dev", communes=[])), sources)
    settings = Settings(home=home / "var", sources_file=sources, embedding_model="hashing")
    return settings, Store.open(settings), (home / IMPORTED).exists()


def _print(label: str, result: BacktestResult, floor: dict[str, int | None]) -> dict[str, Any]:
    s = result.scores()
    print(scores_line(label, s))
    for event, d in s["per_event_detail"].items():
        print(
            f"    {event:20} onset {d['onset']}  first flag {d['first_flag']}  kind {d.get('signal_kind')}  "
            f"lead {d['lead_weeks']} (floor {floor.get(event)})  peak {d['peak_week']}  "
            f"before peak {d['weeks_before_peak']}"
        )
    keep = ("recall", "median_lead_weeks", "false_alerts_per_week", "precision", "flagged", "weeks")
    return {k: s[k] for k in keep} | {
        "per_event": {
            name: {k: d.get(k) for k in ("first_flag", "signal_kind", "lead_weeks", "weeks_before_peak")}
            for name, d in s["per_event_detail"].items()
        }
    }


def main() -> None:
    p = parser("Detection on real French news (news-fr-dev): service against keyword-burst baseline")
    p.add_argument("--home", type=Path, default=None, help="keep (and reuse) the imported store here")
    p.add_argument("--flags", type=Path, default=None, help="write the service's weekly flags (JSON Lines)")
    args = p.parse_args()
    data = shared_data("news-fr-dev")
    started = time.perf_counter()
    home = args.home or Path(tempfile.mkdtemp(prefix="bench-news-"))
    settings, store, imported = _store(home)
    import_s = 0.0
    if not imported:
        t = time.perf_counter()
        import_file(store, settings, data / "corpus.jsonl.gz")
        import_s = time.perf_counter() - t
        (home / IMPORTED).write_text("news-fr-dev\n")
    events = load_events(data / "events.json")
    first, last = QUICK if args.quick else FULL
    print(f"news-fr-dev: weeks {first}..{last}, budget {BUDGET}")
    t = time.perf_counter()
    ours = backtest(store, settings, first, last, events, BUDGET, out=args.flags)
    ours_s = time.perf_counter() - t
    t = time.perf_counter()
    base = spike_baseline(store, settings, first, last, events, BUDGET, [])
    base_s = time.perf_counter() - t
    floor = oracle_leads(store, settings, first, last, [e for e in events if first <= e.onset <= last], [])
    store.close()
    print(oracle_line(floor))
    service = _print("service", ours, floor) | {"replay_s": round(ours_s, 1)}
    baseline = _print("baseline", base, floor) | {"replay_s": round(base_s, 1)}
    headline = ("recall", "median_lead_weeks", "false_alerts_per_week", "precision")
    emit(
        {k: service[k] for k in headline}
        | {
            "service": service,
            "baseline": baseline,
            "floor": oracle_summary(floor),
            "budget": BUDGET,
            "period": [first.isoformat(), last.isoformat()],
            "quick": args.quick,
            "import_s": round(import_s, 1),
            "wall_s": round(time.perf_counter() - started, 1),
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }
    )


if __name__ == "__main__":
    main()
