"""Guard rules (SW401–SW404, SW409): proved, refuted and undecided cases.

Every refutation's witness is converted back to typed values with the declared
field types and evaluated with the runtime's guard evaluator (`holds`), so a
finding is only accepted when its example really behaves as the message says.
The property tests compare the rules with brute force over small domains,
evaluated by a tiny interpreter written here from the language reference.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import event, given, note
from hypothesis import strategies as st

from statewright import ir
from statewright.compiler.smt.analysis import analysis_of
from statewright.compiler.verify import verify
from statewright.compiler.verify.rules import guards, invariants
from statewright.diagnostics import Diagnostic, Severity
from statewright.pipeline import compile_path
from statewright.plugins.api import SMT_TIMEOUT_SETTING, RuleContext
from statewright.plugins.run import VerificationRun
from statewright.semantics.values import holds, value_in_domain
from tests.conftest import example_files
from tests.verify.support import at, machine_of, position, run_rules

# --------------------------------------------------------------------------- helpers

Context = dict[str, ir.Value]

BASE = """\
workflow W {
  context {
    a: int 0..5 = 0
    e: enum { lo, mid, hi } = lo
  }
  invariant a <= 4
  events { go }
  initial state A {
    on go when a > 2 -> B
    on go when a <= 2 and e == hi -> B { set a = a + 1 }
  }
  final state B
}
"""

HARD = "a * a * a + b * b * b == c * c * c and a > 0 and b > 0 and c > 0"
"""Fermat's cubes: no solution exists, and z3 cannot prove it, so it never decides."""

FAST = {SMT_TIMEOUT_SETTING: "1"}


def findings(machine: ir.Machine, code: str | None = None, **settings: str) -> list[Diagnostic]:
    """Run the guard rules; keep findings with `code` when given."""
    return run_rules(guards, machine, code, settings)


def typed(machine: ir.Machine, pairs: Iterable[tuple[str, str]] | None) -> Context:
    """Read a finding's (field, literal) witness pairs back as values of the declared types."""
    assert pairs is not None
    types = {f.name: f.type.name for f in machine.context}
    values: Context = {}
    for name, text in pairs:
        match types[name]:
            case "int":
                values[name] = int(text)
            case "decimal":
                values[name] = Decimal(text)
            case "bool":
                assert text in ("true", "false"), text
                values[name] = text == "true"
            case "string":
                values[name] = json.loads(text)  # a guard-language string literal
            case _:
                values[name] = text
    return values


def integer(values: Mapping[str, ir.Value], name: str) -> int:
    """The int value of `name`."""
    value = values[name]
    assert isinstance(value, int) and not isinstance(value, bool), value
    return value


def valid(machine: ir.Machine, values: Mapping[str, ir.Value]) -> bool:
    """True when `values` lie in their fields' domains and satisfy every invariant they decide."""
    fields = {f.name: f for f in machine.context}
    if not all(value_in_domain(value, fields[name].type) for name, value in values.items()):
        return False
    return all(holds(inv.expr, values) for inv in machine.invariants if reads(inv.expr) <= values.keys())


def reads(expr: ir.Expr) -> set[str]:
    """The fields an expression reads."""
    match expr:
        case ir.Var(name=name):
            return {name}
        case ir.Unary(operand=operand) | ir.In(operand=operand):
            return reads(operand)
        case ir.BinOp(left=left, right=right):
            return reads(left) | reads(right)
    return set()


def group(machine: ir.Machine, source: str, event: str | None = "go") -> list[ir.Expr]:
    """The guards (not `else`) of `source`'s transitions on `event`."""
    return [
        t.guard
        for t in machine.transitions
        if t.source == source and t.event == event and t.guard is not None and not t.is_else
    ]


def spec(body: str, context: str = "a: int 0..5 = 0", extra: str = "") -> str:
    """A one-state workflow whose state `A` holds `body`, and a final state `B`."""
    return (
        "workflow W {\n"
        f"  context {{\n    {context}\n  }}\n"
        f"{extra}"
        "  events { go }\n"
        f"  initial state A {{\n{body}  }}\n"
        "  final state B\n"
        "}\n"
    )


