"""Which emerging terms tell one story: groups, bridges between two stories, words mostly elsewhere."""

import numpy as np
from scipy import sparse

from signals.stages.grouping import group_terms, own_terms


def _documents(rows: list[list[int]], terms: int) -> sparse.csr_matrix:
    """A documents x terms matrix: each row lists the terms one document holds."""
    dense = np.zeros((len(rows), terms), dtype=np.float32)
    for i, held in enumerate(rows):
        dense[i, held] = 1.0
    return sparse.csr_matrix(dense)


def _as_sets(groups: list[np.ndarray]) -> list[set[int]]:
    return sorted(({int(t) for t in g} for g in groups), key=min)


def test_a_common_word_shared_by_two_stories_joins_neither():
    # Terms 0, 1: a tiers-lieu; 2, 3: a Christmas market; 4: "ouvre", in the documents of both.
    tiers = [[0, 1, 4]] * 3 + [[0, 1]]
    market = [[2, 3, 4]] * 3 + [[2, 3]]
    groups = _as_sets(group_terms(_documents(tiers + market, 5)))
    assert {0, 1} in groups and {2, 3} in groups
    assert all(4 not in g for g in groups)


def test_a_story_whose_parts_share_documents_keeps_its_name():
    # Term 0 names the story; 1, 2 and 3, 4 are two of its phrases, never twice in one document together,
    # yet two documents hold one of each: one story, not two bridged by its name.
    rows = [[0, 1, 2]] * 3 + [[0, 3, 4]] * 3 + [[0, 1, 3], [0, 2, 4]]
    assert _as_sets(group_terms(_documents(rows, 5))) == [{0, 1, 2, 3, 4}]


def test_unrelated_terms_stay_apart():
    rows = [[0, 1]] * 3 + [[2, 3]] * 3
    assert _as_sets(group_terms(_documents(rows, 4))) == [{0, 1}, {2, 3}]


def test_a_word_mostly_in_other_documents_is_not_the_themes():
    # Terms 0, 1: a schoolyard; 2: "agence", in two of its documents and in six of an epidemic's.
    rows = [[0, 1, 2], [0, 1, 2], [0, 1], [0]] + [[2]] * 6
    columns = np.array([10, 11, 12])
    assert own_terms(_documents(rows, 3), columns).tolist() == [10, 11]


def test_two_common_words_shared_by_two_stories_join_neither_and_a_word_of_one_stays():
    # Terms 0, 1: a schoolyard; 2, 3: an epidemic; 4 "enfants" and 5 "agence", common words, in documents
    # of both and of others; 6 "bitume", mostly in the schoolyard's documents, once in another.
    yard = [[0, 1, 4, 6], [0, 1, 5, 6], [0, 1, 4, 5, 6], [0, 1]]
    epidemic = [[2, 3, 4], [2, 3, 5], [2, 3, 4, 5], [2, 3]]
    groups = _as_sets(group_terms(_documents(yard + epidemic + [[6], [4], [5], [4, 5]], 7)))
    assert {0, 1, 6} in groups and {2, 3} in groups
    assert all(4 not in g and 5 not in g for g in groups)
