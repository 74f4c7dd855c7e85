"""The French words the reports, the web console and the ``signals`` command print from Python code, in one
place: status, kind and stage names, chart legends, the text alternatives of charts, the feedback pages'
messages and the report's subject.

The rest of what readers see is in the templates (``reports/templates/``); numbers and dates are written
by :mod:`reports.format`. A label is a plain string, a sentence with values a ``str.format`` pattern
whose fields are named.
"""

from __future__ import annotations

from collections.abc import Mapping

from reports.format import plural
from signals.core.lifecycle import CONFIRMED, DISMISSED, ESTABLISHED, FADING, NEW, RISING
from signals.core.schema import TOPIC_VOLUME_SERIES
from signals.core.sources import readable_name

STATUS_LABELS = {
    NEW: "nouveau",
    RISING: "en progression",
    ESTABLISHED: "installé",
    FADING: "en déclin",
    CONFIRMED: "confirmé",
    DISMISSED: "écarté",
}
# kinds of signal, roles and verdicts (the web console and the ``signals`` command)
KIND_LABELS = {
    "term_burst": "thème émergent",
    "emerging_topic": "sujet émergent",
    "anomaly": "anomalie d'une série",
    "forecast_break": "rupture de prévision",
}
ROLE_LABELS = {
    "official": "élu·e",
    "staff": "équipe de veille",
    "analyst": "analyste",
    "admin": "administrateur",
}
VERDICT_LABELS = {
    "confirm": "confirmé",
    "dismiss": "écarté",
    "promote": "mis en avant",
    "hide": "masqué",
    "merge": "fusionné",
}
SOURCE_KIND_LABELS = {
    "rss": "presse (flux RSS)",
    "listing": "délibérations et pages",
    "consultation": "consultation publique",
    "series": "données ouvertes (séries)",
    "import": "import de fichiers",
}
# a source's health (``signals.stages.health``): degraded, healthy, or never collected
SOURCE_DEGRADED = "dégradée"
SOURCE_HEALTHY = "en bonne santé"
SOURCE_NEVER_RUN = "jamais collectée"
# how a collection went (``CollectOutcome.status``)
COLLECT_STATUS_LABELS = {"ok": "réussie", "partial": "partielle", "failed": "échec"}

# the service's stages and runs (``signals runs``, ``signals status``, ``signals schedule --list``)
STAGE_LABELS = {
    "collect": "collecte",
    "import": "import",
    "prepare": "préparation",
    "analyze": "analyse",
    "forecast": "prévision",
    "brief": "note",
    "report": "rapport",
    "deliver": "envoi",
    "housekeeping": "entretien",
}
RUN_STATUS_LABELS = {"running": "en cours", "ok": "réussi", "partial": "partiel", "failed": "échec"}
JOB_STATE_LABELS = {
    "scheduled": "planifiée",
    "not scheduled yet": "pas encore planifiée",
    "paused": "suspendue",
    "no longer planned": "plus prévue",
}

# the outbox: a delivery's state as a person reads it (``reports.archive.delivery_outcome``)
DELIVERY_LABELS = {
    "queued": "en attente",
    "sending": "en cours d'envoi",
    "sent": "envoyé",
    "failed": "échec",
    "retrying": "à réessayer",
    "written to the outbox": "déposé dans la boîte d'envoi",
}
# what became of an imported line (``Store.add_document``, ``Store.upsert_observation``), counted
IMPORT_OUTCOME_LABELS = {
    "new": "nouveaux",
    "duplicate_url": "doublons (même URL)",
    "near_duplicate": "quasi-doublons",
    "duplicate_content": "doublons (même texte)",
    "seen": "déjà vus",
    "updated": "mis à jour",
    "unchanged": "inchangés",
}
ARCHIVE_KIND_LABELS = {"weekly": "note hebdomadaire", "quarterly": "rapport trimestriel"}

RECENT = "récent"  # a signal of an earlier week, still shown in the brief
EARLIER_ALERT = "signalée {week}"  # a series alert of an earlier week, followed up in the brief
RUN_FAILED = "échec"  # a failed run without a recorded reason

MONTHS_SHORT = (
    "janv.",
    "févr.",
    "mars",
    "avr.",
    "mai",
    "juin",
    "juil.",
    "août",
    "sept.",
    "oct.",
    "nov.",
    "déc.",
)

# the weekly volume of a topic, watched as a series (``signals.stages.topics``)
TOPIC_VOLUME = "Documents par semaine du sujet"

