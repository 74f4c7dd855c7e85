"""Phrases as readers know them: the analysis counts stop-word-stripped, lightly normalised terms
("punaises lit", "punaise"); a reader sees them as the documents write them ("punaises de lit"), and only
those that make sense on their own.

Nothing is invented: a surface form is a span found in the cited documents, the most frequent one; when
none is found the term is shown as the analysis has it. A lone word that the documents almost always write
inside one phrase ("achat" in "aide à l'achat") is shown as that phrase.

>>> docs = ["Les Punaises de lit gagnent Lirac.", "Des punaises de lit au collège.", "punaises et lit"]
>>> surface_form("punaise lit", docs)
'punaises de lit'
>>> clean_keywords(["installés", "achat", "atteindre cinq cents", "eau finance une partie", "vélo"],
...                ["Une aide à l'achat d'un vélo.", "L'aide à l'achat est versée."], subject="vélo")
[('achat', 'aide à l’achat')]
"""

from __future__ import annotations

import re
from collections import Counter

from models.terms import normalise, stop_words
from signals.core.parsing import fold

# Short words the term extractor drops between two kept words ("punaises [de] lit", "aide [à l'] achat").
_GLUE = r"(?:de|du|des|la|le|les|à|au|aux|en|et|pour|sur|sous|par|avec|un|une)"
_ELIDED = r"(?:d|l|qu)['’]"
# between two words of a phrase: spaces or a hyphen, or glue words and elisions ("aide à l'achat")
_BETWEEN = rf"(?:[\s\-]+(?:(?:{_GLUE}\s+|{_ELIDED}\s*))*|\s*['’]\s*)"
_WORD = r"[^\W\d_][\w\-]*"
# Words that make a keyword a fragment of a sentence rather than a name of something.
_FRAGMENT_WORDS = {
    "le", "la", "les", "ce", "cette", "ces", "son", "sa", "ses", "leur", "leurs", "il", "elle",
    "ils", "elles", "on", "nous", "vous", "est", "sont", "a", "ont", "sera", "seront", "être", "avoir",
    "partie", "cinq", "six", "sept", "huit", "neuf", "dix", "cent", "cents", "mille", "plus", "moins",
    "très", "déjà", "encore", "aussi", "depuis",
}  # fmt: skip
MAX_WORDS = 3
# A lone word is shown as the phrase it sits in when the documents write it there this often.
PHRASE_SHARE = 0.6


def _word_pattern(word: str) -> str:
    """A word as the analysis has it (``models.terms.normalise``: no plural mark), in any of its written
    forms: 'punaise' matches 'Punaises', 'vélo-cargo' matches 'vélos-cargos', 'local' matches 'locaux'."""
    parts = []
    for part in re.split(r"[\s\-]+", word):
        stem = re.escape(part)
        if part.endswith("al") and len(part) > 3:
            parts.append(rf"(?:{stem}s?|{re.escape(part[:-2])}aux)")
        else:
            parts.append(rf"{stem}[sx]?")
    return r"[\s\-]+".join(parts)


def _pattern(term: str) -> re.Pattern[str] | None:
    words = term.split()
    if not words:
        return None
    body = _BETWEEN.join(_word_pattern(w) for w in words)
    return re.compile(rf"(?<![\w\-]){body}(?![\w\-])", re.IGNORECASE)


def _tidy(span: str, capital: bool) -> str:
    span = " ".join(span.split()).replace("'", "’")
    return span if capital else span[:1].lower() + span[1:]


def surface_form(term: str, texts: list[str]) -> str:
    """The most frequent way ``term`` is written in ``texts`` (glue words and plural marks restored, accents
    and case as written, a capital only kept when the term had one); the term itself when it is not found.
    A signal's label of two phrases ('vélos-cargos · assistance électrique') is written phrase by phrase."""
    if " · " in term:
        return " · ".join(surface_form(part, texts) for part in term.split(" · "))
    pattern = _pattern(term)
    if pattern is None:
        return term
    found: Counter[str] = Counter()
    for text in texts:
        for match in pattern.finditer(text):
            found[_tidy(match.group(0), term[:1].isupper())] += 1
    return found.most_common(1)[0][0] if found else term


