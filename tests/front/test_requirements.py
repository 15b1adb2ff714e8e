"""The `requirements { }` block: parsing, lowering, canonical printing and every bad input."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statewright import ir
from statewright.compiler.lower_requirements import KEYS
from statewright.dsl.format import format_text
from statewright.ir import json_form
from statewright.ir.embedded import dump as embedded_dump
from statewright.ir.identity import identity
from statewright.pipeline import compile_text
from statewright.source import SourceText

BASE = """workflow W {
  events { go }
  initial state A { on go -> B }
  final state B
  requirements { REQS }
}
"""
LINE = 5
"""The line the block is on."""
COLUMN = BASE.splitlines()[LINE - 1].index("REQS") + 1


def compiled(requirements: str) -> tuple[ir.Machine | None, list[tuple[str, int, int, str, str]]]:
    """Compile BASE with `requirements` in its block: the machine and (code, line, column, message, help)."""
    result = compile_text(BASE.replace("REQS", requirements), "w.wf")
    found = [(d.code, d.span.line, d.span.column, d.message, d.help) for d in result.diagnostics]
    return result.machine, found


def test_every_key_lowers() -> None:
    machine, found = compiled(
        "durability: zone_loss, hosting: managed, longest_run: 1d12h, volume: 250/m, "
        "human_steps: no, language: go, vendor_lock: accept"
    )
    assert found == []
    assert machine is not None
    assert machine.requirements == ir.Requirements(
        durability="zone_loss",
        hosting="managed",
        longest_run_ms=36 * 3_600_000,
        volume=ir.Volume(250, "m"),
        human_steps=False,
        language="go",
        vendor_lock="accept",
    )
    assert machine.requirements.span.line == LINE


def test_commas_are_optional_and_lines_free() -> None:
    machine, found = compiled("durability: machine_loss\n    human_steps: yes,")
    assert found == []
    assert machine is not None and machine.requirements is not None
    assert (machine.requirements.durability, machine.requirements.human_steps) == ("machine_loss", True)


def test_no_block_means_none() -> None:
    result = compile_text(BASE.replace("  requirements { REQS }\n", ""), "w.wf")
    assert result.machine is not None and result.machine.requirements is None


def test_keywords_stay_names_elsewhere() -> None:
    text = BASE.replace("events { go }", "events { requirements }").replace("on go", "on requirements")
    result = compile_text(text.replace("REQS", "human_steps: yes"), "w.wf")
    assert result.diagnostics == ()


BAD = [
    # (block contents, code, column offset of the finding in the block, message part, help part)
    ("durabilty: none", "SW126", 0, "did you mean `durability`?", "`vendor_lock`"),
    ("cost: low", "SW126", 0, "`cost` is not a requirement", "takes `durability`"),
    ("durability: machine_los", "SW127", 12, "did you mean `machine_loss`?", "durability: machine_loss"),
    ("hosting: cloud", "SW127", 9, "`serverless`, `managed`, `self_hosted` or `either`", "hosting: either"),
    ("human_steps: true", "SW127", 13, "it takes `yes` or `no`", "human_steps: yes"),
    ("language: cobol", "SW127", 10, "`cobol` is not a value of `language`", "language: python"),
    ("vendor_lock: 3d", "SW127", 13, "a word is needed", "vendor_lock: avoid"),
    ("longest_run: forever", "SW127", 13, "takes a duration", "longest_run: 90d"),
    ("longest_run: 90", "SW127", 13, "needs a unit", "longest_run: 90d"),
    ("longest_run: 0s", "SW128", 13, "of zero", "between 1ms and 100 years"),
    ("longest_run: 36501d", "SW016", 13, "too long", "100 years"),
    ("volume: 100", "SW127", 8, "COUNT/PERIOD", "volume: 100/s"),
    ("volume: 100/w", "SW127", 8, "`/w` is not a period", "volume: 100/s"),
    ("volume: 100*s", "SW127", 8, "`100*s` is not a volume", "COUNT/PERIOD"),
    ("volume: 0/s", "SW128", 8, "of zero", "at least 1"),
    ("volume: 10/s volume: 20/s", "SW112", 13, "requirement `volume` given twice", ""),
    ("", "SW116", -15, "has nothing in it", "remove the block"),
]


@pytest.mark.parametrize(
    ("block", "code", "offset", "message", "help"), BAD, ids=[row[0] or "empty" for row in BAD]
)
def test_bad_input_is_one_located_finding_with_a_fix(
    block: str, code: str, offset: int, message: str, help: str
) -> None:
    machine, found = compiled(block)
    assert machine is None
    assert len(found) == 1, found
    got_code, line, column, got_message, got_help = found[0]
    assert (got_code, line, column) == (code, LINE, COLUMN + offset)
    assert message in got_message
    assert help in (got_help or "")


def test_a_second_block_is_a_duplicate() -> None:
    text = BASE.replace("REQS", "human_steps: yes").replace(
        "  final state B\n", "  final state B\n  requirements { hosting: either }\n"
    )
    result = compile_text(text, "w.wf")
    assert [d.code for d in result.diagnostics] == ["SW112"]


def test_every_bad_value_is_reported_not_only_the_first() -> None:
    _machine, found = compiled("durability: x, hosting: y, colour: z")
    assert [code for code, *_ in found] == ["SW127", "SW127", "SW126"]


def test_fmt_prints_the_block_canonically() -> None:
    source = BASE.replace(
        "REQS", "longest_run: 2160h, volume: 100/s  # peak\n  human_steps: yes,durability: machine_loss"
    )
    result = format_text(SourceText("w.wf", source))
    assert result.text is not None
    assert (
        "  requirements {\n"
        "    longest_run: 90d\n"
        "    volume: 100/s  # peak\n"
        "    human_steps: yes\n"
        "    durability: machine_loss\n"
        "  }\n"
    ) in result.text
    again = format_text(SourceText("w.wf", result.text))
    assert again.text == result.text


def test_requirements_are_not_part_of_the_identity_nor_embedded() -> None:
    """They choose an engine; an instance runs the same on any, so a running instance stays valid."""
    declared, _ = compiled("durability: machine_loss, human_steps: yes")
    assert declared is not None
    plain = replace(declared, requirements=None)
    assert identity(declared) == identity(plain)
    assert embedded_dump(declared) == embedded_dump(plain)
    assert json_form.dump(declared) != json_form.dump(plain)
    assert json_form.load(json_form.dump(declared)) == declared


_WORDS = {name: key.words for name, key in KEYS.items() if key.kind in ("choice", "yes_no")}


@given(
    st.sampled_from(sorted(_WORDS)).flatmap(lambda key: st.tuples(st.just(key), st.sampled_from(_WORDS[key])))
)
def test_every_listed_word_lowers_to_itself(pair: tuple[str, str]) -> None:
    key, word = pair
    machine, found = compiled(f"{key}: {word}")
    assert found == []
    assert machine is not None and machine.requirements is not None
    value = getattr(machine.requirements, key)
    assert value == (word == "yes" if key == "human_steps" else word)


@given(st.integers(1, 10**6), st.sampled_from(["s", "m", "h", "d"]))
def test_every_volume_lowers_exactly(count: int, per: str) -> None:
    machine, found = compiled(f"volume: {count}/{per}")
    assert found == []
    assert machine is not None and machine.requirements is not None
    assert machine.requirements.volume == ir.Volume(count, per)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "block",
    ["durability machine_loss", "durability = machine_loss", 'language: "python"', "volume: 100 per s"],
)
def test_a_requirement_not_written_key_colon_value_is_a_named_syntax_error(block: str) -> None:
    _machine, found = compiled(block)
    ((code, line, _column, message, help),) = found
    assert (code, line, message) == ("SW010", LINE, "a requirement is written `key: value`")
    assert "durability: machine_loss" in help
