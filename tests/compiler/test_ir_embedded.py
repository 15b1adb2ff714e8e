"""The IR's embedded form (`ir.embedded`): exact round trip but spans, safe in a raw literal, stable keys."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import PurePath
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from statewright import ir
from statewright.ir import embedded, json_form
from statewright.ir.embedded import transition_keys
from statewright.pipeline import compile_path
from statewright.source import NO_SPAN
from tests.ir_strategies import machines, transitions
from tests.targets.specs import example_paths


def _spans_reset(data: Any) -> Any:
    """JSON data with every span the model's default: what the embedded form keeps of a machine."""
    if isinstance(data, dict):
        return {
            key: NO_SPAN.to_dict() if key == "span" else _spans_reset(value) for key, value in data.items()
        }
    if isinstance(data, list):
        return [_spans_reset(item) for item in data]
    return data


def _portable(machine: ir.Machine) -> ir.Machine:
    # requirements only choose an engine: generated code does not embed them
    return replace(machine, source=PurePath(machine.source).name if machine.source else "", requirements=None)


@settings(max_examples=150, deadline=None)
@given(machines)
def test_every_machine_round_trips_but_its_spans(machine: ir.Machine) -> None:
    """`load(dump(m))` is `m` (source reduced to its file name), every span the default, none in the text."""
    text = embedded.dump(machine)
    loaded = embedded.load(text)
    assert loaded == _portable(machine)
    assert json_form.to_data(loaded) == _spans_reset(json_form.to_data(_portable(machine)))
    assert '"span":' not in text
    assert text.isascii()


@settings(max_examples=150, deadline=None)
@given(machines)
def test_the_text_reads_back_exactly_from_a_raw_triple_quoted_literal(machine: ir.Machine) -> None:
    """No spec text can close the generated modules' `r\"\"\"...\"\"\"` literal or change what it holds."""
    text = embedded.dump(machine)
    assert ast.literal_eval(f'r"""\n{text}\n"""') == f"\n{text}\n"


@settings(max_examples=150, deadline=None)
@given(machines)
def test_each_run_of_one_reason_is_written_once(machine: ir.Machine) -> None:
    """Consecutive refusals of one kind and reason are one run: the text has one entry per run."""
    runs = 0
    previous: tuple[str, str | None] | None = None
    for reject in machine.rejects:
        runs += (reject.kind, reject.reason) != previous
        previous = (reject.kind, reject.reason)
    lines = embedded.dump(machine).splitlines()
    assert sum(line.startswith(' {"kind":') for line in lines) == runs


def test_reject_star_is_one_run_with_a_line_per_state() -> None:
    """order_fulfilment's `reject *` (30 pairs over 6 states) is one reason and six lines."""
    path = next(p for p in example_paths() if p.name == "order_fulfilment.wf")
    machine = compile_path(path).machine
    assert machine is not None
    reason = "the order is not at a stage where this applies"
    assert sum(r.reason == reason for r in machine.rejects) == 30
    text = embedded.dump(machine)
    assert text.count(reason) == 1
    assert '  ["Draft",["valid","invalid","reviewed","discard","resolved"]],' in text.splitlines()


@settings(max_examples=150, deadline=None)
@given(machines)
def test_transition_keys_are_unique(machine: ir.Machine) -> None:
    """No two transitions share a key, even when an event is named like a transition kind."""
    keys = transition_keys(machine)
    assert len(keys) == len(machine.transitions) == len(set(keys))


@settings(max_examples=150, deadline=None)
@given(machines, transitions, st.data())
def test_adding_a_transition_changes_only_the_keys_after_it_on_its_trigger(
    machine: ir.Machine, added: ir.Transition, data: st.DataObject
) -> None:
    """A transition inserted anywhere keeps every other key but its later siblings (same source, trigger)."""
    at = data.draw(st.integers(0, len(machine.transitions)))
    grown = replace(machine, transitions=(*machine.transitions[:at], added, *machine.transitions[at:]))
    before = transition_keys(machine)
    after = transition_keys(grown)
    new = after[at]
    for index, key in enumerate(before):
        moved = after[index if index < at else index + 1]
        if index >= at and key[:2] == new[:2]:
            assert moved == (*key[:2], key[2] + 1)
        else:
            assert moved == key
