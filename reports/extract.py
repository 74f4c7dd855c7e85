"""Extractive summaries: the sentences of the cited documents that say the most about a signal's keywords.

Nothing is generated: a summary is made of whole sentences quoted from the documents, each with the number
of the document it comes from, chosen by how many of the signal's keywords they contain.

>>> docs = [
...     "La mairie a voté le budget. Les punaises de lit gagnent les logements sociaux du quartier.",
...     "Punaises de lit : un chien détecteur inspecte les matelas des logements. Il fait beau.",
... ]
>>> [(q.document, q.text) for q in key_sentences(docs, ["punaises de lit", "logements", "matelas"])]
[(2, 'Punaises de lit : un chien détecteur inspecte les matelas des logements.'), (1, 'Les punaises de lit gagnent les logements sociaux du quartier.')]
>>> [q.text for q in key_sentences(["L'aide à l'achat atteint cinq cents euros pour un vélo-cargo.",
...     "Considérant ce qui suit : l'aide à l'achat atteint cinq cents euros pour un vélo-cargo."], ["achat"])]
["L'aide à l'achat atteint cinq cents euros pour un vélo-cargo."]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from signals.core.parsing import fold

# A sentence ends at . ! ? or … followed by a space and a capital letter, a quote or a digit.
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[«\"A-ZÀ-ÖØ-Þ0-9])")
_SPACES = re.compile(r"\s+")
MIN_CHARS, MAX_CHARS = 30, 260


@dataclass(frozen=True)
class Quote:
    """A sentence quoted from the ``document``-th cited document (1-based, as numbered in the brief)."""

    document: int
    text: str


def sentences(text: str) -> list[str]:
    """The sentences of a text, whitespace collapsed.

    >>> sentences("Le conseil a voté.  La séance est levée à 22 h. 3 élus absents.")
    ['Le conseil a voté.', 'La séance est levée à 22 h.', '3 élus absents.']
    """
    return [s.strip() for s in _SENTENCE_END.split(_SPACES.sub(" ", text)) if s.strip()]


def key_sentences(texts: list[str], keywords: list[str], limit: int = 2) -> list[Quote]:
    """Up to ``limit`` sentences of ``texts`` containing the most distinct ``keywords`` (at least one).

    Ties go to the earlier document (the analysis cites the most telling first), then the shorter
    sentence. A sentence already quoted (the same words in another outlet, or within a longer sentence:
    "Considérant ce qui suit : L'aide…") is not quoted twice; sentences
    shorter than ``MIN_CHARS`` or longer than ``MAX_CHARS`` are skipped (headings, whole paragraphs).
    """
    folded_keywords = [fold(k) for k in keywords if k.strip()]
    if not folded_keywords:
        return []
    scored: list[tuple[int, int, int, str]] = []
    for number, text in enumerate(texts, start=1):
        for sentence in sentences(text):
            if not MIN_CHARS <= len(sentence) <= MAX_CHARS:
                continue
            folded = fold(sentence)
            hits = sum(1 for k in folded_keywords if k in folded)
            if hits:
                scored.append((-hits, number, len(sentence), sentence))
    quotes: list[Quote] = []
    seen: list[str] = []
    for _, number, _, sentence in sorted(scored):
        key = _words(sentence)
        if any(key in other or other in key for other in seen):  # the same sentence, or one inside another
            continue
        seen.append(key)
        quotes.append(Quote(number, sentence))
        if len(quotes) == limit:
            break
    return quotes


def _words(sentence: str) -> str:
    """A sentence's words, folded, as one string ('L'aide, à l'achat.' -> ' l aide a l achat ')."""
    return " " + " ".join(re.findall(r"\w+", fold(sentence))) + " "