def hard_spec(body: str) -> str:
    """A spec over three unbounded ints, for undecidable guards."""
    return spec(body, "a: int\n    b: int\n    c: int")


# --------------------------------------------------------------------------- registration


def test_rules_register_their_codes_through_the_hook() -> None:
    """The guard module provides three rules covering SW401–SW404 and SW409."""
    rules = guards.statewright_rules()
    assert [rule.name for rule in rules] == ["guard-satisfiable", "guard-exclusive", "guard-exhaustive"]
    assert {code for rule in rules for code in rule.codes} == {"SW401", "SW402", "SW403", "SW404", "SW409"}
    assert {rule.family for rule in rules} == {"guards"}


def test_timeout_setting_is_read_and_bad_values_fall_back() -> None:
    """`smt_timeout_ms` sets the limit; a non-number falls back to the default, never below 1 ms."""
    default = RuleContext().smt_timeout_ms
    assert RuleContext(settings={SMT_TIMEOUT_SETTING: "250"}).smt_timeout_ms == 250
    assert RuleContext(settings={SMT_TIMEOUT_SETTING: "soon"}).smt_timeout_ms == default
    assert RuleContext(settings={SMT_TIMEOUT_SETTING: "-5"}).smt_timeout_ms == 1
    assert default > 1


def test_base_spec_is_exclusive_and_live_but_has_a_gap() -> None:
    """The minimal spec: both guards can hold, never together, and leave `a <= 2, e != hi` open."""
    machine = machine_of(BASE)
    assert [d.code for d in findings(machine)] == ["SW403"]


# --------------------------------------------------------------------------- SW401


def test_sw401_live_guards_come_with_an_example() -> None:
    """A satisfiable guard is not reported, and the example z3 gives satisfies it."""
    machine = machine_of(BASE)
    assert findings(machine, "SW401") == []
    analysis = analysis_of(VerificationRun(machine))
    for guard in group(machine, "A"):
        outcome = analysis.satisfiable(guard)
        assert outcome.proved
        example = dict(outcome.witness)
        assert valid(machine, example)
        assert holds(guard, example)


def test_sw401_guard_beyond_the_declared_bounds() -> None:
    """`a > 5` on `a: int 0..5` can never hold: an error at its transition."""
    text = spec("    on go when a > 5 -> B\n    on go else -> B\n")
    machine = machine_of(text)
    [finding] = findings(machine, "SW401")
    assert finding.severity is Severity.ERROR
    assert at(finding) == position(text, "on go when a > 5")
    assert "`a > 5`" in finding.message and "`A`" in finding.message
    guard = group(machine, "A")[0]
    assert analysis_of(VerificationRun(machine)).satisfiable(guard).refuted
    assert not any(holds(guard, {"a": a}) for a in range(0, 6))


def test_sw401_guard_excluded_by_an_invariant() -> None:
    """`a == 5` is inside the bounds but breaks `invariant a <= 4`, so it is dead too."""
    text = spec("    on go when a == 5 -> B\n    on go when a < 5 -> B\n", extra="  invariant a <= 4\n")
    machine = machine_of(text)
    [finding] = findings(machine, "SW401")
    assert at(finding) == position(text, "on go when a == 5")
    dead = group(machine, "A")[0]
    assert [a for a in range(0, 6) if holds(dead, {"a": a})] == [5]
    assert not valid(machine, {"a": 5})


def test_sw401_enum_member_guard_contradiction() -> None:
    """`e == lo and e == hi` is dead; `e != lo and e != mid` is not (only `hi` satisfies it)."""
    text = spec(
        "    on go when e == lo and e == hi -> B\n"
        "    on go when e != lo and e != mid -> B\n"
        "    on go else -> B\n",
        "e: enum { lo, mid, hi } = lo",
    )
    machine = machine_of(text)
    found = findings(machine, "SW401")
    assert [at(d) for d in found] == [position(text, "on go when e == lo")]
    live = group(machine, "A")[1]
    example = dict(analysis_of(VerificationRun(machine)).satisfiable(live).witness)
    assert example == {"e": "hi"}
    assert holds(live, example)


