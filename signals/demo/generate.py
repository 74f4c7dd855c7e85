"""Generate the demo territory's corpus: press, deliberations, consultation proposals, tourism series.

Deterministic: one seeded random generator consumed in a fixed order, so every machine gets the same data.
The planted weak signals and the tourism anomaly are written out as ground truth next to the data.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from signals.demo import content as C
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

PARIS = ZoneInfo("Europe/Paris")
SEASONAL_PER_WEEK = 2.5  # extra articles per week on a seasonal theme during its months
PROPOSALS_PER_WEEK = 2.0
# Monthly profile of tourism (mean 1): wine and river tourism, summer peak.
TOURISM_SEASON = np.array([0.35, 0.40, 0.60, 0.85, 1.00, 1.30, 2.10, 2.30, 1.20, 0.80, 0.45, 0.65])
TOURISM_SEASON = TOURISM_SEASON / TOURISM_SEASON.mean()


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


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60]


_CONTRACTIONS = {" à le ": " au ", " à les ": " aux ", " de le ": " du ", " de les ": " des "}
_ELISIONS = re.compile("|".join(_CONTRACTIONS))


class _Writer:
    """Draws texts from the banks with one random generator."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def pick(self, items: tuple[Any, ...] | list[Any], p: np.ndarray | None = None) -> Any:
        return items[int(self.rng.choice(len(items), p=p))]

    def fill(self, template: str, commune: str) -> str:
        values = {key: self.pick(options) for key, options in C.FILLERS.items()}
        values["commune"] = commune
        text = _ELISIONS.sub(lambda m: _CONTRACTIONS[m.group(0)], template.format(**values))
        return text[0].upper() + text[1:]

    def article(self, theme: C.Theme, commune: str, n_theme: int = 3, n_generic: int = 1) -> tuple[str, str]:
        title = self.fill(self.pick(theme.titles), commune)
        picked = self.rng.choice(len(theme.sentences), size=min(n_theme, len(theme.sentences)), replace=False)
        sentences = [self.fill(theme.sentences[i], commune) for i in picked]
        for _ in range(n_generic):
            sentences.insert(
                int(self.rng.integers(1, len(sentences) + 1)), self.fill(self.pick(C.GENERIC), commune)
            )
        return title, " ".join(sentences)

    def moment(self, week: int) -> datetime:
        day = week_monday(week) + timedelta(days=int(self.rng.integers(0, 7)))
        clock = time(int(self.rng.integers(6, 21)), int(self.rng.integers(0, 60)))
        return datetime.combine(day, clock, tzinfo=PARIS)


def planted_rate(planted: C.Planted, week: int) -> float:
    """Expected press articles per week on a planted theme (0 before its onset)."""
    if week < planted.onset_week:
        return 0.0
    return min(planted.cap, planted.start_rate * planted.growth ** (week - planted.onset_week))


def planted_communes(planted: C.Planted, week: int) -> list[str]:
    """Communes (slugs) reached by a planted theme by ``week``: the origin, then neighbours in turn."""
    if week < planted.onset_week:
        return []
    reached = [planted.origin]
    steps = (week - planted.onset_week) // planted.spread_every
    frontier = list(BY_SLUG[planted.origin].neighbours)
    while steps > 0 and frontier:
        slug = frontier.pop(0)
        if slug not in reached:
            reached.append(slug)
            steps -= 1
            frontier.extend(n for n in BY_SLUG[slug].neighbours if n not in reached)
    return reached


def generate() -> DemoCorpus:
    rng = np.random.default_rng(SEED)
    w = _Writer(rng)
    docs: list[DemoDocument] = []
    counter = {"n": 0}

    def new_id(prefix: str) -> str:
        counter["n"] += 1
        return f"{prefix}-{counter['n']:05d}"

    recurring_p = np.array([t.weight for t in C.RECURRING])
    recurring_p = recurring_p / recurring_p.sum()
    outlet_p = np.array([o.per_week for o in OUTLETS])
    outlet_p = outlet_p / outlet_p.sum()
    population = np.array([c.population for c in COMMUNES], dtype=float)

    def commune_for(outlet_index: int) -> str:
        weights = population**0.5
        home = OUTLETS[outlet_index].home_communes
        if home:
            weights = weights * np.array([4.0 if c.slug in home else 1.0 for c in COMMUNES])
        return w.pick(COMMUNES, weights / weights.sum()).name

    def press(outlet_index: int, theme: C.Theme, commune: str, week: int, planted: str | None = None) -> None:
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
                w.moment(week),
                commune,
                theme.key,
                planted,
                lead,
            )
        )

    for week in range(WEEKS):
        month = week_monday(week).month
        for oi, outlet in enumerate(OUTLETS):
            for _ in range(int(rng.poisson(outlet.per_week))):
                press(oi, w.pick(C.RECURRING, recurring_p), commune_for(oi), week)
        for theme in C.SEASONAL:
            if month in theme.months:
                for _ in range(int(rng.poisson(SEASONAL_PER_WEEK))):
                    oi = int(rng.choice(len(OUTLETS), p=outlet_p))
                    press(oi, theme, commune_for(oi), week)
        for one_off in C.ONE_OFFS:
            if one_off.week <= week < one_off.week + one_off.weeks:
                for _ in range(int(rng.poisson(one_off.per_week))):
                    oi = int(rng.choice(len(OUTLETS), p=outlet_p))
                    press(oi, one_off.theme, commune_for(oi), week)
        for planted in C.PLANTED:
            reached = planted_communes(planted, week)
            rate = planted_rate(planted, week)
            for _ in range(int(rng.poisson(rate))):
                oi = int(rng.choice(len(OUTLETS), p=outlet_p))
                press(oi, planted.theme, BY_SLUG[w.pick(reached)].name, week, planted.name)
            for _ in range(int(rng.poisson(rate * planted.proposals_share))):
                docs.append(
                    _proposal(
                        w, planted.theme, BY_SLUG[w.pick(reached)].name, week, new_id("prop"), planted.name
                    )
                )
        for _ in range(int(rng.poisson(PROPOSALS_PER_WEEK))):
            theme = w.pick([t for t in C.RECURRING if t.proposals])
            docs.append(_proposal(w, theme, w.pick(COMMUNES).name, week, new_id("prop"), None))

    anomaly_commune = BY_SLUG[str(C.ANOMALY["commune"])].name
    anomaly_week = (month_start(int(C.ANOMALY["month_index"])) - FIRST_WEEK).days // 7
    press(2, C.ANOMALY["story"], anomaly_commune, anomaly_week)  # type: ignore[arg-type]

    docs.extend(_deliberations(w, new_id))
    docs.extend(_wire_copies(w, docs, new_id))
    docs.sort(key=lambda d: (d.published, d.id))
    observations = _tourism(rng)
    return DemoCorpus(docs, observations, _ground_truth())