# charts
DOCUMENTS_PER_WEEK = "documents / semaine"
OBSERVED = "observé"
FORECAST = "prévision"
FORECAST_BAND = "bande de prévision ({percent} %)"
FLAGGED_ANOMALY = "anomalie signalée (une commune au moins)"
YEAR_ON_YEAR = "{indicator} : évolution sur un an"

# text alternatives of the charts (for screen readers and mail clients that block images)
ALT_SERIES = "{series} : {count} valeurs mensuelles, la valeur de {period} signalée en rouge"
ALT_WEEKLY = "Documents par semaine : {values}"

# the feedback pages
PAGE_NOT_FOUND = "Page introuvable."
LINK_INVALID = "Ce lien n'est pas valide (il a peut-être été modifié)."
NO_SUCH_SIGNAL = "Aucun signal n° {signal_id}."
REQUEST_TOO_LONG = "Requête trop longue."
VERDICT_NOT_SAVED = "Erreur interne : le verdict n'a pas été enregistré."

REPORT_SUBJECT = "Rapport trimestriel de veille prospective — {territory} — {quarter}"

# the brief's subject line: the week, then its main signal
BRIEF_SUBJECT = "Veille prospective — {territory} — {week}"
SUBJECT_MAIN = " : {signal}"
SUBJECT_MORE = " (+ {count} {signals})"
SUBJECT_NOTHING = " : aucun nouveau signal"
OTHER_SIGNALS = ("autre signal", "autres signaux")  # singular, plural (reports.format.plural)

# how a forecast was made (``models.forecasting``: the median of its members, or the seasonal naive)
FORECAST_MEMBERS = {
    "ets": "lissage exponentiel (ETS)",
    "ces": "lissage exponentiel complexe (CES)",
    "theta": "méthode Theta",
    "arima": "modèle ARIMA",
    "prophet": "modèle Prophet",
    "seasonal_naive": "valeur de la même période l'année précédente",
}

# where a short history's seasonal shape came from (``models.forecasting.seasonality``)
PROFILE_POOLED = "profil saisonnier emprunté à {count} {series} (historique trop court)"
SIMILAR_SERIES = ("série semblable", "séries semblables")
PROFILE_WORDS = {
    "pooled_profile": "profil saisonnier emprunté à des séries semblables (historique trop court)",
    "own_profile": "profil saisonnier de la dernière année observée (historique trop court)",
}


def forecast_method(method: str) -> str:
    """A forecast's method in words.

    >>> forecast_method("median(ets,theta,prophet)")
    'médiane de 3 méthodes : lissage exponentiel (ETS), méthode Theta, modèle Prophet'
    >>> forecast_method("seasonal_naive")
    "valeur de la même période l'année précédente (méthode naïve saisonnière)"
    >>> forecast_method("pooled_profile(4)+median(ets,theta)")
    'profil saisonnier emprunté à 4 séries semblables (historique trop court), puis médiane de 2 méthodes : lissage exponentiel (ETS), méthode Theta'
    """
    shape, _, method = method.rpartition("+")
    if shape:
        return f"{_profile_words(shape)}, puis {forecast_method(method)}"
    if method.startswith("median(") and method.endswith(")"):
        members = [m for m in method[len("median(") : -1].split(",") if m]
        names = ", ".join(FORECAST_MEMBERS.get(m, m) for m in members)
        return f"médiane de {len(members)} méthodes : {names}"
    if method == "seasonal_naive":
        return FORECAST_MEMBERS[method] + " (méthode naïve saisonnière)"
    return FORECAST_MEMBERS.get(method, method)


def display_name(key: str, titles: Mapping[str, str]) -> str:
    """What a reader sees for a source or series key: its title from the sources file, else a readable
    name (never the key: ``sujets.volume`` is 'Documents par semaine du sujet').

    >>> display_name("tourisme.nuitees", {"tourisme.nuitees": "Nuitées touristiques"})
    'Nuitées touristiques'
    >>> display_name("sujets.volume", {}), display_name("meteo.pluie_mm", {})
    ('Documents par semaine du sujet', 'Meteo : pluie mm')
    """
    if key in titles:
        return titles[key]
    return TOPIC_VOLUME if key == TOPIC_VOLUME_SERIES else readable_name(key)


def _profile_words(shape: str) -> str:
    """``pooled_profile(4)``, ``pooled_profile`` or ``own_profile``: where a short history's seasonal shape
    came from."""
    lenders = shape.removeprefix("pooled_profile(").removesuffix(")")
    if shape.startswith("pooled_profile(") and lenders.isdigit():
        return PROFILE_POOLED.format(count=lenders, series=plural(int(lenders), *SIMILAR_SERIES))
    return PROFILE_WORDS.get(shape, shape)
