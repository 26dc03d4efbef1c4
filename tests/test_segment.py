"""split_into_segments and split_sentences: blocks -> pieces small enough for one engine call."""

from __future__ import annotations

import random

import pytest

from nikola_tts.text.blocks import Block
from nikola_tts.text.segment import PAUSE_AFTER, PAUSE_WITHIN_BLOCK, Segment, split_into_segments, split_sentences

LONG_PARAGRAPH = (
    "The kettle was old. It had belonged to my grandmother, who bought it in 1962 for 3.50 dollars! "
    "Did it still work? It did, e.g. on cold mornings, though Dr. Jones (our neighbour) doubted it. "
    "We used it daily, i.e. twice before noon, for tea, coffee, soup, etc. and nobody complained. "
    "Then one winter it cracked."
)


# --- split_sentences -----------------------------------------------------------------------------


def test_sentences_split_after_full_stop_exclamation_and_question_marks():
    assert split_sentences("One. Two! Three? Four") == ["One.", "Two!", "Three?", "Four"]


def test_closing_quotes_and_brackets_stay_with_their_sentence():
    assert split_sentences("He said “Stop.” (Then left.) She stayed.") == [
        "He said “Stop.”", "(Then left.)", "She stayed.",
    ]


def test_decimal_numbers_and_domains_do_not_end_a_sentence():
    assert split_sentences("Pi is 3.14 today. Visit example.com now.") == [
        "Pi is 3.14 today.", "Visit example.com now.",
    ]


@pytest.mark.parametrize("abbreviation", ["e.g.", "i.e.", "etc.", "vs.", "Mr.", "Dr."])
def test_abbreviation_followed_by_lowercase_does_not_end_a_sentence(abbreviation):
    text = f"Some tools, {abbreviation} the kettle, are old. New sentence."
    assert split_sentences(text) == [f"Some tools, {abbreviation} the kettle, are old.", "New sentence."]


def test_titles_before_a_name_do_not_end_a_sentence():
    assert split_sentences("Ask Dr. Jones and Mr. Smith. They know.") == ["Ask Dr. Jones and Mr. Smith.", "They know."]


def test_etc_before_a_capital_ends_a_sentence():
    assert split_sentences("Tea, coffee, etc. Then soup.") == ["Tea, coffee, etc.", "Then soup."]


def test_initials_do_not_end_a_sentence():
    assert split_sentences("J. R. R. Tolkien wrote it. Yes.") == ["J. R. R. Tolkien wrote it.", "Yes."]


def test_ellipsis_before_lowercase_continues_the_sentence():
    assert split_sentences("Wait... what happened... Nothing.") == ["Wait... what happened...", "Nothing."]


def test_cjk_sentence_ends_split_without_whitespace():
    assert split_sentences("これは文です。これも文です！本当？はい") == [
        "これは文です。", "これも文です！", "本当？", "はい",
    ]


def test_arabic_question_mark_ends_a_sentence():
    assert split_sentences("كيف حالك؟ أنا بخير.") == ["كيف حالك؟", "أنا بخير."]


def test_empty_text_has_no_sentences():
    assert split_sentences("   ") == []


# --- split_into_segments ---------------------------------------------------------------------------


def test_short_block_is_one_segment_with_its_kind_pause():
    assert split_into_segments([Block("heading", "Kettles")], 100) == [
        Segment("Kettles", "heading", PAUSE_AFTER["heading"], block=0),
    ]


def test_each_kind_gets_its_own_pause():
    blocks = [Block(kind, f"Some {kind} text.") for kind in PAUSE_AFTER]
    assert [s.pause_after for s in split_into_segments(blocks, 100)] == list(PAUSE_AFTER.values())


def test_title_comes_first_as_its_own_segment():
    segments = split_into_segments([Block("paragraph", "Body.")], 100, title="  The   Kettle ")
    assert segments[0] == Segment("The Kettle", "title", PAUSE_AFTER["title"])
    assert segments[1].text == "Body."