def test_sw401_guard_that_only_non_decimals_satisfy_is_dead() -> None:
    """`d * 3 == 1` needs d = 1/3, which no stored decimal (at most 18 digits) is: the guard is dead.

    z3 finds 1/3 over the reals, and the search restricted to 18-digit decimals finds
    nothing; that empty search is a proof, so the guard should be SW401, not SW409.
    """
    text = spec("    on go when d * 3 == 1 -> B\n    on go else -> B\n", "d: decimal")
    machine = machine_of(text)
    assert [d.code for d in findings(machine)] == ["SW401"]


def test_sw409_guard_satisfiability_unknown() -> None:
    """A guard z3 cannot decide within the limit is SW409 (a warning), not SW401."""
    text = hard_spec(f"    on go when {HARD} -> B\n    on go else -> B\n")
    machine = machine_of(text)
    found = findings(machine, **FAST)
    assert [d.code for d in found] == ["SW409"]
    [finding] = found
    assert finding.severity is Severity.WARNING
    assert at(finding) == position(text, "on go when a * a")
    assert "can hold" in finding.message and "1 ms" in finding.message
    assert (
        analysis_of(VerificationRun(machine, smt_timeout_ms=1)).satisfiable(group(machine, "A")[0]).verdict
        == "unknown"
    )


# --------------------------------------------------------------------------- SW402

OVERLAP = """\
workflow W {
  context {
    a: int 0..5 = 0
    e: enum { lo, mid, hi } = lo
  }
  invariant a <= 4
  events { start, decide }
  initial state Idle { on start -> Review }
  state Review {
    on decide when a >= 2 and e != lo -> Done
    on decide when a <= 3 -> Done
    on decide when a == 5 -> Done
    on decide when a == 4 -> Done
  }
  final state Done
}
"""


def test_sw402_exclusive_guards_are_proved() -> None:
    """The minimal spec's guards never hold together, and z3 proves it."""
    machine = machine_of(BASE)
    assert findings(machine, "SW402") == []
    assert analysis_of(VerificationRun(machine)).exclusive(group(machine, "A")).proved


def test_sw402_overlapping_guards() -> None:
    """Two guards that hold together: error at the second, the first related, a checked witness."""
    machine = machine_of(OVERLAP)
    run = VerificationRun(machine)
    [finding] = run_rules(guards, machine, "SW402", run=run)
    assert finding.severity is Severity.ERROR
    assert at(finding) == position(OVERLAP, "on decide when a <= 3")
    assert [(r.span.line, r.span.column) for r in finding.related] == [
        position(OVERLAP, "on decide when a >= 2")
    ]
    assert finding.counterexample == ("start", "decide")
    witness = typed(machine, finding.witness)
    assert valid(machine, witness)
    checks = group(machine, "Review", "decide")
    assert [holds(g, witness) for g in checks] == [True, True, False, False]
    outcome = analysis_of(run).exclusive(checks)  # the run's memoised answer: the same witness
    assert outcome.refuted and dict(outcome.witness) == witness
    assert "`a >= 2 and e != lo` and `a <= 3`" in finding.message


def test_sw402_three_guards_at_once_are_all_related() -> None:
    """On `a: int 3..5` all three guards always hold: reported at the second, the others related."""
    text = spec(
        "    on go when a >= 1 -> B\n    on go when a >= 2 -> B\n    on go when a >= 3 -> B\n", "a: int 3..5"
    )
    machine = machine_of(text)
    [finding] = findings(machine)
    assert finding.code == "SW402"
    assert at(finding) == position(text, "on go when a >= 2")
    assert [((r.span.line, r.span.column), r.message) for r in finding.related] == [
        (position(text, "on go when a >= 1"), "also holds"),
        (position(text, "on go when a >= 3"), "also holds"),
    ]
    witness = typed(machine, finding.witness)
    assert valid(machine, witness)
    assert all(holds(g, witness) for g in group(machine, "A"))


def test_sw402_in_an_unreachable_state_has_no_counterexample() -> None:
    """Overlap is reported wherever it is; a state no path reaches has no event path."""
    text = spec(
        "    on go -> B\n  }\n  state Lost {\n    on go when a >= 2 -> B\n    on go when a <= 3 -> B\n"
    )
    machine = machine_of(text)
    [finding] = findings(machine, "SW402")
    assert at(finding) == position(text, "on go when a <= 3")
    assert finding.counterexample is None
    assert 2 <= integer(typed(machine, finding.witness), "a") <= 3


