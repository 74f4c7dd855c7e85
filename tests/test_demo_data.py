"""The generated corpora's data files (signals/demo/data): they load, they hang together, a broken one
is reported with its file and key, and the engine's recipes keep their promises (ground truth, spread)."""

from __future__ import annotations

import re
import string
from pathlib import Path

import numpy as np
import pytest

from signals.demo.engine import Writer, spread_by_neighbours
from signals.demo.specs import (
    DATA,
    DataFileError,
    DemoSpec,
    LocalNews,
    Theme,
    ThemeSet,
    load,
    load_demo,
    load_embedding_corpus,
    load_local_news,
    load_themes,
)


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _templates(theme: Theme) -> list[str]:
    return [*theme.titles, *theme.sentences, *theme.proposals, *theme.deliberations]


def test_every_data_file_loads_into_its_specification():
    demo, news, themes, embedding = load_demo(), load_local_news(), load_themes(), load_embedding_corpus()
    assert sorted(p.name for p in DATA.glob("*.toml")) == [
        "demo.toml",
        "embedding_corpus.toml",
        "local_news.toml",
        "themes.toml",
    ]
    assert len(demo.communes) == 12 and [p.name for p in demo.planted][0] == "meubles_de_tourisme"
    assert news.recurring[0].weight == 1.6 and "ecole" in news.fillers
    assert len(themes.emerging) == 12 and len(themes.decoys) == 12
    assert all(len(pair) == 2 for pair in embedding.paraphrases + embedding.unrelated)


def test_demo_references_and_templates_hang_together():
    demo, news = load_demo(), load_local_news()
    slugs = {c.slug for c in demo.communes}
    assert all(set(c.neighbours) <= slugs for c in demo.communes)
    assert all(set(o.home_communes) <= slugs for o in demo.outlets)
    assert {p.origin for p in demo.planted} | {demo.anomaly.commune} <= slugs
    assert demo.anomaly.outlet in {o.slug for o in demo.outlets}
    themes = [*news.recurring, *demo.seasonal, *(o.theme for o in demo.one_offs)]
    themes += [*(p.theme for p in demo.planted), demo.anomaly.story]
    known = set(news.fillers) | {"commune"}
    unknown = {f for t in themes for tpl in _templates(t) for f in _fields(tpl)} - known
    assert not unknown, f"template fields without fillers: {unknown}"
    for t in load_themes().emerging + load_themes().decoys:
        assert {f for tpl in _templates(t) for f in _fields(tpl)} <= {"commune"}, t.name
        assert t.patterns, t.name


def test_ground_truth_patterns_find_the_planted_documents_and_no_others():
    from signals.demo.generate import generate

    corpus = generate()
    for event in corpus.ground_truth["events"]:
        pattern = re.compile("|".join(event["patterns"]), re.IGNORECASE)
        planted = {d.id: d for d in corpus.documents if d.planted == event["name"]}
        found = {d.id for d in corpus.documents if pattern.search(f"{d.title} {d.text}")}
        assert found and found <= set(planted), event["name"]  # no other theme uses these words
        # Articles and deliberations always name the theme; a few proposals ("Végétaliser les cours
        # d'école") only paraphrase it.
        assert {i for i, d in planted.items() if d.kind != "proposal"} <= found, event["name"]


def test_themes_spread_breadth_first_through_neighbours():
    graph = {"a": ("b", "c"), "b": ("a", "d"), "c": ("a",), "d": ("b",)}
    assert spread_by_neighbours("a", graph, -1) == []
    assert spread_by_neighbours("a", graph, 0) == ["a"]
    assert spread_by_neighbours("a", graph, 3) == ["a", "b", "c", "d"]
    assert spread_by_neighbours("a", graph, 9) == ["a", "b", "c", "d"]


def test_writer_is_reproducible_for_a_seed():
    news = load_local_news()

    def article(seed: int) -> tuple[str, str]:
        return Writer(np.random.default_rng(seed), news.fillers, news.generic).article(
            news.recurring[0], "Lirac"
        )

    assert article(4) == article(4) and article(4) != article(5)


@pytest.mark.parametrize(
    ("name", "spec", "mutation", "message"),
    [
        (
            "themes.toml",
            ThemeSet,
            lambda s: s.replace('name = "ambroisie"\n', ""),
            "emerging[9]: missing key 'name'",
        ),
        (
            "demo.toml",
            DemoSpec,
            lambda s: s.replace('name = "oasis"\ntitles = [', 'name = "oasis"\nheadlines = ['),
            "planted[1].theme: unknown key 'headlines'",
        ),
        (
            "demo.toml",
            DemoSpec,
            lambda s: s.replace("onset = 70\n", 'onset = "70"\n'),
            "planted[1].onset: expected int",
        ),
        (
            "demo.toml",
            DemoSpec,
            lambda s: s.replace("weeks = 104\n", "weeks = 104\nweekz = 3\n"),
            "top level: unknown key 'weekz'",
        ),
        (
            "demo.toml",
            DemoSpec,
            lambda s: s.replace("[anomaly.story]", "[anomaly.stry]"),
            "anomaly: unknown key 'stry'",
        ),
        (
            "local_news.toml",
            LocalNews,
            lambda s: s.replace('ligne = ["1"', "ligne = [1"),
            "fillers.ligne[0]: expected str",
        ),
        (
            "demo.toml",
            DemoSpec,
            lambda s: s.replace("first_week = 2024-11-25", "first_week = 2024-11-25 ="),
            "cannot read it as TOML",
        ),
    ],
)
def test_a_malformed_data_file_names_the_file_and_the_key(tmp_path: Path, name, spec, mutation, message):
    text = (DATA / name).read_text(encoding="utf-8")
    broken = tmp_path / name
    broken.write_text(mutation(text), encoding="utf-8")
    assert broken.read_text(encoding="utf-8") != text
    with pytest.raises(DataFileError) as error:
        load(broken, spec)
    assert str(error.value).startswith(f"{broken}: ") and message in str(error.value), str(error.value)
