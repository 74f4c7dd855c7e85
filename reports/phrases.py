"""Phrases as readers know them: the analysis counts stop-word-stripped terms ("punaises lit"); a reader
sees them as the documents write them ("punaises de lit"), and only those that make sense on their own.

Nothing is invented: a surface form is a span found in the cited documents, the most frequent one; when
none is found the term is shown as the analysis has it.

>>> docs = ["Les Punaises de lit gagnent Lirac.", "Des punaises de lit au collège.", "punaises et lit"]
>>> surface_form("punaises lit", docs)
'punaises de lit'
>>> clean_keywords(["installés", "aide achat", "atteindre cinq cents", "eau finance une partie", "vélo"],
...                ["Une aide à l'achat d'un vélo.", "L'aide à l'achat est versée."], subject="vélo")
[('aide achat', 'aide à l’achat')]
"""

from __future__ import annotations

import re
from collections import Counter

from signals.core.parsing import fold

# Short words the term extractor drops between two kept words ("punaises [de] lit", "aide [à l'] achat").
_GLUE = r"(?:de|du|des|d['’]|la|le|les|l['’]|à|au|aux|en|et|pour|sur|sous|par|avec)"
# Words that make a keyword a fragment of a sentence rather than a name of something.
_FRAGMENT_WORDS = {
    "un", "une", "le", "la", "les", "ce", "cette", "ces", "son", "sa", "ses", "leur", "leurs", "il", "elle",
    "ils", "elles", "on", "nous", "vous", "est", "sont", "a", "ont", "sera", "seront", "etre", "avoir",
    "partie", "cinq", "six", "sept", "huit", "neuf", "dix", "cent", "cents", "mille", "plus", "moins",
    "tres", "deja", "encore", "aussi", "depuis",
}  # fmt: skip
MAX_WORDS = 3


def _pattern(term: str) -> re.Pattern[str] | None:
    words = term.split()
    if not words:
        return None
    glue = rf"(?:\s+{_GLUE}|\s*['’])*?\s*"
    body = glue.join(rf"{re.escape(w)}" for w in words)
    return re.compile(rf"(?<!\w){body}(?!\w)", re.IGNORECASE)


def surface_form(term: str, texts: list[str]) -> str:
    """The most frequent way ``term`` is written in ``texts`` (glue words restored, accents and case as
    written, a capital only kept when the term had one); the term itself when it is not found."""
    pattern = _pattern(term)
    if pattern is None:
        return term
    found: Counter[str] = Counter()
    for text in texts:
        for match in pattern.finditer(text):
            span = " ".join(match.group(0).split()).replace("'", "’")
            found[span if term[:1].isupper() else span[:1].lower() + span[1:]] += 1
    return found.most_common(1)[0][0] if found else term


def is_fragment(term: str) -> bool:
    """A keyword that is a piece of a sentence (a lone participle, an article, a number in words, more
    than ``MAX_WORDS`` words) rather than the name of a thing.

    >>> [is_fragment(t) for t in ("installés", "eau finance une partie", "aide achat", "logements vacants")]
    [True, True, False, False]
    """
    words = fold(term).split()
    if not words or len(words) > MAX_WORDS or any(w in _FRAGMENT_WORDS for w in words):
        return True
    return len(words) == 1 and term.strip().lower().endswith(("és", "ées"))  # a lone plural participle


def clean_keywords(
    terms: list[str], texts: list[str], subject: str = "", limit: int = 6
) -> list[tuple[str, str]]:
    """Keywords worth showing, as (term, surface form): fragments dropped, none repeating the subject or
    another keyword."""
    shown: list[tuple[str, str]] = []
    seen = {fold(subject)} if subject else set()
    for term in terms:
        if is_fragment(term) or fold(term) in seen:
            continue
        if any(fold(term) in s or s in fold(term) for s in seen if s):
            continue
        seen.add(fold(term))
        shown.append((term, surface_form(term, texts)))
        if len(shown) == limit:
            break
    return shown


def agrees(topic_keywords: list[str], subject: str, keywords: list[str]) -> bool:
    """Whether a topic's keywords share a word with the signal (its subject or keywords): a topic line that
    names another theme's topic is not shown.

    >>> agrees(["punaises", "lit", "logement"], "punaises de lit", []), agrees(["meublés"], "vélo", ["piste"])
    (True, False)
    """
    mine = {w for t in [subject, *keywords] for w in fold(t).split() if len(w) > 3}
    theirs = {w for t in topic_keywords for w in fold(t).split() if len(w) > 3}
    return bool(mine & theirs)
