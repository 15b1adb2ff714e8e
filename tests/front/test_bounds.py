"""The front end bounds every number, duration, name and string a spec can hold (issue 16).

What passes `check` must be something every target and the runtime can carry:
a duration an instant plus which fits in 64 bits, a name that fits in a file
name and an identifier, a string without the control characters XML forbids.
"""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statewright import ir
from statewright.ir.limits import MAX_DURATION_MS, MAX_NAME_LENGTH, MAX_WORKFLOW_NAME_LENGTH
from statewright.pipeline import compile_text
from statewright.runtime.engine import backoff_ms

_SPEC = """workflow W {{
  events {{ go }}
  initial state A {{
    doc {doc}
    on go -> B
    {extra}
  }}
  final state B
}}
"""


def _codes(text: str) -> list[tuple[str, int]]:
    return [(d.code, d.span.line) for d in compile_text(text).diagnostics if d.severity.value == "error"]


def _spec(doc: str = '"d"', extra: str = "") -> str:
    return _SPEC.format(doc=doc, extra=extra)


def test_a_timeout_past_64_bits_of_milliseconds_is_refused_with_its_line() -> None:
    # It used to pass `check` and crash `run start` (SQLite integer overflow).
    assert _codes(_spec(extra="timeout 9223372036854775807ms -> B")) == [("SW016", 6)]


@pytest.mark.parametrize(
    "clause",
    [
        "timeout 36501d -> B",
        "warn after 36501d",
        "invoke w heartbeat 36501d",
        "invoke w retry 3 backoff fixed 36501d",
        "invoke w retry 3 backoff exponential 1s..36501d",
    ],
)
def test_every_duration_slot_is_bounded_by_100_years(clause: str) -> None:
    assert ("SW016", 6) in _codes(_spec(extra=clause))
    assert "SW016" not in [code for code, _ in _codes(_spec(extra=clause.replace("36501d", "36500d")))]


def test_a_backoff_factor_is_bounded() -> None:
    assert _codes(_spec(extra="invoke w retry 3 backoff exponential 1s factor 101")) == [("SW016", 6)]
    assert _codes(_spec(extra="invoke w retry 3 backoff exponential 1s factor 100")) == []


@given(st.integers(1, 2**63 - 1), st.decimals(1, 100, places=2))
def test_an_uncapped_backoff_never_grows_past_the_longest_duration(failures: int, factor: Decimal) -> None:
    policy = ir.RetryPolicy(max_retries=None, backoff="exponential", base_ms=1000, factor=factor)
    assert 0 <= backoff_ms(policy, failures, random.Random(0)) <= MAX_DURATION_MS


@pytest.mark.parametrize(
    "template",
    [
        "workflow {n} {{ events {{ go }} initial state A {{ on go -> B }} final state B }}",
        "workflow W {{ events {{ go }} initial state {n} {{ on go -> B }} final state B }}",
        "workflow W {{ events {{ {n} }} initial state A {{ on {n} -> B }} final state B }}",
        "workflow W {{ context {{ {n}: int = 0 }} events {{ go }} initial state A {{ on go -> B }}"
        " final state B }}",
        "workflow W {{ events {{ go }} initial state A {{ invoke {n} on go -> B }} final state B }}",
        "workflow W {{ events {{ go({n}: int) }} initial state A {{ on go -> B }} final state B }}",
        "workflow W {{ context {{ x: int = 0 }} events {{ go({n}: int) }}"
        " initial state A {{ on go -> B {{ set x = event.{n} }} }} final state B }}",
        "workflow W {{ events {{ go }} initial state A {{ invoke w returns {{ {n}: int }} done -> B }}"
        " final state B }}",
        'workflow W {{ events {{ go }} initial saga S {{ step w key "k" returns {{ {n}: int }} done -> B'
        " compensated -> B }} final state B }}",
    ],
)
def test_a_name_past_the_limit_is_refused_where_it_is_written(template: str) -> None:
    limit = MAX_WORKFLOW_NAME_LENGTH if template.startswith("workflow {n}") else MAX_NAME_LENGTH
    long_name = "N" + "x" * limit
    diagnostics = compile_text(template.format(n=long_name)).diagnostics
    found = [d for d in diagnostics if d.code == "SW119"]
    assert found and len(found) == template.count("{n}"), diagnostics
    assert all(d.span.end_offset - d.span.offset == len(long_name) for d in found)
    fits = "N" + "x" * (limit - 1)
    assert "SW119" not in [d.code for d in compile_text(template.format(n=fits)).diagnostics]


_CONTROLS = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0))]
_SLOTS = [
    'doc "{s}"',
    'on go -> B requires "{s}"',
    'reject go "{s}"',
    'warn after 1s "{s}"',
    'invoke w key "{s}"',
]


@given(st.sampled_from([*_CONTROLS, "\ufffe", "\uffff"]), st.sampled_from(_SLOTS), st.booleans())
def test_a_control_character_in_any_string_is_refused_written_or_escaped(
    char: str, slot: str, escaped: bool
) -> None:
    text = f"\\u{{{ord(char):x}}}" if escaped else char
    body = slot.format(s=f"a{text}b")
    spec = f"workflow W {{\n  events {{ go }}\n  initial state A {{\n    {body}\n  }}\n  final state B\n}}\n"
    if char == "\x00" and not escaped:
        return  # a NUL byte is refused earlier, as binary input (SW008)
    codes = [(d.code, d.span.line) for d in compile_text(spec).diagnostics if d.code.startswith("SW01")]
    assert ("SW018", 4) in codes, (spec, codes)


@pytest.mark.parametrize("kept", ["\\t", "\\n", "\\r", "\t", "\r", "\u2028", "\u202e", "${Name}"])
def test_tab_line_breaks_and_other_text_stay_allowed(kept: str) -> None:
    assert _codes(_spec(doc=f'"a{kept}b"')) == []
