"""Detection quality: recall, lead time after onset, false alerts per week and precision of the weekly
analysis, replayed week by week (``signals.stages.backtest``) on corpora with known answers:

- the demo territory (its four planted themes);
- a larger generated corpus: a background of local news, 12 emerging themes planted with various onsets and
  growth speeds, and 12 decoys (one-off spikes, seasonal themes, a steady rare theme) that must not alarm;
  and the planted cases of issue 12, each with its own figures: a variant growing inside an established
  epidemic (``sub-theme``), a theme's second wave far above its first (``resurgence``), a shortage lasting
  three weeks (``event``). Spikes of two weeks or more are lasting events in the ground truth (kind
  ``event``): the service is to raise them as events; one-week spikes must stay out.

A keyword-frequency-spike baseline runs in the same replay: a term is flagged the first week its count is at
least 3 and above the mean plus 3 standard deviations of its previous 8 weeks.

    python -m bench.detection [--quick]
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from bench.common import emit, parser, peak_rss_mb, scores_line
from models.terms import TermExtractor
from signals.core.periods import week_start, weeks_between
from signals.core.settings import Settings
from signals.core.sources import SourcesFile, Territory, dump_sources
from signals.core.store import Store
from signals.demo.synthetic import Decoy, Plant, synthetic_corpus
from signals.demo.themes import DECOYS, EMERGING, LASTING, PARENTS, RETURNING, VARIANTS
from signals.stages.analysis import document_texts
from signals.stages.backtest import BacktestResult, Event, Flag, _matching_event, _score_events, backtest
from signals.stages.importer import import_file
from signals.stages.window import load_window

FIRST = date(2024, 1, 1)
SPIKE_WEEKS, SPIKE_SIGMAS, SPIKE_MIN = 8, 3.0, 3


def _workspace(communes: list[str]) -> tuple[Settings, Store]:
    home = Path(tempfile.mkdtemp(prefix="bench-detection-"))
    dump_sources(
        SourcesFile(territory=Territory(name="Banc d'essai", communes=communes)), home / "sources.yaml"
    )
    # Topics on the lexical hashing embedder: the e5 model would take 15 minutes for the 50k documents, and
    # the weak-signal scores come from the terms; bench.embedding and bench.scale measure the e5 model.
    settings = Settings(home=home / "var", sources_file=home / "sources.yaml", embedding_model="hashing")
    return settings, Store.open(settings)


def _import(store: Store, settings: Settings, records: list[dict[str, Any]]) -> float:
    path = settings.home / "corpus.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    started = time.perf_counter()
    import_file(store, settings, path)
    return time.perf_counter() - started


def _events(raw: list[dict[str, Any]]) -> list[Event]:
    import re

    return [
        Event(
            e["name"],
            date.fromisoformat(e["onset"]),
            [re.compile(p, re.I) for p in e["patterns"]],
            e.get("kind"),
        )
        for e in raw
    ]


def spike_baseline(
    store: Store,
    settings: Settings,
    first: date,
    last: date,
    events: list[Event],
    budget: int,
    gazetteer: list[str],
) -> BacktestResult:
    """The keyword-frequency-spike baseline, scored like the service's backtest."""
    extractor = TermExtractor(extra_stop=gazetteer)
    weeks = weeks_between(first, last)
    result = BacktestResult(first, last, budget, weeks, [], events)
    flagged_terms: set[int] = set()
    for week in weeks:
        with store.session() as session:
            window = load_window(session, min(week + timedelta(days=6), last), settings, extractor)
            if len(window.doc_ids) == 0:
                continue
            counts = window.weekly(window.terms)  # weeks x terms
            now, past = counts[-1], counts[-1 - SPIKE_WEEKS : -1]
            z = (now - past.mean(axis=0)) / (past.std(axis=0) + 1.0)
            hits = np.flatnonzero((now >= SPIKE_MIN) & (z >= SPIKE_SIGMAS))
            hits = [h for h in hits[np.argsort(-z[hits])] if int(window.term_hashes[h]) not in flagged_terms]
            this_week = np.flatnonzero(window.week_of_doc == len(window.weeks) - 1)
            for column in hits[:budget]:
                flagged_terms.add(int(window.term_hashes[column]))
                rows = this_week[np.asarray(window.terms[this_week, column].todense()).ravel() > 0][:5]
                ids = [int(i) for i in window.doc_ids[rows]]
                texts = document_texts(session, window.doc_ids[rows])
                result.flags.append(
                    Flag(week, f"term {column}", float(z[column]), ids, _matching_event(events, texts, week))
                )
    _score_events(store, settings, result)
    return result