def test_sw402_string_witness_is_a_guard_language_literal() -> None:
    """Witness strings are written as the guard language writes them, escapes included.

    `format_witness` only wraps strings in quotes, so `a"b` comes out as `"a"b"`, which
    is not a literal the language (or a reader) can take back.
    """
    text = spec(
        '    on go when s == "a\\"b" -> B\n    on go when s != "zz" and f -> B\n    on go else -> B\n',
        's: string = "x"\n    f: bool = false',
    )
    machine = machine_of(text)
    [finding] = findings(machine, "SW402")
    pairs = dict(finding.witness or ())
    assert pairs["s"] == '"a\\"b"'
    witness = typed(machine, finding.witness)
    assert all(holds(g, witness) for g in group(machine, "A"))


def test_sw409_exclusivity_unknown() -> None:
    """Two guards whose overlap is undecidable: SW409 at the second guard, no SW402."""
    text = hard_spec(
        "    on go when a * a * a + b * b * b == c * c * c -> B\n"
        "    on go when a > 0 and b > 0 and c > 0 -> B\n"
        "    on go else -> B\n"
    )
    machine = machine_of(text)
    found = findings(machine, **FAST)
    assert [d.code for d in found] == ["SW409"]
    assert at(found[0]) == position(text, "on go when a > 0")
    assert "exclude each other" in found[0].message
    assert found[0].severity is Severity.WARNING


# --------------------------------------------------------------------------- SW403


def test_sw403_gap_in_the_guards() -> None:
    """No guard holds for `a <= 2, e != hi`: a warning at the first guard with a checked witness."""
    machine = machine_of(BASE)
    run = VerificationRun(machine)
    [finding] = run_rules(guards, machine, "SW403", run=run)
    assert finding.severity is Severity.WARNING
    assert at(finding) == position(BASE, "on go when a > 2")
    assert [(r.span.line, r.message) for r in finding.related] == [
        (position(BASE, "on go when a <= 2")[0], "guarded branch")
    ]
    assert finding.counterexample == ("go",)
    witness = typed(machine, finding.witness)
    assert valid(machine, witness)
    assert not any(holds(g, witness) for g in group(machine, "A"))
    outcome = analysis_of(run).exhaustive(group(machine, "A"))  # the run's memoised answer
    assert outcome.refuted and dict(outcome.witness) == witness


def test_sw403_is_an_error_when_strict() -> None:
    """`RuleContext(strict=True)` (`--strict`) raises SW403 to an error."""
    machine = machine_of(BASE)
    found = verify(machine, guards.RULES, RuleContext(strict=True))
    assert [(d.code, d.severity) for d in found] == [("SW403", Severity.ERROR)]


def test_sw403_exhaustive_guards_are_proved() -> None:
    """`a < 3` and `a >= 3` cover every context."""
    text = spec("    on go when a < 3 -> B\n    on go when a >= 3 -> B\n")
    machine = machine_of(text)
    assert findings(machine) == []
    assert analysis_of(VerificationRun(machine)).exhaustive(group(machine, "A")).proved


@pytest.mark.parametrize(
    "decider",
    ["    on go else -> B\n", '    reject go "too early"\n', "    ignore go\n", "    on go -> B\n"],
    ids=["else", "reject", "ignore", "unguarded"],
)
def test_sw403_something_beside_the_guards_decides(decider: str) -> None:
    """An `else`, a `reject`/`ignore` or an unguarded transition beside the guards closes the gap."""
    text = BASE.replace("  initial state A {\n", "  initial state A {\n" + decider)
    assert findings(machine_of(text), "SW403") == []
    assert findings(machine_of(BASE), "SW403") != []


NESTED = """\
workflow W {
  context {
    a: int 0..5 = 0
  }
  events { go, stop }
  initial state P {
PARENT    on stop -> B
    initial state C {
      on go when a > 2 -> B
      on go when a < 1 -> B
    }
  }
  final state B
}
"""


def nested(parent: str) -> str:
    """The nested spec with `parent` as extra items of the compound state `P`."""
    return NESTED.replace("PARENT", parent)


