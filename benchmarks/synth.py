"""A deterministic generator of synthetic `.wf` specs of any size, for the compile benchmark.

Usage: python benchmarks/synth.py STATES > spec.wf

`spec(n)` returns a valid workflow (no error findings from `statewright check`)
whose IR has exactly `n` states (n >= MIN_STATES). Nothing is random: the text
depends on `n` alone. The workflow is a chain of compound *sections* of about
`SECTION_STATES` states each; inside a section, units follow a fixed pattern of
25 (see `PATTERN`), so that the proportions are those of a realistic business
workflow at every size (a saga is written beside its section, out of reach of the
section's deadline):

| unit | per 25 | IR states | what it exercises |
|---|---|---|---|
| plain stage | 14 | 1 | event transitions, refusals inherited from the top |
| guarded triage | 5 | 1 | two events decided by guards (one with `else`): SMT pairs |
| invoked work | 3 | 1 | `invoke` with key, service, retry/backoff, dead letter, timeout |
| saga | 1 | 6 | three steps, two compensations (keyed), a pivot |
| approval | 1 | 4 | conditional routing, two levels, escalation |
| checkpoint | 1 | 1 | prompt, assignee, acknowledgement, fallback timeout |

Thresholds change from unit to unit, so no two guards ask the solver the same question.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass

SECTION_STATES = 100
"""About how many IR states one section (a compound state) holds."""
PATTERN = (
    "plain",
    "triage",
    "plain",
    "work",
    "plain",
    "plain",
    "triage",
    "saga",
    "plain",
    "plain",
    "triage",
    "work",
    "plain",
    "approval",
    "plain",
    "triage",
    "plain",
    "plain",
    "checkpoint",
    "plain",
    "triage",
    "work",
    "plain",
    "plain",
    "plain",
)
"""The order of unit kinds inside a section, repeated."""
IR_STATES = {"plain": 1, "triage": 1, "work": 1, "saga": 6, "approval": 4, "checkpoint": 1}
"""How many IR states each unit kind lowers to."""
TOP_STATES = 4
"""Start, Done, Failed and Cancelled."""
SECTION_OVERHEAD = 2
"""A section's compound state and its final child."""
MIN_STATES = TOP_STATES + SECTION_OVERHEAD + 1
"""The smallest spec: one section with one plain stage."""

HEADER = """workflow Synthetic{states} {{
  version 1
  doc "A generated workflow of {states} states for the compile benchmark."
  context {{
    amount: decimal 0.00..1000000.00 = 0.00
    priority: enum {{ low, normal, high }} = normal
    score: int 0..100 = 0
    flagged: bool = false
    attempts: int 0..10 = 0
  }}
  invariant attempts <= 10
  events {{
    advance "the current stage finished"
    submit "a request is submitted for triage"
    review "a reviewer scored the request"
    escalate "someone asks for a second look"
    cancel "the requester gives up"
  }}
  reject * "not at a stage where this applies"

  initial state Start {{
    on advance -> Section0
    on cancel -> Cancelled
    timeout 30d -> Cancelled
  }}
"""
FOOTER = """  final state Done
  final state Failed { outcome failure "a stage failed for good" }
  final state Cancelled { outcome failure "the requester cancelled" }
}
"""


@dataclass(frozen=True, slots=True)
class Unit:
    """One unit of a section: its kind, its global number and the state it leads to."""

    kind: str
    number: int
    following: str


def plan(states: int) -> list[list[str]]:
    """The unit kinds of every section, so that the IR has exactly `states` states."""
    if states < MIN_STATES:
        raise ValueError(f"a synthetic spec needs at least {MIN_STATES} states, not {states}")
    budget = states - TOP_STATES
    sections: list[list[str]] = []
    while budget > 0:
        size = min(budget, SECTION_STATES)
        if budget - size < SECTION_OVERHEAD + 1:  # the rest would not make a section of its own
            size = budget
        budget -= size
        sections.append(_section_kinds(size - SECTION_OVERHEAD))
    return sections


def _section_kinds(room: int) -> list[str]:
    """Kinds following PATTERN whose IR states sum to exactly `room` (plain stages fill the end)."""
    kinds: list[str] = []
    index = 0
    while room > 0:
        kind = PATTERN[index % len(PATTERN)]
        index += 1
        cost = IR_STATES[kind]
        if cost > room:
            kind, cost = "plain", 1
        kinds.append(kind)
        room -= cost
    return kinds


def spec(states: int) -> str:
    """The workflow text with exactly `states` IR states."""
    return "".join(lines(states))


