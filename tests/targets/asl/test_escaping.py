"""Strings from the spec (names, docs, keys, reasons, string literals) are JSON-escaped exactly."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from statewright.targets.asl import asljson
from statewright.targets.asl.checks import states_of
from statewright.targets.asl.expressions import intrinsic_string
from tests.targets.asl.support import artifacts, validate
from tests.targets.specs import machine_of

HOSTILE = "q\"uo\\te \u00e9 \u2014 \U0001f600 {x} 'tick' \\n tab\t"
SPEC = r"""workflow Hostile {
  doc "the workflow's doc: q\"uo\\te é — 😀 {x} 'tick' \\n tab\t"
  context {
    label: string = "q\"uo\\te é — 😀 {x} 'tick' \\n tab\t"
    n: int 0..9 = 0
  }
  events { go "go: q\"uo\\te é — 😀", stop }
  initial state Idle {
    doc "idle: q\"uo\\te é — 😀 {x} 'tick'"
    on go when label == "q\"uo\\te é — 😀 {x} 'tick' \\n tab\t" -> Busy
       requires "perm:q\"uo\\te é {x} 'tick'" {
      do notify key "k-{label}-q\"uo\\te é 'tick'"
      set n = n + 1
    }
    on go else -> Done
    reject stop "reason: q\"uo\\te é — 😀 {x} 'tick'"
    timeout 1m -> Done
  }
  state Busy { on stop -> Done timeout 1m -> Done }
  final state Done { outcome failure "cause: q\"uo\\te é — 😀 {x} 'tick' \\n" }
}
"""


def test_hostile_strings_round_trip_through_the_definition(tmp_path: Path) -> None:
    """Docs, reasons, keys, permissions and literals come back from the JSON exactly; the validator agrees."""
    machine = machine_of(SPEC)
    text = artifacts(machine, "hostile.wf")["Hostile.asl.json"]
    data = json.loads(text)
    states = dict(states_of(data))
    assert machine.doc is not None and data["Comment"].endswith(machine.doc)
    assert HOSTILE in machine.doc
    done = machine.state("Done")
    assert states["Done"]["Cause"] == done.outcome_reason
    idle = machine.state("Idle")
    assert idle.doc is not None and states["Idle"]["Comment"].endswith(idle.doc)
    defaults = states["Start | defaults"]["Result"]
    assert defaults["label"] == HOSTILE
    choice = states["Idle | wait | decide"]
    rule = choice["Choices"][0]["And"][1]
    assert rule == {"Variable": "$.context.label", "StringEquals": HOSTILE}
    needs = next(s for n, s in states.items() if n.endswith(": gate needs"))
    assert needs["Result"] == {"permission1": machine.transitions[0].permissions[0]}
    gate = next(s for n, s in states.items() if n.endswith(": gate"))
    assert gate["Parameters"] == {
        "permission1.$": "States.ArrayContains($.signal.permissions, $.check.permission1)"
    }
    notify = next(
        s
        for s in states.values()
        if s.get("Parameters", {})
        .get("MessageBody", s.get("Parameters", {}).get("Payload", {}))
        .get("action")
        == "notify"
    )
    body = notify["Parameters"].get("Payload") or notify["Parameters"]["MessageBody"]
    assert body["key"] == machine.transitions[0].actions[0].key  # type: ignore[union-attr]
    assert "\u00e9" in text and "\\u00e9" not in text  # non-ASCII kept as UTF-8
    path = tmp_path / "Hostile.asl.json"
    path.write_text(text, "utf-8")
    result = validate([path])
    assert result.returncode == 0, result.stdout + result.stderr


def test_intrinsic_string_literals_escape_quotes_braces_and_backslashes() -> None:
    """`'`, `{`, `}` and `\\` are backslash-escaped inside intrinsic-function string literals."""
    assert intrinsic_string("a'b{c}d\\e") == "'a\\'b\\{c\\}d\\\\e'"
    assert intrinsic_string("plain é") == "'plain é'"


@settings(max_examples=200)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=10,
    )
)
def test_json_writer_round_trips_any_value(value: object) -> None:
    """The definition writer produces JSON that parses back to the same value, for any text."""
    assert json.loads(asljson.dumps(value)) == value