@pytest.mark.parametrize(
    "parent",
    [
        '    reject go "not now"\n',
        "    ignore go\n",
        "    on go -> B\n",
        "    on go when a >= 1 and a <= 2 -> B\n",
    ],
    ids=["reject", "ignore", "transition", "guard-filling-the-gap"],
)
def test_sw403_the_parent_decides_what_the_child_leaves(parent: str) -> None:
    """A child whose guards leave a gap passes the event to its parent, which decides it here."""
    assert findings(machine_of(nested(parent)), "SW403") == []


def test_sw403_nothing_further_out_reports_once_at_the_child() -> None:
    """With nothing in the parent, the gap is reported once, at the child's first guard."""
    text = nested("")
    machine = machine_of(text)
    [finding] = findings(machine, "SW403")
    assert at(finding) == position(text, "on go when a > 2")
    assert "in `C` holds" in finding.message and "`P`" not in finding.message
    assert typed(machine, finding.witness) in ({"a": 1}, {"a": 2})
    assert finding.counterexample == ("go",)


def test_sw403_gap_through_both_levels_is_reported_at_the_innermost() -> None:
    """A parent guard that leaves part of the child's gap: one finding at the child naming both levels."""
    text = nested("    on go when a > 3 -> B\n")
    machine = machine_of(text)
    [finding] = findings(machine, "SW403")
    assert at(finding) == position(text, "on go when a > 2")
    assert "in `C` or in `P` holds" in finding.message
    witness = typed(machine, finding.witness)
    assert not any(holds(g, witness) for g in [*group(machine, "C"), *group(machine, "P")])
    assert witness in ({"a": 1}, {"a": 2})


def test_sw403_parent_guards_are_checked_for_leaves_without_their_own() -> None:
    """A sibling leaf with no `go` of its own meets only the parent's guards: reported at the parent."""
    text = """\
workflow W {
  context {
    a: int 0..5 = 0
  }
  events { go, stop }
  initial state P {
    on go when a >= 1 -> B
    on stop -> B
    initial state C {
      on go when a < 1 -> D
    }
    state D { on stop -> B }
  }
  final state B
}
"""
    machine = machine_of(text)
    [finding] = findings(machine, "SW403")
    assert at(finding) == position(text, "on go when a >= 1")
    assert typed(machine, finding.witness) == {"a": 0}
    assert finding.counterexample == ("go", "go")


def test_sw403_unreachable_state_is_not_reported() -> None:
    """A state no path reaches never receives the event, so its gap is harmless."""
    text = spec("    on go -> B\n  }\n  state Lost {\n    on go when a > 2 -> B\n")
    assert findings(machine_of(text), "SW403") == []


def test_sw409_exhaustiveness_unknown() -> None:
    """Guards whose gap is exactly Fermat's cubes: SW409 about `always holds`, no SW403."""
    text = hard_spec(
        "    on go when a * a * a + b * b * b != c * c * c -> B\n"
        "    on go when a <= 0 or b <= 0 or c <= 0 -> B\n"
    )
    machine = machine_of(text)
    found = findings(machine, **FAST)
    assert "SW403" not in {d.code for d in found}
    [unknown] = [d for d in found if "always holds" in d.message]
    assert unknown.code == "SW409"
    assert at(unknown) == position(text, "on go when a * a")


# --------------------------------------------------------------------------- SW404

APPROVAL = """\
workflow W {
  context {
    amount: decimal >= 0.00
    category: enum { travel, equipment }
  }
  events { submit }
  initial state Draft { on submit -> Approval }
  approval Approval {
    routing conditional
    level 1 when amount > 1000.00 { approvers role:a }
    level 2 when category == equipment { approvers role:b }
    approved -> Done
    rejected -> Done
  }
  final state Done
}
"""


def without_route_default(machine: ir.Machine) -> ir.Machine:
    """The machine without the route's `else -> approved` (as an approval with no `approved` would be).

    The front end insists on `approved ->` (SW113), so the stalling choice is made in the IR.
    """
    kept = tuple(t for t in machine.transitions if not (t.kind == "always" and t.is_else))
    assert len(kept) == len(machine.transitions) - 1
    return dataclasses.replace(machine, transitions=kept)


