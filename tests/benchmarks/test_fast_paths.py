"""The fast paths the performance work added give exactly what the code they replace gave."""

from __future__ import annotations

import dataclasses
import json

from hypothesis import given
from hypothesis import strategies as st

from benchmarks import synth
from statewright import ir
from statewright.dsl.parser import parse
from statewright.ir.json_form import dump, to_data
from statewright.pipeline import compile_text
from statewright.source import SourceText, Span
from tests import ir_strategies
from tests.conftest import example_files


def _reference_dump(machine: ir.Machine) -> str:
    """What `dump` returned before it wrote its text directly: `json` over `to_data`."""
    return json.dumps(to_data(machine), indent=2, ensure_ascii=False) + "\n"


@given(ir_strategies.machines)
def test_dump_is_json_dumps_of_to_data_for_any_machine(machine: ir.Machine) -> None:
    assert dump(machine) == _reference_dump(machine)


def test_dump_is_json_dumps_of_to_data_for_the_examples_and_a_synthetic_spec() -> None:
    texts = [(path.name, path.read_text("utf-8")) for path in example_files()]
    texts.append(("synthetic.wf", synth.spec(400)))
    for name, text in texts:
        machine = compile_text(text, name).machine
        assert machine is not None, name
        assert dump(machine) == _reference_dump(machine), name


def _spans(value: object, found: list[Span]) -> None:
    if isinstance(value, Span):
        found.append(value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            _spans(getattr(value, item.name), found)
    elif isinstance(value, tuple | list):
        for item in value:
            _spans(item, found)


def _check_spans(source: SourceText) -> int:
    """Every span the parser made has the line and column the line index gives for its offsets."""
    parsed = parse(source)
    found: list[Span] = []
    _spans(parsed.workflow, found)
    _spans(parsed.diagnostics, found)
    for span in found:
        expected = source.span(span.offset, span.end_offset)
        assert (span.line, span.column, span.end_line, span.end_column) == (
            expected.line,
            expected.column,
            expected.end_line,
            expected.end_column,
        ), (source.name, span)
    return len(found)


def test_parser_spans_from_lark_positions_match_the_line_index() -> None:
    """Spans are built from lark's token positions; they must equal SourceText.span of the same offsets."""
    for path in example_files():
        text = path.read_text("utf-8")
        for variant in (text, text.replace("\n", "\r\n"), text.replace("  ", "\t")):
            assert _check_spans(SourceText(path.name, variant)) > 100


@given(st.text(alphabet="ab é\t\r\n", max_size=40))
def test_line_index_finds_every_line_start(prefix: str) -> None:
    text = prefix + "\n" + synth.HEADER.format(states=7)
    source = SourceText("x.wf", text)
    starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]
    assert [source.position(start) for start in starts] == [(n + 1, 1) for n in range(len(starts))]
