"""Tests of index.ingest.ner against the real shipped model (no mocks)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from index.ingest import ner  # noqa: E402
from index.ingest.ner import (  # noqa: E402
    Mention,
    extract_mentions,
    extract_mentions_from_tokens,
    surnames_across_article,
)

# ../shared beside the checkout, or beside a parent folder (a git worktree under wt/).
DEV = next(
    (p for p in (base / "shared" / "eval" / "ner" / "conll2003-dev.txt" for base in ROOT.parents) if p.is_file()),
    ROOT.parent / "shared" / "eval" / "ner" / "conll2003-dev.txt",
)

# Measured micro F1 (PER/ORG/LOC) on the first 300 dev sentences, each alone: 0.9525 (see
# bench/RESULTS.md ("Entity extraction")). The floor is a regression guard well below it.
DEV300_FLOOR = 0.85


def types(text: str) -> dict[str, str]:
    """Mention text -> type for one text, checking offsets on the way."""
    (mentions,) = extract_mentions([text])
    for m in mentions:
        assert text[m.start : m.end] == m.text
    return {m.text: m.type for m in mentions}


@pytest.mark.skipif(not DEV.is_file(), reason="shared CoNLL dev split not present")
def test_dev_slice_micro_f1_above_floor():
    import entities

    sents = entities.read_conll(DEV)[:300]
    preds = extract_mentions_from_tokens([w for w, _ in sents])
    assert len(preds) == len(sents)
    for (words, _), spans in zip(sents, preds):
        for s, e, t in spans:
            assert 0 <= s < e <= len(words) and t in {"person", "org", "place"}
    res = entities.score(sents, preds)
    assert res["micro"]["f1"] >= DEV300_FLOOR, res


@pytest.mark.skipif(not DEV.is_file(), reason="shared CoNLL dev split not present")
def test_dev_documents_read_as_articles_score_the_article_rule():
    import entities

    sents, sizes = entities.read_conll_articles(DEV)
    assert sum(sizes) == len(sents) == len(entities.read_conll(DEV)) and len(sizes) == 216
    first = sum(sizes[:20])
    words = [w for w, _ in sents[:first]]
    alone = extract_mentions_from_tokens(words)
    as_articles = extract_mentions_from_tokens(words, sizes[:20])
    assert entities.score(sents[:first], as_articles)["PER"]["f1"] >= entities.score(sents[:first], alone)["PER"]["f1"]
    with pytest.raises(ValueError):
        extract_mentions_from_tokens(words, [first + 1])


def test_a_surname_anywhere_in_the_article_is_that_person():
    title = [Mention("Nakasone", 0, 8, "org")]
    first = [Mention("Yasuhiro Nakasone", 0, 17, "person"), Mention("Tokyo", 30, 35, "place"),
             Mention("MaliVai Washington", 40, 58, "person")]
    later = [Mention("Nakasone", 3, 11, "org"), Mention("Washington", 20, 30, "place"),
             Mention("Toyota", 40, 46, "org"), Mention("Tokyo", 50, 55, "place")]
    got = surnames_across_article([title, first, later])
    assert got[0] == [Mention("Nakasone", 0, 8, "person")]
    assert got[1] == first
    assert [(m.text, m.type) for m in got[2]] == [
        ("Nakasone", "person"), ("Washington", "person"), ("Toyota", "org"), ("Tokyo", "place")]
    # Each article on its own: another article's people change nothing.
    assert surnames_across_article([later]) == [later]
    # Accents folded: "Erdogan" is the surname of "Recep Tayyip Erdoğan".
    (unit,) = surnames_across_article([[Mention("Recep Tayyip Erdoğan", 0, 20, "person"),
                                        Mention("Erdogan", 30, 37, "org")]])
    assert unit[1].type == "person"


def test_accented_and_plain_name_are_both_persons():
    text = (
        "Turkish President Recep Tayyip Erdoğan met Vladimir Putin in Sochi. "
        "Erdogan said the talks went well."
    )
    (mentions,) = extract_mentions([text])
    got = [(m.text, m.type) for m in mentions]
    assert ("Recep Tayyip Erdoğan", "person") in got, got
    assert ("Erdogan", "person") in got, got
    first = next(m for m in mentions if m.text.endswith("Erdoğan"))
    assert text[first.start : first.end] == first.text
    assert text[first.end - 7 : first.end] == "Erdoğan"


def test_accented_and_plain_spelling_get_the_same_type():
    # NER runs on folded text, so "Erdoğan" and "Erdogan" are the same name to
    # the model; within one text they always get one type. (Without context,
    # "Erdoğan met Erdogan" is not reliably a person for this CoNLL-1996-trained
    # model: see bench/RESULTS.md ("Entity extraction").)
    text = "President Erdoğan met Erdogan supporters."
    (mentions,) = extract_mentions([text])
    assert [(m.text, m.type) for m in mentions] == [("Erdoğan", "person"), ("Erdogan", "person")]
    assert mentions[0] == Mention("Erdoğan", 10, 17, "person")
    (bare,) = extract_mentions(["Erdoğan met Erdogan"])
    assert [m.text for m in bare] == ["Erdoğan", "Erdogan"]
    assert len({m.type for m in bare}) == 1


def test_hyphenated_region_is_one_place():
    got = types("Fighting broke out again in Nagorno-Karabakh on Sunday.")
    assert got == {"Nagorno-Karabakh": "place"}


@pytest.mark.parametrize(
    "text",
    [
        "Troops withdrew from Kalbajar and Lachin.",
        "Shelling hit Stepanakert and Shusha, officials in Yerevan said.",
        "Aliyev said Kalbajar would be handed over by Armenia.",
        "Russian peacekeepers arrived in Stepanakert on Tuesday.",
    ],
)
def test_rare_caucasus_places_are_places(text):
    got = types(text)
    names = [n for n in ("Kalbajar", "Lachin", "Stepanakert", "Shusha", "Yerevan") if n in text]
    assert names
    for name in names:
        assert got.get(name) == "place", got


def test_demonyms_are_not_entities():
    got = types("Azerbaijanis and Armenians celebrated, Turkish officials said.")
    assert not {"Azerbaijanis", "Armenians", "Turkish"} & set(got), got


def test_offsets_map_back_to_original_text():
    texts = [
        "Turkish President Recep Tayyip Erdoğan spoke in Ankara.\n\nPutin called Aliyev from Moscow.",
        "",
        "no entities here at all",
        "Müller joined Bayern München; Ilham Aliyev visited Şuşa.",
    ]
    out = extract_mentions(texts)
    assert len(out) == len(texts)
    assert out[1] == [] and out[2] == []
    for text, mentions in zip(texts, out):
        for m in mentions:
            assert text[m.start : m.end] == m.text
            assert m.type in {"person", "org", "place"}
    got = {m.text: m.type for m in out[0]}
    assert got.get("Ankara") == got.get("Moscow") == "place", got
    assert got.get("Putin") == "person", got
    assert got.get("Recep Tayyip Erdoğan") == "person", got
    assert [m.text for m in out[3]], out[3]


def test_fold_accents_is_one_to_one():
    s = "Erdoğan Şuşa Kəlbəcər Laçın Zürich Łódź Ærø ﬁ ’"
    folded = ner.fold_accents(s)
    assert len(folded) == len(s)
    assert folded.startswith("Erdogan Susa")


def test_missing_model_raises_clear_error(tmp_path):
    with pytest.raises(ner.ModelNotFoundError, match=str(tmp_path)):
        ner.load_model(tmp_path)


def test_two_processes_give_the_same_mentions():
    texts = [
        "Troops withdrew from Kalbajar and Lachin.",
        "Turkish President Recep Tayyip Erdoğan met Vladimir Putin in Sochi.",
        "Fighting broke out again in Nagorno-Karabakh on Sunday.",
        "Reuters reported from London.",
    ] * 2
    assert extract_mentions(texts, n_process=2, batch_size=2) == extract_mentions(texts, n_process=1)