def in_phrase(word: str, texts: list[str]) -> str | None:
    """The phrase the documents write a lone word in, when one holds most of its occurrences
    (``PHRASE_SHARE``): a content word before or after it, joined by glue words as written.

    >>> in_phrase("achat", ["L'aide à l'achat d'un vélo.", "Une aide à l'achat versée.", "Son achat."])
    'aide à l’achat'
    >>> in_phrase("canicule", ["La canicule arrive.", "Une canicule précoce.", "Canicule : vigilance."])
    """
    if len(word.split()) != 1:
        return None
    core = _word_pattern(word)
    around = re.compile(
        rf"(?<![\w\-])(?:(?P<before>{_WORD}){_BETWEEN})?(?P<word>{core})(?:{_BETWEEN}(?P<after>{_WORD}))?"
        r"(?![\w\-])",
        re.IGNORECASE,
    )
    stop = stop_words()
    total, phrases = 0, Counter[str]()
    for text in texts:
        for match in around.finditer(text):
            total += 1
            for side in ("before", "after"):
                neighbour = match.group(side)
                if neighbour and neighbour.lower() not in stop and len(neighbour) > 3:
                    start, end = (match.start(side), match.end("word"))
                    if side == "after":
                        start, end = match.start("word"), match.end(side)
                    phrases[_tidy(text[start:end], False)] += 1
    if not phrases or total == 0:
        return None
    phrase, n = phrases.most_common(1)[0]
    return phrase if n >= PHRASE_SHARE * total else None


def is_fragment(term: str) -> bool:
    """A keyword that is a piece of a sentence (a lone participle, an article, a number in words, more
    than ``MAX_WORDS`` words) rather than the name of a thing.

    >>> [is_fragment(t) for t in ("installés", "eau finance une partie", "aide achat", "logements vacants")]
    [True, True, False, False]
    """
    words = [w for w in re.split(r"[\s'’]+", term.strip().lower()) if w]
    content = [w for w in words if not re.fullmatch(_GLUE + "|[dl]|qu", w)]
    if not content or len(content) > MAX_WORDS or any(w in _FRAGMENT_WORDS for w in words):
        return True
    return len(content) == 1 and content[0].endswith(("és", "ées"))  # a lone plural participle


def _stems(phrase: str) -> set[str]:
    """The content words of a phrase, without accents nor plural marks ('Vélos-cargos' -> velo, cargo)."""
    return {normalise(w) for w in re.split(r"[\s\-'’·]+", fold(phrase)) if len(w) > 3}


def clean_keywords(
    terms: list[str], texts: list[str], subject: str = "", limit: int = 6
) -> list[tuple[str, str]]:
    """Keywords worth showing, as (term, form shown): fragments dropped, each written as in the documents
    (a lone word as the phrase it sits in), none repeating the subject or an earlier keyword."""
    shown: list[tuple[str, str]] = []
    seen = [_stems(subject)] if subject else []
    for term in terms:
        if is_fragment(term):
            continue
        form = surface_form(term, texts)
        form = in_phrase(form, texts) or form
        if is_fragment(form):
            continue
        stems = _stems(form)
        if not stems or any(stems <= other or other <= stems for other in seen):
            continue
        seen.append(stems)
        shown.append((term, form))
        if len(shown) == limit:
            break
    return shown


def agrees(topic_keywords: list[str], share: float, subject: str, keywords: list[str]) -> bool:
    """Whether a topic is the signal's: it holds most of the signal's recent documents (``share``) and its
    two leading words share a word with the signal's subject or first keywords. A topic line naming another theme's
    topic (bed bugs under short-term rentals) is not shown.

    >>> agrees(["punaises", "lit", "logement"], 0.8, "punaises de lit", [])
    True
    >>> agrees(["punaises", "lit", "meublés"], 0.8, "locations meublées", ["tourisme"])
    False
    >>> agrees(["punaises", "lit"], 0.3, "punaises de lit", [])
    False
    """
    if share < 0.5 or not topic_keywords:
        return False
    mine = set().union(*(_stems(t) for t in [subject, *keywords[:3]]))
    theirs = set().union(*(_stems(t) for t in topic_keywords[:2]))
    return bool(theirs & mine)