@pytest.mark.parametrize("title", [None, "", " \u00a0 "])
def test_missing_or_blank_title_adds_no_segment(title):
    assert [s.kind for s in split_into_segments([Block("paragraph", "Body.")], 100, title=title)] == ["paragraph"]


def test_long_block_splits_at_sentence_ends_packing_whole_sentences():
    text = "First sentence here. Second one. Third sentence is longer than both."
    assert [s.text for s in split_into_segments([Block("paragraph", text)], 35)] == [
        "First sentence here. Second one.", "Third sentence is longer than both.",
    ]


def test_pieces_of_a_block_pause_briefly_except_the_last():
    segments = split_into_segments([Block("quote", LONG_PARAGRAPH)], 120)
    assert len(segments) > 2
    assert [s.pause_after for s in segments] == [PAUSE_WITHIN_BLOCK] * (len(segments) - 1) + [PAUSE_AFTER["quote"]]
    assert {s.kind for s in segments} == {"quote"}


def test_sentence_longer_than_max_chars_splits_at_clause_punctuation():
    text = "The kettle, which was old and dented, still boiled water; nobody knew why it worked so well"
    pieces = [s.text for s in split_into_segments([Block("paragraph", text)], 60)]
    assert pieces == ["The kettle, which was old and dented, still boiled water;", "nobody knew why it worked so well"]


def test_clause_longer_than_max_chars_splits_between_words():
    text = "one two three four five six seven eight nine ten eleven twelve"
    pieces = [s.text for s in split_into_segments([Block("paragraph", text)], 20)]
    assert pieces == ["one two three four", "five six seven eight", "nine ten eleven", "twelve"]


def test_word_longer_than_max_chars_is_cut_as_last_resort():
    word = "x" * 50
    assert [s.text for s in split_into_segments([Block("paragraph", word)], 20)] == ["x" * 20, "x" * 20, "x" * 10]


def test_every_segment_fits_and_is_stripped_and_non_empty():
    for max_chars in (20, 33, 80, 200):
        for segment in split_into_segments([Block("paragraph", LONG_PARAGRAPH)], max_chars):
            assert 0 < len(segment.text) <= max_chars
            assert segment.text == segment.text.strip()


@pytest.mark.parametrize("max_chars", [20, 41, 64, 100, 150, 250, 1000])
def test_pieces_joined_by_spaces_give_back_the_block_text(max_chars):
    segments = split_into_segments([Block("paragraph", LONG_PARAGRAPH)], max_chars)
    assert " ".join(s.text for s in segments) == LONG_PARAGRAPH


def test_reconstruct_property_holds_for_random_prose():
    rng = random.Random(1234)
    words = ["kettle", "Tea", "e.g.", "3.14", "Dr.", "boils", "water,", "steam;", "cup:", "why?", "yes!", "so.",
             "“quoted.”", "(aside)", "naïve", "مرحبا", "שלום", "—", "etc.", "The"]
    for _ in range(200):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 120)))
        max_chars = rng.randint(20, 300)
        segments = split_into_segments([Block("paragraph", text)], max_chars)
        assert " ".join(s.text for s in segments) == text
        assert all(0 < len(s.text) <= max_chars for s in segments)


def test_cjk_pieces_joined_without_spaces_give_back_the_block_text():
    text = "これは最初の文です。" * 10
    segments = split_into_segments([Block("paragraph", text)], 25)
    assert all(len(s.text) <= 25 for s in segments)
    assert "".join(s.text for s in segments) == text


def test_blocks_keep_their_order():
    blocks = [Block("heading", "A"), Block("paragraph", "B."), Block("item", "C")]
    assert [s.text for s in split_into_segments(blocks, 50)] == ["A", "B.", "C"]


@pytest.mark.parametrize("max_chars", [0, 1, 19, -5])
def test_max_chars_below_20_is_rejected(max_chars):
    with pytest.raises(ValueError):
        split_into_segments([Block("paragraph", "Text.")], max_chars)