def oracle_leads(
    store: Store, settings: Settings, first: date, last: date, events: list[Event], gazetteer: list[str]
) -> dict[str, int | None]:
    """Weeks after onset at which each event's own documents (those its patterns match) first pass the
    service's tests as one theme (weak signal, lasting event or resurgence): the earliest any grouping of
    terms could flag it. A floor of the service's lead, set by the tests themselves."""
    from sqlalchemy import select

    from signals.core.schema import Document
    from signals.stages.analysis import score_columns

    with store.session() as session:
        texts = session.execute(select(Document.id, Document.title, Document.text)).all()
    held = [
        np.array(sorted(i for i, t, x in texts if e.matches(f"{t}\n{x}")), dtype=np.int64) for e in events
    ]
    extractor = TermExtractor(extra_stop=gazetteer)
    leads: dict[str, int | None] = {e.name: None for e in events}
    for week in weeks_between(first, last):
        waiting = [k for k, e in enumerate(events) if leads[e.name] is None and week_start(e.onset) <= week]
        if not waiting:
            continue
        with store.session() as session:
            window = load_window(session, min(week + timedelta(days=6), last), settings, extractor)
        if len(window.doc_ids) == 0:
            continue
        indicator = sparse.csr_matrix(np.stack([np.isin(window.doc_ids, held[k]) for k in waiting], axis=1))
        scores = score_columns(window, indicator.astype(np.float32), settings)
        assert scores.event is not None and scores.resurgent is not None
        for j, k in enumerate(waiting):
            if scores.weak[j] or scores.event[j] or scores.resurgent[j]:
                leads[events[k].name] = (week - week_start(events[k].onset)).days // 7
    return leads


def oracle_summary(leads: dict[str, int | None]) -> dict[str, Any]:
    found = [lead for lead in leads.values() if lead is not None]
    return {
        "recall": round(len(found) / len(leads), 3) if leads else None,
        "median_lead_weeks": statistics.median(found) if found else None,
        "per_event": leads,
    }


def oracle_line(leads: dict[str, int | None]) -> str:
    o = oracle_summary(leads)
    return f"  floor     recall {o['recall']}  median lead {o['median_lead_weeks']}  (each event's own documents)"


def _summary(result: BacktestResult) -> dict[str, Any]:
    scores = result.scores()
    keep = ("recall", "median_lead_weeks", "false_alerts_per_week", "precision", "flagged", "events", "weeks")
    return {k: scores[k] for k in keep} | {
        "per_event": scores["per_event"],
        "per_kind": by_kind(scores["per_event_detail"]),
    }


