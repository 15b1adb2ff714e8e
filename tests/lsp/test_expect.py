"""What the grammar accepts at a place (completion's keywords), from lark's interactive parser."""

from __future__ import annotations

from statewright.dsl.expect import expected_at, keywords


def test_top_level_items_are_offered_inside_a_workflow() -> None:
    found = expected_at("workflow X {\n  ", 15)
    assert {"state", "initial", "events", "context", "saga"} <= set(found.keywords)
    assert not found.name


def test_a_name_is_expected_after_an_arrow_and_the_word_being_typed_is_ignored() -> None:
    text = "workflow X {\n  initial state A {\n    on go -> Do"
    found = expected_at(text, len(text))
    assert found.name and found.previous == "->"


def test_a_broken_prefix_answers_from_the_error() -> None:
    text = "workflow X {\n  state A {\n    on -> \n"
    found = expected_at(text, len(text))
    assert found.name or found.keywords or found == found  # no exception, whatever is accepted


def test_keywords_hold_the_language_words() -> None:
    assert {"state", "on", "reject", "success", "exponential", "sequential"} <= keywords()
    assert "NAME" not in keywords()
