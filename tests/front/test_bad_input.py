"""Hostile and malformed input: every case is a located diagnostic with a code, never a crash."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from statewright.diagnostics import Severity
from statewright.pipeline import compile_path, compile_text, decode_source, read_source
from statewright.source import SourceText
from tests.conftest import example_files

SAMPLE = (Path(__file__).parent / "data" / "kitchen_sink.wf").read_text("utf-8")


def _only(result_codes: list[str], code: str) -> None:
    assert result_codes == [code], result_codes


def test_missing_file(tmp_path: Path) -> None:
    result = compile_path(tmp_path / "nope.wf")
    _only([d.code for d in result.diagnostics], "SW001")
    assert not result.ok


def test_directory_instead_of_file(tmp_path: Path) -> None:
    _only([d.code for d in compile_path(tmp_path).diagnostics], "SW002")


def test_unreadable_path(tmp_path: Path) -> None:
    (diag,) = compile_path(tmp_path / ("x" * 300 + ".wf")).diagnostics
    assert diag.code == "SW007"
    assert "too long" in diag.message


def test_not_utf8_names_the_byte_and_position(tmp_path: Path) -> None:
    path = tmp_path / "latin1.wf"
    path.write_bytes('workflow W {\n  doc "caf\xe9"\n}'.encode("latin-1"))
    (diag,) = compile_path(path).diagnostics
    assert diag.code == "SW003"
    assert (diag.span.line, diag.span.column) == (2, 11)
    assert "0xe9" in diag.message


def test_utf8_bom_is_accepted() -> None:
    source = decode_source("bom.wf", b"\xef\xbb\xbfworkflow W { initial state A }")
    assert isinstance(source, SourceText)
    assert compile_text(source.text).ok


def test_nul_bytes_are_refused() -> None:
    diag = decode_source("bin.wf", b"workflow W {\x00}")
    assert not isinstance(diag, SourceText)
    assert diag.code == "SW008"


def test_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.wf"
    path.write_text("workflow W { initial state A }" + " " * 2000)
    source = read_source(path, max_bytes=1000)
    assert not isinstance(source, SourceText)
    assert source.code == "SW004"


def test_one_megabyte_of_garbage_is_one_clear_error() -> None:
    garbage = ("state } { -> on when 1s ( " * 40_000)[: 1 << 20]
    result = compile_text(garbage, "junk.wf")
    assert [d.code for d in result.diagnostics] == ["SW010"]
    assert result.diagnostics[0].span.line == 1


def test_one_megabyte_of_valid_states_compiles() -> None:
    count = 32_000
    states = "".join(f"  state S{i} {{ on go -> S{i + 1} }}\n" for i in range(count))
    states = states.replace("  state S0 {", "  initial state S0 {", 1)
    text = f"workflow Big {{\n  events {{ go }}\n{states}  final state S{count}\n}}\n"
    assert len(text) > 1 << 20
    result = compile_text(text, "big.wf")
    assert result.ok, result.diagnostics[:3]
    assert result.machine is not None and len(result.machine.states) == count + 1


def _check_never_crashes(text: str) -> None:
    result = compile_text(text, "fuzz.wf")
    lines = text.count("\n") + 1
    for diag in result.diagnostics:
        assert diag.code.startswith("SW")
        assert 1 <= diag.span.line <= lines
        assert diag.span.column >= 1
        assert diag.message
    if result.machine is None:
        assert any(d.severity is Severity.ERROR for d in result.diagnostics)


def _corpus() -> list[str]:
    data_flow = (Path(__file__).parent / "data" / "data_flow.wf").read_text("utf-8")
    return [SAMPLE, data_flow] + [p.read_text("utf-8") for p in example_files()]


@given(
    st.sampled_from(_corpus()),
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=10**6),
            st.integers(min_value=0, max_value=12),
            st.lists(
                st.sampled_from([*'{}()"\\#-><=.,:;\n ', "on", "state", "é", "\x00", "1s"]), max_size=4
            ).map("".join),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_specs_give_diagnostics_not_tracebacks(base: str, edits: list[tuple[int, int, str]]) -> None:
    text = base
    for position, length, replacement in edits:
        at = position % (len(text) + 1)
        text = text[:at] + replacement + text[at + length :]
    _check_never_crashes(text)


@given(st.text(max_size=200))
def test_arbitrary_text_gives_diagnostics_not_tracebacks(text: str) -> None:
    _check_never_crashes(text)


@given(st.binary(max_size=200))
def test_arbitrary_bytes_decode_or_are_refused(data: bytes) -> None:
    source = decode_source("bytes.wf", data)
    if isinstance(source, SourceText):
        _check_never_crashes(source.text)
    else:
        assert source.code in {"SW003", "SW008"}


def test_a_lexer_error_whose_accepts_differ_from_an_example_is_still_labelled() -> None:
    """`when;1s` once crashed lark 1.3's example matching (it formats a lexer state with `%d`)."""
    where = SAMPLE.index("on valid when ") + len("on valid when")
    text = SAMPLE[:where] + ";1s" + SAMPLE[where:]
    _check_never_crashes(text)
    codes = [d.code for d in compile_text(text, "fuzz.wf").diagnostics]
    assert "SW010" in codes  # the syntax error, with a location, not a traceback