def test_sw404_route_with_a_default_cannot_stall() -> None:
    """Conditional routing ends in `else -> approved`, so the choice always has a way out."""
    assert findings(machine_of(APPROVAL)) == []


def test_sw404_route_whose_guards_cover_everything() -> None:
    """A level without a condition after a conditional one: guards `X` and `not X`, proved exhaustive."""
    text = APPROVAL.replace("level 2 when category == equipment", "level 2")
    machine = machine_of(text)
    route = group(machine, "Approval.route", None)
    assert len(route) == 2
    assert [t.is_else for t in machine.transitions if t.source == "Approval.route"] == [False, False]
    assert findings(machine) == []
    assert analysis_of(VerificationRun(machine)).exhaustive(route).proved


def test_sw404_guarded_choice_may_stall() -> None:
    """Without the default, no route guard holds for a small travel claim: an error with a witness."""
    machine = without_route_default(machine_of(APPROVAL))
    [finding] = findings(machine, "SW404")
    assert finding.severity is Severity.ERROR
    assert at(finding) == position(APPROVAL, "level 1 when")
    assert [(r.span.line, r.message) for r in finding.related] == [
        (position(APPROVAL, "level 2 when")[0], "guarded branch")
    ]
    assert finding.counterexample == ("submit",)
    witness = typed(machine, finding.witness)
    assert valid(machine, witness)
    assert not any(holds(g, witness) for g in group(machine, "Approval.route", None))
    assert "would stop there" in finding.message
    assert findings(machine, "SW403") == []


def test_sw409_stall_unknown() -> None:
    """Route guards whose gap is undecidable: SW409 instead of SW404."""
    text = (
        APPROVAL.replace(
            "amount: decimal >= 0.00\n    category: enum { travel, equipment }",
            "a: int\n    b: int\n    c: int",
        )
        .replace("amount > 1000.00", "a * a * a + b * b * b != c * c * c")
        .replace("category == equipment", "a <= 0 or b <= 0 or c <= 0")
    )
    machine = without_route_default(machine_of(text))
    found = findings(machine, **FAST)
    assert "SW404" not in {d.code for d in found}
    [unknown] = [d for d in found if "always holds" in d.message]
    assert unknown.code == "SW409"
    assert at(unknown) == position(text, "level 1 when")


# --------------------------------------------------------------------------- the examples


@pytest.mark.parametrize("path", example_files(), ids=lambda p: Path(p).name)
def test_examples_have_no_guard_or_invariant_findings(path: Path) -> None:
    """The shipped examples are clean of SW401–SW405 and SW407."""
    result = compile_path(path)
    assert result.machine is not None
    found = verify(result.machine, [*guards.RULES, *invariants.RULES], RuleContext())
    codes = {d.code for d in found}
    assert codes.isdisjoint({"SW401", "SW402", "SW403", "SW404", "SW405", "SW407"}), found


def test_there_are_examples() -> None:
    """The parametrised example test has something to check."""
    assert len(example_files()) >= 3


# --------------------------------------------------------------------------- properties: thresholds


@given(t1=st.integers(-3, 14), t2=st.integers(-3, 14))
def test_threshold_guards_match_interval_arithmetic(t1: int, t2: int) -> None:
    """`a < t1` / `a >= t2` on `a: int 0..10`: overlap, gap and dead guards follow the intervals."""
    text = spec(f"    on go when a < {t1} -> B\n    on go when a >= {t2} -> B\n", "a: int 0..10")
    machine = machine_of(text)
    found = findings(machine)
    below = (0, min(10, t1 - 1))  # a < t1 within 0..10
    above = (max(0, t2), 10)  # a >= t2 within 0..10
    both = (max(below[0], above[0]), min(below[1], above[1]))
    neither = (max(0, t1), min(10, t2 - 1))
    dead = [below[0] > below[1], above[0] > above[1]]
    note(f"{[(d.code, d.witness) for d in found]}")
    lines = [position(text, f"a < {t1}")[0], position(text, f"a >= {t2}")[0]]
    assert sorted(d.span.line for d in found if d.code == "SW401") == [
        line for line, is_dead in zip(lines, dead, strict=True) if is_dead
    ]
    overlaps = [d for d in found if d.code == "SW402"]
    gaps = [d for d in found if d.code == "SW403"]
    assert len(overlaps) == (1 if both[0] <= both[1] else 0)
    assert len(gaps) == (1 if neither[0] <= neither[1] else 0)
    for finding in overlaps:
        assert both[0] <= integer(typed(machine, finding.witness), "a") <= both[1]
    for finding in gaps:
        assert neither[0] <= integer(typed(machine, finding.witness), "a") <= neither[1]
    assert {d.code for d in found} <= {"SW401", "SW402", "SW403"}


