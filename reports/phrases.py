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
_GLUE = r"(?:de|du|des|la|le|les|à|au|aux|en|pour|sur|sous|par|avec|un|une)"  # not "et": lists
_ELIDED = r"(?:d|l|qu)['’]"
# between two words of a phrase: spaces or a hyphen, or glue words and elisions ("aide à l'achat")
_BETWEEN = rf"(?:[\s\-]+(?:(?:{_GLUE}\s+|{_ELIDED}\s*))*|\s*['’]\s*)"
_WORD = r"[^\W\d_][\w\-]*"
# Words that make a keyword a fragment of a sentence rather than a name of something.
_FRAGMENT_WORDS = {
    "le", "la", "les", "ce", "cette", "ces", "son", "sa", "ses", "leur", "leurs", "il", "elle",
    "ils", "elles", "on", "nous", "vous", "est", "sont", "a", "ont", "sera", "seront", "être", "avoir",
    "partie", "cinq", "six", "sept", "huit", "neuf", "dix", "cent", "cents", "mille", "plus", "moins",
    "très", "déjà", "encore", "aussi", "depuis", "peut", "peuvent", "doit", "doivent", "va", "vont",
    "était", "étaient", "faut", "fait", "font",
}  # fmt: skip
_ARTICLES = {"le", "la", "les", "un", "une"}
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


def written(term: str, texts: list[str]) -> str | None:
    """The most frequent way ``term`` is written in ``texts`` (glue words and plural marks restored, accents
    and case as written, a capital only kept when the term had one); None when the texts never write it."""
    pattern = _pattern(term)
    if pattern is None:
        return None
    found: Counter[str] = Counter()
    for text in texts:
        for match in pattern.finditer(text):
            found[_tidy(match.group(0), term[:1].isupper())] += 1
    return found.most_common(1)[0][0] if found else None


def surface_form(term: str, texts: list[str]) -> str:
    """``term`` as written in ``texts`` (``written``), or as the analysis has it when they never write it.
    A signal's label of two phrases ('vélos-cargos · assistance électrique') is written phrase by phrase."""
    if " · " in term:
        return " · ".join(surface_form(part, texts) for part in term.split(" · "))
    return written(term, texts) or term


def subject_form(label: str, texts: list[str]) -> str:
    """A signal's label as readers know it: two words the documents write as one phrase are that phrase
    ('punaises · lit' -> 'punaises de lit'), each phrase as written, a fragment of a sentence or a phrase
    mostly repeating the ones before dropped ('punaises de lit · désinsectisation peut dépasser mille' ->
    'punaises de lit').

    >>> docs = ["Les punaises de lit reviennent.", "Des punaises de lit au collège."]
    >>> subject_form("punaises · lit", docs), subject_form("punaise lit · punaises · coût peut dépasser", docs)
    ('punaises de lit', 'punaises de lit')
    """
    parts = [p.strip() for p in label.split(" · ") if p.strip()]
    if len(parts) > 1 and all(len(p.split()) == 1 for p in parts):
        together = written(" ".join(parts), texts)
        if together is not None:
            return together
    kept: list[str] = []
    for part in parts:
        form = surface_form(part, texts)
        if kept and (is_fragment(form) or _repeats(form, kept)):
            continue
        kept.append(form)
    return " · ".join(kept) if kept else label


def _repeats(phrase: str, kept: list[str]) -> bool:
    """A phrase that is mostly words already named is a facet of the same theme, not a second name
    ('kilomètre en vélo-cargo' after 'arceaux adaptés aux vélos-cargos'); half of its words new is another
    name ('cour oasis' after "cours d'école")."""
    own = _stems(phrase)
    named = set().union(*(_stems(k) for k in kept))
    return len(own & named) * 2 > len(own)


def same_theme(a: str, b: str) -> bool:
    """Two names of one theme: the same content words, or the two or more of one all words of the other
    ('punaises de lit' and 'punaises · lit', 'cour oasis' and 'cours d'école · cour oasis'); one word is
    not enough ('chaleurs' and 'îlots de chaleur' are two themes).

    >>> same_theme("punaises · lit", "Punaises de lit"), same_theme("chaleurs", "îlots de chaleur")
    (True, False)
    """
    sa, sb = _stems(a), _stems(b)
    if not sa or not sb:
        return False
    return sa == sb or (min(len(sa), len(sb)) >= 2 and (sa <= sb or sb <= sa))


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
    >>> [is_fragment(t) for t in ("inspecté les chambres", "sécurité des piétons", "qualité de l’air")]
    [True, False, False]
    """
    words = [w for w in re.split(r"[\s'’]+", term.strip().lower()) if w]
    content = [w for w in words if not re.fullmatch(_GLUE + "|[dl]|qu", w)]
    if not content or len(content) > MAX_WORDS or any(w in _FRAGMENT_WORDS for w in content):
        return True
    # a verb and its object ('inspecté les chambres'): a participle, then an article
    if any(
        w.endswith(("é", "és", "ée", "ées")) and nxt in _ARTICLES
        for w, nxt in zip(words, words[1:], strict=False)
    ):
        return True
    return len(content) == 1 and content[0].endswith(("és", "ées"))  # a lone plural participle


def _stems(phrase: str) -> set[str]:
    """The content words of a phrase, without accents nor plural marks ('Vélos-cargos' -> velo, cargo)."""
    stop = stop_words()
    words = re.split(r"[\s\-'’·]+", phrase.lower())
    return {normalise(fold(w)) for w in words if len(w) >= 3 and w not in stop}


def clean_keywords(
    terms: list[str], texts: list[str], subject: str = "", limit: int = 6
) -> list[tuple[str, str]]:
    """Keywords worth showing, as (term, form shown): each as the cited documents write it (a lone word as
    the phrase it sits in; a keyword they never write is left out), fragments dropped, none repeating the
    subject or an earlier keyword."""
    shown: list[tuple[str, str]] = []
    seen = [_stems(subject)] if subject else []
    for term in terms:
        if is_fragment(term):
            continue
        form = written(term, texts)  # a keyword the cited documents never write is not shown
        if form is None:
            continue
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
    """Whether a topic is the signal's: it holds most (over half) of the signal's recent documents (``share``)
    and its
    two leading words share a word with the signal's subject or first keywords. A topic line naming another theme's
    topic (bed bugs under short-term rentals) is not shown.

    >>> agrees(["punaises", "lit", "logement"], 0.8, "punaises de lit", [])
    True
    >>> agrees(["punaises", "lit", "meublés"], 0.8, "locations meublées", ["tourisme"])
    False
    >>> agrees(["punaises", "lit"], 0.3, "punaises de lit", [])
    False
    """
    if share <= 0.5 or not topic_keywords:
        return False
    mine = set().union(*(_stems(t) for t in [subject, *keywords[:3]]))
    theirs = set().union(*(_stems(t) for t in topic_keywords[:2]))
    return bool(theirs & mine)
