"""Words a reader can take as they come: keywords and subjects as the documents write them, no fragments of
sentences, one name for one theme, and a topic line only when the topic is the signal's."""

from __future__ import annotations

from reports.phrases import agrees, clean_keywords, same_theme, subject_form

DOCS = [
    "Saint-Aubin lance une aide à l'achat de vélos-cargos. L'aide à l'achat d'un vélo-cargo peut atteindre "
    "cinq cents euros.",
    "Fontclaire : l'aide à l'achat des vélos-cargos est versée par l'agence de l'eau, qui finance une partie "
    "des travaux.",
    "Les bailleurs sociaux ont signalé plusieurs logements infestés. Les familles installées au rez-de-chaussée "
    "ont inspecté les chambres.",
    "Les punaises de lit se cachent dans les matelas, les sommiers et les plinthes.",
]


def shown(terms: list[str], subject: str = "") -> list[str]:
    return [form for _, form in clean_keywords(terms, DOCS, subject)]


def test_a_lone_word_is_shown_as_the_phrase_the_documents_write_it_in():
    assert shown(["achat"]) == ["aide à l’achat"]


def test_keywords_are_written_as_in_the_documents_with_their_plural_and_glue_words():
    # the analysis and the topic model count stripped, singular forms
    assert shown(["punaise lit", "vélo-cargo"]) == ["punaises de lit", "vélos-cargos"]


def test_fragments_of_sentences_are_not_keywords():
    terms = [
        "installés",  # a lone participle
        "atteindre cinq cents",  # a number in words
        "eau finance une partie",  # a piece of a sentence
        "sociaux signalé logements",  # never written so: words from both sides of a verb
        "inspecté chambres",  # a verb and its object
        "sommiers plinthes",  # two items of a list
    ]
    assert shown(terms) == []


def test_no_keyword_repeats_the_subject_or_another_keyword():
    assert shown(["vélos-cargos", "achat", "aide achat", "vélo-cargo"], subject="vélo-cargo") == [
        "aide à l’achat"
    ]


def test_a_subject_is_one_name_without_fragments():
    assert subject_form("punaises · lit", DOCS) == "punaises de lit"
    assert subject_form("punaise lit · désinsectisation peut dépasser mille", DOCS) == "punaises de lit"
    assert same_theme("punaises de lit", subject_form("punaises · lit", DOCS))
    # a second phrase mostly repeating the first is a facet of the theme, not a second name
    assert subject_form("vélos-cargos · kilomètre en vélo-cargo", DOCS) == "vélos-cargos"
    assert subject_form("vélos-cargos · aide achat", DOCS) == "vélos-cargos · aide à l’achat"
    assert not same_theme("chaleurs", "îlots de chaleur")


def test_the_topic_line_only_when_the_topic_is_the_signals():
    bed_bugs = ["punaises", "lit", "logements infestés"]
    assert agrees(bed_bugs, 0.8, "punaises de lit", ["logements infestés"])
    assert not agrees(bed_bugs, 0.8, "locations meublées", ["meublés de tourisme"])  # another theme's topic
    assert not agrees(bed_bugs, 0.5, "punaises de lit", [])  # half the documents: not the signal's topic