# --------------------------------------------------------------------------- properties: random guards

Value = int | bool | str
Eval = Callable[[Mapping[str, Value]], Value]
Term = tuple[str, Eval]
"""A generated expression: its text, and its meaning computed here, independently of statewright."""

DOMAINS: dict[str, tuple[Value, ...]] = {
    "a": tuple(range(-3, 4)),
    "b": tuple(range(0, 5)),
    "e": ("lo", "mid", "hi"),
    "f": (False, True),
}
FIELDS = "a: int -3..3\n    b: int 0..4\n    e: enum { lo, mid, hi }\n    f: bool"


def _int(ctx: Mapping[str, Value], name: str) -> int:
    value = ctx[name]
    assert isinstance(value, int) and not isinstance(value, bool)
    return value


def _num(value: Value) -> int:
    assert isinstance(value, int) and not isinstance(value, bool)
    return value


def _floor_mod(x: int, y: int) -> int:
    """`x % y` as the language defines it: floor modulo, and `x % 0` is `x`."""
    return x if y == 0 else x - y * (x // y)


def _arith(op: str, left: Term, right: Term) -> Term:
    lt, lf = left
    rt, rf = right
    functions: dict[str, Callable[[int, int], int]] = {
        "+": lambda x, y: x + y,
        "-": lambda x, y: x - y,
        "*": lambda x, y: x * y,
        "%": _floor_mod,
    }
    fn = functions[op]
    return f"({lt} {op} {rt})", lambda c: fn(_num(lf(c)), _num(rf(c)))


def _compare(op: str, left: Term, right: Term) -> Term:
    lt, lf = left
    rt, rf = right
    functions: dict[str, Callable[[int, int], bool]] = {
        "==": lambda x, y: x == y,
        "!=": lambda x, y: x != y,
        "<": lambda x, y: x < y,
        "<=": lambda x, y: x <= y,
        ">": lambda x, y: x > y,
        ">=": lambda x, y: x >= y,
    }
    fn = functions[op]
    return f"({lt} {op} {rt})", lambda c: fn(_num(lf(c)), _num(rf(c)))


@st.composite
def int_terms(draw: st.DrawFn, depth: int = 2, mod: bool = True) -> Term:
    """An int expression over `a`, `b` and small literals (with `%` only when `mod`)."""
    choice = draw(st.integers(0, 3 if depth > 0 else 1))
    if choice == 0:
        name = draw(st.sampled_from(["a", "b"]))
        return name, lambda c: _int(c, name)
    if choice == 1:
        value = draw(st.integers(-4, 4))
        return (f"({value})" if value < 0 else str(value)), lambda c: value
    op = draw(st.sampled_from(["+", "-", "*", "%"] if mod else ["+", "-", "*"]))
    return _arith(op, draw(int_terms(depth - 1, mod)), draw(int_terms(depth - 1, mod)))


@st.composite
def bool_terms(draw: st.DrawFn, depth: int = 2, mod: bool = True) -> Term:
    """A bool expression: comparisons, enum tests, the flag, and `and`/`or`/`not`."""
    choice = draw(st.integers(0, 5 if depth > 0 else 2))
    if choice == 0:
        op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
        return _compare(op, draw(int_terms(1, mod)), draw(int_terms(1, mod)))
    if choice == 1:
        members = draw(st.lists(st.sampled_from(["lo", "mid", "hi"]), min_size=1, max_size=2, unique=True))
        negated = draw(st.booleans())
        text = f"e {'not in' if negated else 'in'} {{ {', '.join(members)} }}"
        return text, lambda c: (c["e"] in members) != negated
    if choice == 2:
        return ("f", lambda c: c["f"]) if draw(st.booleans()) else ("not f", lambda c: not c["f"])
    if choice == 3:
        text, fn = draw(bool_terms(depth - 1, mod))
        return f"not ({text})", lambda c: not fn(c)
    op = "and" if choice == 4 else "or"
    (lt, lf), (rt, rf) = draw(bool_terms(depth - 1, mod)), draw(bool_terms(depth - 1, mod))
    if op == "and":
        return f"({lt} and {rt})", lambda c: bool(lf(c)) and bool(rf(c))
    return f"({lt} or {rt})", lambda c: bool(lf(c)) or bool(rf(c))


def all_contexts() -> list[dict[str, Value]]:
    """Every context of the small domain."""
    names = list(DOMAINS)
    return [dict(zip(names, values, strict=True)) for values in itertools.product(*DOMAINS.values())]


CONTEXTS = all_contexts()


def guard_spec(guard_texts: Sequence[str], invariant: str | None) -> str:
    """A state `A` whose transitions on `go` carry the guards, one per line."""
    body = "".join(f"    on go when {text} -> B\n" for text in guard_texts)
    return spec(body, FIELDS, f"  invariant {invariant}\n" if invariant else "")


@given(
    terms=st.lists(bool_terms(), min_size=1, max_size=3),
    invariant=st.none() | bool_terms(1),
)
def test_guard_rules_agree_with_brute_force(terms: list[Term], invariant: Term | None) -> None:
    """SW401, SW402 and SW403 are reported exactly when enumeration of the domain says so."""
    text = guard_spec([t for t, _ in terms], invariant[0] if invariant else None)
    note(text)
    machine = machine_of(text)
    allowed = [c for c in CONTEXTS if invariant is None or invariant[1](c)]
    # the parsed guards mean what the reference interpreter says, on every context
    checks = group(machine, "A")
    for guard, (_, fn) in zip(checks, terms, strict=True):
        assert all(holds(guard, c) == fn(c) for c in CONTEXTS)
    truth = [[bool(fn(c)) for _, fn in terms] for c in allowed]
    dead = [not any(row[i] for row in truth) for i in range(len(terms))]
    event(f"contexts allowed: {bool(allowed)}, dead guards: {sum(dead)}")
    overlap = len(terms) > 1 and any(sum(row) >= 2 for row in truth)
    gap = any(not any(row) for row in truth)
    found = findings(machine)
    note(f"{[(d.code, d.span.line, d.witness) for d in found]}")
    first = position(text, "on go when")[0]
    assert sorted(d.span.line - first for d in found if d.code == "SW401") == [
        i for i, is_dead in enumerate(dead) if is_dead
    ]
    expected = (["SW402"] if overlap else []) + (["SW403"] if gap else [])
    assert sorted(d.code for d in found if d.code in ("SW402", "SW403")) == expected
    for finding in found:
        if finding.code == "SW402":
            witness = typed(machine, finding.witness)
            assert valid(machine, witness)
            assert sum(holds(g, witness) for g in checks) >= 2
        if finding.code == "SW403":
            witness = typed(machine, finding.witness)
            assert valid(machine, witness)
            assert not any(holds(g, witness) for g in checks)
    assert {d.code for d in found} <= {"SW401", "SW402", "SW403"}


def test_runs_with_different_time_limits_do_not_depend_on_their_order() -> None:
    """Each run keeps its own analysis: its limit, its verdicts, its ledger, whichever runs first."""
    machine = machine_of(hard_spec(f"    on go when {HARD} -> B\n    on go else -> B\n"))

    def messages(limit: str) -> tuple[list[str], object]:
        run = VerificationRun(machine, smt_timeout_ms=int(limit))
        found = run_rules(guards, machine, settings={SMT_TIMEOUT_SETTING: limit}, run=run)
        return [d.message for d in found], analysis_of(run).tally()

    first = [messages("1"), messages("40")]
    second = [messages("40"), messages("1")]
    assert first == second[::-1]
    (fast, fast_tally), (slow, slow_tally) = first
    assert fast and all("1 ms" in m for m in fast) and all("40 ms" in m for m in slow)
    assert fast_tally == slow_tally  # the same obligations, each counted once per run