def _proposal(
    w: _Writer, theme: C.Theme, commune: str, week: int, ident: str, planted: str | None
) -> DemoDocument:
    title = w.fill(w.pick(theme.proposals), commune)
    body = [w.fill(w.pick(theme.sentences), commune), w.pick(C.PROPOSAL_BODY), w.pick(C.PROPOSAL_BODY)]
    first, last = w.pick(C.FIRST_NAMES), w.pick(C.LAST_NAMES)
    if w.rng.random() < 0.15:
        digits = [f"{int(w.rng.integers(10, 100))}" for _ in range(4)]
        body.append(
            w.pick(C.CONTACTS).format(
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
        w.moment(week),
        commune,
        theme.key,
        planted,
        extra=extra,
    )


def _deliberations(w: _Writer, new_id: Any) -> list[DemoDocument]:
    out: list[DemoDocument] = []
    numbers: dict[tuple[str, int], int] = {}
    themes_with = [t for t in C.RECURRING if t.deliberations]
    for council, body in COUNCILS:
        commune = BY_SLUG[council].name if council in BY_SLUG else "Val de Lirette"
        for month_index in range(MONTHS + 1):
            first = month_start(month_index)
            if first.month == 8 or first < FIRST_WEEK:
                continue
            sitting = first + timedelta(days=(1 - first.weekday()) % 7 + 7)  # second Tuesday
            if sitting > FIRST_WEEK + timedelta(weeks=WEEKS) - timedelta(days=1):
                continue
            week = (sitting - FIRST_WEEK).days // 7
            subjects: list[tuple[C.Theme, str, str | None]] = []
            for _ in range(3 + int(w.rng.integers(0, 3))):
                theme = w.pick(themes_with)
                subjects.append((theme, w.pick(theme.deliberations), None))
            for planted in C.PLANTED:
                reached = planted_communes(planted, week)
                local = council in reached or (council == "agglomeration" and len(reached) >= 3)
                if local and w.rng.random() < 0.6:
                    subjects.append((planted.theme, w.pick(planted.theme.deliberations), planted.name))
            for theme, subject, planted_name in subjects:
                key = (council, sitting.year)
                numbers[key] = numbers.get(key, 0) + 1
                number = f"{sitting.year}-{numbers[key]:03d}"
                place = commune if council in BY_SLUG else w.pick(COMMUNES).name
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
                        council,
                        new_id(council),
                        f"Délibération n° {number} : {title}",
                        text,
                        published,
                        commune if council in BY_SLUG else place,
                        theme.key,
                        planted_name,
                        extra={"number": number, "sitting": sitting.isoformat(), "body": body},
                    )
                )
    return out


def _wire_copies(w: _Writer, docs: list[DemoDocument], new_id: Any) -> list[DemoDocument]:
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
    anomaly_slug, anomaly_month = str(C.ANOMALY["commune"]), int(C.ANOMALY["month_index"])
    for commune in COMMUNES:
        trend = 1.0 + rng.uniform(-0.01, 0.03)  # yearly growth
        for m in range(MONTHS):
            month = month_start(m)
            level = commune.tourism * 1000 / 12 * TOURISM_SEASON[month.month - 1] * trend ** (m / 12)
            nights = level * rng.lognormal(0.0, 0.05)
            if commune.slug == anomaly_slug and m == anomaly_month:
                nights *= float(C.ANOMALY["factor"])
            visitors = level * 1.8 * rng.lognormal(0.0, 0.07)
            out.append(DemoObservation("tourisme.nuitees", commune.name, month, round(nights)))
            out.append(DemoObservation("tourisme.frequentation", commune.name, month, round(visitors)))
    return out


def _ground_truth() -> dict[str, Any]:
    events = [
        {
            "name": p.name,
            "onset": week_monday(p.onset_week).isoformat(),
            "origin": BY_SLUG[p.origin].name,
            "patterns": list(p.patterns),
            "kind": "gradual",
        }
        for p in C.PLANTED
    ]
    anomaly = {
        "series": f"{C.ANOMALY['series']}/{C.ANOMALY['commune']}",
        "commune": BY_SLUG[str(C.ANOMALY["commune"])].name,
        "period": month_start(int(C.ANOMALY["month_index"])).isoformat(),
        "factor": C.ANOMALY["factor"],
    }
    decoys = [t.key for t in C.SEASONAL] + [o.theme.key for o in C.ONE_OFFS]
    return {"events": events, "anomalies": [anomaly], "decoys": decoys}
