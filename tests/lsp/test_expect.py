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


def test_a_syntax_error_above_the_cursor_is_recovered_from() -> None:
    missing_target = "workflow X {\n  state A {\n    on go -> \n  }\n  "
    assert {"state", "final", "saga"} <= set(expected_at(missing_target, len(missing_target)).keywords)
    stray = "workflow X {\n  state A {\n    on go ; -> B\n    "
    assert {"on", "reject", "timeout"} <= set(expected_at(stray, len(stray)).keywords)
    garbage = "workflow X {\n" + "} } ] ;; \x00 " * 100
    assert expected_at(garbage, len(garbage)) is not None  # bounded: no error, no hang


def test_keywords_hold_the_language_words() -> None:
    assert {"state", "on", "reject", "success", "exponential", "sequential"} <= keywords()
    assert "NAME" not in keywords()