def lines(states: int) -> Iterator[str]:
    """The workflow text, piece by piece (a 50k-state spec is a few MB)."""
    yield HEADER.format(states=states)
    sections = plan(states)
    number = 0
    for index, kinds in enumerate(sections):
        after = f"Section{index + 1}" if index + 1 < len(sections) else "Done"
        yield f"  state Section{index} {{\n"
        yield f'    doc "Section {index} of the synthetic workflow."\n'
        yield "    on cancel -> Cancelled\n"
        yield "    timeout 30d -> Failed\n"
        sagas: list[str] = []
        for position, kind in enumerate(kinds):
            following = _name(kinds[position + 1], number + 1) if position + 1 < len(kinds) else f"End{index}"
            text = _unit(Unit(kind, number, following), initial=position == 0)
            # A saga sits beside its section: the section's deadline and `cancel` would leave it
            # without compensating (SW507), so it is bounded by its steps' timeouts instead.
            if kind == "saga":
                sagas.extend(text)
            else:
                yield from text
            number += 1
        yield f"    final state End{index}\n"
        yield f"    done -> {after}\n"
        yield "  }\n"
        yield from sagas
    yield FOOTER


NAMES = {
    "plain": "Stage",
    "triage": "Triage",
    "work": "Processing",
    "saga": "Settlement",
    "approval": "Signoff",
    "checkpoint": "Handover",
}


def _name(kind: str, number: int) -> str:
    return f"{NAMES[kind]}{number}"


def _unit(unit: Unit, *, initial: bool) -> Iterator[str]:
    """The text of one unit, indented inside its section."""
    name = _name(unit.kind, unit.number)
    prefix = "initial " if initial else ""
    n, nxt = unit.number, unit.following
    limit = 100 + (37 * n) % 90_000
    bar = 10 + n % 80
    if unit.kind == "plain":
        yield f"    {prefix}state {name} {{ on advance -> {nxt} }}\n"
    elif unit.kind == "triage":
        yield f"    {prefix}state {name} {{\n"
        yield f"      on submit when amount > {limit}.00 and priority != low -> {nxt}\n"
        yield f"      on submit when amount > {limit}.00 and priority == low -> {nxt}"
        yield " { set flagged = true }\n"
        yield f"      on submit when amount <= {limit}.00 -> {nxt}\n"
        yield f"      on review when score >= {bar} and not flagged -> {nxt}\n"
        yield f"      on review when score < {bar} and attempts < 5 -> {name}"
        yield " { set attempts = attempts + 1 }\n"
        yield "      on review else -> Failed\n"
        yield "    }\n"
    elif unit.kind == "work":
        yield f"    {prefix}state {name} {{\n"
        yield f'      invoke run_job_{n} key "job-{{workflow_id}}-{n}" service worker_{n % 7}\n'
        yield "      heartbeat 1m\n"
        yield "      retry 3 backoff exponential 1s..1m jitter full"
        yield " retry_on Unavailable dead_letter -> Failed\n"
        yield "      timeout 1h -> Failed\n"
        yield f"      done -> {nxt}\n"
        yield "    }\n"
    elif unit.kind == "saga":
        yield f"    {prefix}saga {name} {{\n"
        for step, mode in (("reserve", "compensate"), ("charge", "compensate"), ("ship", "pivot")):
            key = f'key "{step}-{{workflow_id}}-{n}"'
            if mode == "compensate":
                undo = f'compensate undo_{step}_{n} compensate_key "undo-{step}-{{workflow_id}}-{n}"'
            else:
                undo = "pivot"
            yield f"      step {step}_{n} {undo} {key} service {step}_svc timeout 5m\n"
        yield f"      done -> {nxt}\n"
        yield "      compensated -> Failed\n"
        yield "      compensation_failed -> Failed\n"
        yield "    }\n"
    elif unit.kind == "approval":
        yield f"    {prefix}approval {name} {{\n"
        yield "      routing conditional\n"
        yield "      level 1 { approvers role:manager quorum 1 timeout 3d escalate -> level 2 }\n"
        yield f"      level 2 when amount > {limit * 10}.00 {{ approvers role:director, role:cfo quorum all"
        yield " timeout 5d escalate -> Failed }\n"
        yield f"      approved -> {nxt}\n"
        yield "      rejected -> Failed\n"
        yield "    }\n"
    else:
        yield f"    {prefix}checkpoint {name} {{\n"
        yield f'      prompt "Hand over case {n} to the next team."\n'
        yield "      assignee role:operator\n"
        yield f"      acknowledged -> {nxt}\n"
        yield "      timeout 1d -> Failed\n"
        yield "    }\n"


def main(argv: list[str] | None = None) -> int:
    """Print the spec of the size given on the command line."""
    args = sys.argv[1:] if argv is None else argv
    states = int(args[0]) if args else 1000
    sys.stdout.write(spec(states))
    return 0


if __name__ == "__main__":
    sys.exit(main())
