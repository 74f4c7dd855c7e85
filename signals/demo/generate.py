"""Generate the demo territory's corpus: press, deliberations, consultation proposals, tourism series.

A recipe over ``signals.demo.engine`` and the data of ``data/demo.toml`` and ``data/local_news.toml``:
one seeded random generator consumed in a fixed order, so every machine gets the same data. The planted
weak signals and the tourism anomaly are written out as ground truth next to the data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np

from signals.demo.engine import (
    PARIS,
    Writer,
    expected_rate,
    in_window,
    spread_by_neighbours,
    spread_steps,
    weights,
)
from signals.demo.specs import Planted, Theme, load_demo, load_local_news
from signals.demo.territory import (
    BY_SLUG,
    COMMUNES,
    COUNCILS,
    FIRST_WEEK,
    MONTHS,
    OUTLETS,
    SEED,
    WEEKS,
    month_start,
    week_monday,
)

SPEC = load_demo()
NEWS = load_local_news()
_NEIGHBOURS = {c.slug: c.neighbours for c in COMMUNES}


@dataclass
class DemoDocument:
    kind: str  # press | deliberation | proposal
    source: str  # outlet slug, council slug or "participer"
    id: str
    title: str
    text: str
    published: datetime  # aware, Europe/Paris
    commune: str  # commune name
    theme: str
    planted: str | None = None
    lead: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class DemoObservation:
    indicator: str  # tourisme.nuitees | tourisme.frequentation
    commune: str  # commune name
    month: date
    value: float


@dataclass
class DemoCorpus:
    documents: list[DemoDocument]
    observations: list[DemoObservation]
    ground_truth: dict[str, Any]


def planted_communes(planted: Planted, week: int) -> list[str]:
    """Communes (slugs) reached by a planted theme by ``week``: the origin, then neighbours in turn."""
    return spread_by_neighbours(planted.origin, _NEIGHBOURS, spread_steps(planted, week))


def generate() -> DemoCorpus:
    rng = np.random.default_rng(SEED)
    w = Writer(rng, NEWS.fillers, NEWS.generic)
    docs: list[DemoDocument] = []
    counter = {"n": 0}

    def new_id(prefix: str) -> str:
        counter["n"] += 1
        return f"{prefix}-{counter['n']:05d}"

    recurring_p = weights([t.weight for t in NEWS.recurring])
    outlet_p = weights([o.per_week for o in OUTLETS])
    population = np.array([c.population for c in COMMUNES], dtype=float)

    def commune_for(outlet_index: int) -> str:
        reach = population**0.5
        home = OUTLETS[outlet_index].home_communes
        if home:
            reach = reach * np.array([4.0 if c.slug in home else 1.0 for c in COMMUNES])
        return w.pick(COMMUNES, reach / reach.sum()).name

    def press(outlet_index: int, theme: Theme, commune: str, week: int, planted: str | None = None) -> None:
        outlet = OUTLETS[outlet_index]
        title, text = w.article(theme, commune)
        lead = text.split(". ")[0].rstrip(".") + "."
        docs.append(
            DemoDocument(
                "press",
                outlet.slug,
                new_id(outlet.slug),
                title,
                text,
                w.moment(week_monday(week)),
                commune,
                theme.name,
                planted,
                lead,
            )
        )

    def any_outlet() -> int:
        return int(rng.choice(len(OUTLETS), p=outlet_p))

    for week in range(WEEKS):
        month = week_monday(week).month
        for oi, outlet in enumerate(OUTLETS):
            for _ in range(int(rng.poisson(outlet.per_week))):
                press(oi, w.pick(NEWS.recurring, recurring_p), commune_for(oi), week)
        for theme in SPEC.seasonal:
            if month in theme.months:
                for _ in range(int(rng.poisson(SPEC.seasonal_per_week))):
                    oi = any_outlet()
                    press(oi, theme, commune_for(oi), week)
        for one_off in SPEC.one_offs:
            if in_window(week, one_off.start, one_off.weeks):
                for _ in range(int(rng.poisson(one_off.per_week))):
                    oi = any_outlet()
                    press(oi, one_off.theme, commune_for(oi), week)
        for planted in SPEC.planted:
            reached = planted_communes(planted, week)
            rate = expected_rate(planted, week)
            for _ in range(int(rng.poisson(rate))):
                press(any_outlet(), planted.theme, BY_SLUG[w.pick(reached)].name, week, planted.name)
            for _ in range(int(rng.poisson(rate * planted.proposals_share))):
                commune = BY_SLUG[w.pick(reached)].name
                docs.append(_proposal(w, planted.theme, commune, week, new_id("prop"), planted.name))
        for _ in range(int(rng.poisson(SPEC.proposals_per_week))):
            theme = w.pick([t for t in NEWS.recurring if t.proposals])
            docs.append(_proposal(w, theme, w.pick(COMMUNES).name, week, new_id("prop"), None))

    anomaly = SPEC.anomaly
    anomaly_week = (month_start(anomaly.month_index) - FIRST_WEEK).days // 7
    outlet_index = [o.slug for o in OUTLETS].index(anomaly.outlet)
    press(outlet_index, anomaly.story, BY_SLUG[anomaly.commune].name, anomaly_week)

    docs.extend(_deliberations(w, new_id))
    docs.extend(_wire_copies(w, docs, new_id))
    docs.sort(key=lambda d: (d.published, d.id))
    observations = _tourism(rng)
    return DemoCorpus(docs, observations, _ground_truth())


def _proposal(
    w: Writer, theme: Theme, commune: str, week: int, ident: str, planted: str | None
) -> DemoDocument:
    title = w.fill(w.pick(theme.proposals), commune)
    body = [w.fill(w.pick(theme.sentences), commune), w.pick(NEWS.proposal_body), w.pick(NEWS.proposal_body)]
    first, last = w.pick(NEWS.first_names), w.pick(NEWS.last_names)
    if w.rng.random() < 0.15:
        digits = [f"{int(w.rng.integers(10, 100))}" for _ in range(4)]
        body.append(
            w.pick(NEWS.contacts).format(
                prenom=first.lower(), nom=last.lower(), a=digits[0], b=digits[1], c=digits[2], d=digits[3]
            )
        )
    extra = {
        "author": f"{first} {last}",
        "votes": int(w.rng.poisson(12 if planted else 6)),
        "comments": int(w.rng.poisson(3)),
    }
    return DemoDocument(
        "proposal",
        "participer",
        ident,
        title,
        " ".join(body),
        w.moment(week_monday(week)),
        commune,
        theme.name,
        planted,
        extra=extra,
    )


def _deliberations(w: Writer, new_id: Callable[[str], str]) -> list[DemoDocument]:
    out: list[DemoDocument] = []
    numbers: dict[tuple[str, int], int] = {}
    themes_with = [t for t in NEWS.recurring if t.deliberations]
    for council in COUNCILS:
        body = council.body
        commune = BY_SLUG[council.slug].name if council.slug in BY_SLUG else "Val de Lirette"
        for month_index in range(MONTHS + 1):
            first = month_start(month_index)
            if first.month == 8 or first < FIRST_WEEK:
                continue
            sitting = first + timedelta(days=(1 - first.weekday()) % 7 + 7)  # second Tuesday
            if sitting > FIRST_WEEK + timedelta(weeks=WEEKS) - timedelta(days=1):
                continue
            week = (sitting - FIRST_WEEK).days // 7
            subjects: list[tuple[Theme, str, str | None]] = []
            for _ in range(3 + int(w.rng.integers(0, 3))):
                theme = w.pick(themes_with)
                subjects.append((theme, w.pick(theme.deliberations), None))
            for planted in SPEC.planted:
                reached = planted_communes(planted, week)
                local = council.slug in reached or (council.slug == "agglomeration" and len(reached) >= 3)
                if local and w.rng.random() < 0.6:
                    subjects.append((planted.theme, w.pick(planted.theme.deliberations), planted.name))
            for theme, subject, planted_name in subjects:
                key = (council.slug, sitting.year)
                numbers[key] = numbers.get(key, 0) + 1
                number = f"{sitting.year}-{numbers[key]:03d}"
                place = commune if council.slug in BY_SLUG else w.pick(COMMUNES).name
                title = w.fill(subject, place)
                considerations = " ".join(
                    w.fill(s, place) for s in w.rng.choice(theme.sentences, size=2, replace=False)
                )
                votes = (
                    "Adopté à l'unanimité."
                    if w.rng.random() < 0.7
                    else f"Adopté par {int(w.rng.integers(18, 30))} voix pour et {int(w.rng.integers(1, 6))} contre."
                )
                text = (
                    f"{body}. Séance du {sitting.strftime('%d/%m/%Y')}. Délibération n° {number}. Objet : {title}. "
                    f"Vu le code général des collectivités territoriales. Considérant ce qui suit : {considerations} "
                    f"Après en avoir délibéré, le conseil approuve la proposition présentée et autorise l'exécutif "
                    f"à signer tout document s'y rapportant. {votes}"
                )
                published = datetime.combine(sitting + timedelta(days=3), time(10, 0), tzinfo=PARIS)
                out.append(
                    DemoDocument(
                        "deliberation",
                        council.slug,
                        new_id(council.slug),
                        f"Délibération n° {number} : {title}",
                        text,
                        published,
                        commune if council.slug in BY_SLUG else place,
                        theme.name,
                        planted_name,
                        extra={"number": number, "sitting": sitting.isoformat(), "body": body},
                    )
                )
    return out


def _wire_copies(w: Writer, docs: list[DemoDocument], new_id: Callable[[str], str]) -> list[DemoDocument]:
    """The same story in a second outlet: an exact copy (Gazette) or a lightly edited one (Radio)."""
    copies: list[DemoDocument] = []
    for doc in docs:
        if doc.kind != "press" or doc.source != "echo-du-val":
            continue
        draw = w.rng.random()
        if draw < 0.06:
            target, text = "gazette-de-lirac", doc.text
        elif draw < 0.10:
            target, text = "radio-lirette", f"Selon nos informations, {doc.text[0].lower()}{doc.text[1:]}"
        else:
            continue
        copies.append(
            DemoDocument(
                "press",
                target,
                new_id(target),
                doc.title + " (reprise)",
                text,
                doc.published + timedelta(hours=3),
                doc.commune,
                doc.theme,
                doc.planted,
                doc.lead,
                extra={"copy_of": doc.id},
            )
        )
    return copies


def _tourism(rng: np.random.Generator) -> list[DemoObservation]:
    out: list[DemoObservation] = []
    season = np.array(SPEC.tourism_season)
    season = season / season.mean()
    anomaly = SPEC.anomaly
    for commune in COMMUNES:
        trend = 1.0 + rng.uniform(-0.01, 0.03)  # yearly growth
        for m in range(MONTHS):
            month = month_start(m)
            level = commune.tourism * 1000 / 12 * season[month.month - 1] * trend ** (m / 12)
            nights = level * rng.lognormal(0.0, 0.05)
            if commune.slug == anomaly.commune and m == anomaly.month_index:
                nights *= anomaly.factor
            visitors = level * 1.8 * rng.lognormal(0.0, 0.07)
            out.append(DemoObservation("tourisme.nuitees", commune.name, month, round(nights)))
            out.append(DemoObservation("tourisme.frequentation", commune.name, month, round(visitors)))
    return out


def _ground_truth() -> dict[str, Any]:
    events = [
        {
            "name": p.name,
            "onset": week_monday(p.onset).isoformat(),
            "origin": BY_SLUG[p.origin].name,
            "patterns": list(p.theme.patterns),
            "kind": "gradual",
        }
        for p in SPEC.planted
    ]
    anomaly = SPEC.anomaly
    truth = {
        "series": f"{anomaly.series}/{anomaly.commune}",
        "commune": BY_SLUG[anomaly.commune].name,
        "period": month_start(anomaly.month_index).isoformat(),
        "factor": anomaly.factor,
    }
    decoys = [t.name for t in SPEC.seasonal] + [o.theme.name for o in SPEC.one_offs]
    return {"events": events, "anomalies": [truth], "decoys": decoys}
