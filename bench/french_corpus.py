"""Generated French texts for embedding checks: a multi-theme corpus and paraphrase / unrelated pairs.

The corpus imitates local-government news (deliberations, press releases): every document mixes sentences
of one theme with boilerplate shared by all themes (communes, councils, dates), so a clustering has to use
the theme's meaning, not the presence of any text at all. Deterministic for a given seed.

The banks are data (``signals/demo/data/embedding_corpus.toml``, read by ``signals.demo.specs``). The
drawing stays on ``random.Random`` rather than the corpus engine (``signals.demo.engine``, numpy): the
embedding benchmark's figures and the e5 tests were measured on exactly these texts.

>>> texts, themes = theme_corpus(n_docs=24, seed=1)
>>> len(texts), len(set(themes)), texts == theme_corpus(n_docs=24, seed=1)[0]
(24, 12, True)
"""

from __future__ import annotations

import random

from signals.demo.specs import load_embedding_corpus

_SPEC = load_embedding_corpus()
PARAPHRASES: tuple[tuple[str, str], ...] = _SPEC.paraphrases
UNRELATED: tuple[tuple[str, str], ...] = _SPEC.unrelated


def theme_corpus(
    n_docs: int = 1000, seed: int = 0, sentences: tuple[int, int] = (2, 3)
) -> tuple[list[str], list[str]]:
    """``n_docs`` texts cycling over the themes, and each text's theme.

    Each text has a theme title and ``sentences`` theme sentences interleaved with one or two boilerplate
    sentences; with the defaults texts hold about 80 to 130 e5 tokens.
    """
    rng = random.Random(seed)
    names = list(_SPEC.themes)
    texts, labels = [], []
    for i in range(n_docs):
        theme = names[i % len(names)]
        slots = {
            "commune": rng.choice(_SPEC.communes),
            "month": rng.choice(_SPEC.months),
            "day": rng.randint(2, 28),
        }
        body = rng.sample(_SPEC.themes[theme], rng.randint(*sentences))
        for filler in rng.sample(_SPEC.boilerplate, rng.randint(1, 2)):
            body.insert(rng.randint(0, len(body)), filler)
        title = rng.choice(_SPEC.titles).format(**slots)
        texts.append(title + " " + " ".join(s.format(**slots) for s in body))
        labels.append(theme)
    return texts, labels