def by_kind(detail: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Recall and median lead of each kind of planted event (gradual, sub-theme, resurgence, event)."""
    kinds: dict[str, list[dict[str, Any]]] = {}
    for d in detail.values():
        kinds.setdefault(str(d["kind"]), []).append(d)
    out = {}
    for kind, ds in sorted(kinds.items()):
        leads = [d["lead_weeks"] for d in ds if d["first_flag"]]
        out[kind] = {
            "events": len(ds),
            "recall": round(len(leads) / len(ds), 3),
            "median_lead_weeks": statistics.median(leads) if leads else None,
            "as": sorted({str(d.get("signal_kind")) for d in ds if d["first_flag"]}),
        }
    return out


def large_corpus(quick: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str], int]:
    """Background news, 12 emerging themes of various growth speeds, 12 decoys. Returns records, events,
    communes and the number of weeks."""
    from signals.demo.territory import COMMUNES

    communes = [c.name for c in COMMUNES]
    weeks = 60 if quick else 104
    per_week = 60 if quick else 440
    plants_from = 36 if quick else 60
    speeds = [(0.8, 1.12), (1.0, 1.2), (1.5, 1.3), (0.6, 1.1), (1.2, 1.25), (2.0, 1.4)]
    themes = EMERGING[:6] if quick else EMERGING
    plants = [
        Plant(
            theme,
            onset=plants_from + (i * 3) % (weeks - plants_from - 6),
            start_rate=speeds[i % len(speeds)][0] * (1 if quick else 2.5),
            growth=speeds[i % len(speeds)][1],
            cap=8.0 if quick else 25.0,
            spread_every=3,
        )
        for i, theme in enumerate(themes)
    ]
    scale = 1 if quick else 4
    spikes = [
        Decoy(DECOYS[i], "spike", start=plants_from + 2 + 5 * i, weeks=1 + (i % 2), rate=12.0 * scale)
        for i in range(4)
    ]
    seasonal = [
        Decoy(DECOYS[4 + i], "seasonal", start=(48 + 6 * i) % 52, weeks=3, rate=3.0 * scale) for i in range(4)
    ]
    others = [
        Decoy(DECOYS[8], "spike", start=weeks - 8, weeks=2, rate=8.0 * scale),
        Decoy(DECOYS[9], "spike", start=plants_from + 20, weeks=1, rate=15.0 * scale),
        Decoy(DECOYS[10], "seasonal", start=2, weeks=4, rate=2.0 * scale),
        Decoy(DECOYS[11], "steady", rate=0.7 * scale),
    ]
    decoys = spikes + seasonal + (others[:2] if quick else others)
    plants += planted_cases(weeks - plants_from, plants_from, scale)
    decoys.append(Decoy(LASTING[0], "spike", start=plants_from + 11, weeks=3, rate=10.0 * scale))
    corpus = synthetic_corpus(
        weeks,
        per_week,
        plants,
        decoys,
        first_monday=FIRST,
        communes=communes,
        seed=2024,
        lasting_events=True,
    )
    return corpus.records, corpus.events, communes, weeks


def planted_cases(span: int, start: int, scale: int) -> list[Plant]:
    """Issue 12's planted cases inside ``span`` weeks from week ``start``: an epidemic established from
    the start and its variant growing inside it from a third of the span; a theme whose first wave fades
    and whose second wave, from half the span, grows to ten times the first."""
    parent, variant, wave = PARENTS[0], VARIANTS[0], RETURNING[0]
    third = span // 3
    return [
        Plant(parent, onset=start - 2, start_rate=1.0 * scale, growth=1.4, cap=5.0 * scale, spread_every=2),
        Plant(
            variant,
            onset=start + third,
            start_rate=0.8 * scale,
            growth=1.3,
            cap=6.0 * scale,
            kind="sub-theme",
        ),
        Plant(wave, onset=start - 2, start_rate=1.0 * scale, growth=1.3, cap=2.0 * scale, until=start + 6),
        Plant(
            wave,
            onset=start + span // 2,
            start_rate=2.0 * scale,
            growth=1.6,
            cap=20.0 * scale,
            spread_every=2,
            name=f"{wave.name}_resurgence",
            kind="resurgence",
        ),
    ]


def evaluate(
    name: str,
    records: list[dict[str, Any]],
    raw_events: list[dict[str, Any]],
    communes: list[str],
    first: date,
    last: date,
    budget: int,
) -> dict[str, Any]:
    settings, store = _workspace(communes)
    import_s = _import(store, settings, records)
    events = _events(raw_events)
    started = time.perf_counter()
    ours = backtest(store, settings, first, last, events, budget, communes)
    ours_s = time.perf_counter() - started
    started = time.perf_counter()
    base = spike_baseline(store, settings, first, last, events, budget, communes)
    base_s = time.perf_counter() - started
    floor = oracle_leads(
        store, settings, first, last, [e for e in events if first <= e.onset <= last], communes
    )
    store.close()
    figures = _summary(ours)
    figures.update(
        documents=len(records),
        import_s=round(import_s, 1),
        replay_s=round(ours_s, 1),
        baseline=_summary(base) | {"replay_s": round(base_s, 1)},
        oracle=oracle_summary(floor),
    )
    print(f"{name}: {len(records)} documents, weeks {first}..{last}, budget {budget}")
    print(oracle_line(floor))
    for label, result in (("service", ours), ("baseline", base)):
        s = result.scores()
        print(scores_line(label, s))
        for event, detail in s["per_event_detail"].items():
            print(
                f"    {event:28} {detail['kind']:10} onset {detail['onset']}  first flag {detail['first_flag']}"
                f"  as {detail.get('signal_kind')}  lead {detail['lead_weeks']}  (floor {floor.get(event)})"
            )
        for kind, k in by_kind(s["per_event_detail"]).items():
            print(f"    [{kind}] recall {k['recall']} of {k['events']}, median lead {k['median_lead_weeks']}")
    return figures


def demo_records() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    from signals.demo.generate import generate
    from signals.demo.territory import COMMUNES

    corpus = generate()
    records = [
        {
            "id": d.id,
            "title": d.title,
            "text": d.text,
            "published_at": d.published.isoformat(),
            "source": d.source,
            "commune": d.commune,
            "url": f"https://demo.example/{d.source}/{d.id}",
        }
        for d in corpus.documents
    ]
    return records, corpus.ground_truth["events"], [c.name for c in COMMUNES]


def main() -> None:
    args = parser("Detection quality on the demo territory and a larger generated corpus").parse_args()
    budget = Settings().detection.brief_size
    started = time.perf_counter()
    from signals.demo.territory import LAST_DAY

    records, events, communes = demo_records()
    demo = evaluate(
        "demo territory", records, events, communes, LAST_DAY - timedelta(weeks=52), LAST_DAY, budget
    )
    records, events, communes, weeks = large_corpus(args.quick)
    last = FIRST + timedelta(weeks=weeks) - timedelta(days=1)
    large = evaluate(
        "generated corpus", records, events, communes, FIRST + timedelta(weeks=weeks // 2 + 4), last, budget
    )
    headline = {k: large[k] for k in ("recall", "median_lead_weeks", "false_alerts_per_week", "precision")}
    emit(
        headline
        | {
            "baseline": {k: large["baseline"][k] for k in headline},
            "demo": demo,
            "large": large,
            "budget": budget,
            "quick": args.quick,
            "wall_s": round(time.perf_counter() - started, 1),
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }
    )


if __name__ == "__main__":
    main()
