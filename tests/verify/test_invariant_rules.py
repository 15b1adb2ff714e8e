"""Invariant, range and division rules (SW405–SW408, SW409): proved, refuted and undecided cases.

A refutation's witness (the values before the actions) is read back with the
declared field types, the actions are replayed with the runtime's `apply_sets`,
and the result is checked against what the message claims. The property tests
compare the rules with brute-force enumeration of small domains.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

import pytest
from hypothesis import event, given, note
from hypothesis import strategies as st

from statewright import ir
from statewright.compiler.smt.analysis import analysis_of
from statewright.compiler.verify.rules import invariants
from statewright.compiler.verify.rules.invariants import blocks_of, divisions
from statewright.diagnostics import Diagnostic, Severity
from statewright.plugins.run import VerificationRun
from statewright.semantics.interpret import INT_MAX, INT_MIN
from statewright.semantics.values import apply_sets, evaluate, holds
from tests.verify.support import at, machine_of, position, run_rules
from tests.verify.test_guard_rules import (
    CONTEXTS,
    DOMAINS,
    FAST,
    FIELDS,
    Term,
    Value,
    bool_terms,
    int_terms,
    integer,
    reads,
    spec,
    typed,
    valid,
)

# --------------------------------------------------------------------------- helpers


def findings(machine: ir.Machine, code: str | None = None, **settings: str) -> list[Diagnostic]:
    """Run the invariant, range and division rules; keep findings with `code` when given."""
    return run_rules(invariants, machine, code, settings)


def findings_in(run: VerificationRun, code: str | None = None) -> list[Diagnostic]:
    """The same rules in an explicit run, whose analysis the test then reads."""
    return run_rules(invariants, run.machine, code, run=run)


def transition_actions(machine: ir.Machine, source: str, index: int = 0) -> tuple[ir.Action, ...]:
    """The actions of `source`'s `index`-th transition."""
    return [t for t in machine.transitions if t.source == source][index].actions


def invariant(machine: ir.Machine, text: str) -> ir.Invariant:
    """The invariant written as `text`."""
    return next(i for i in machine.invariants if i.text == text)


def hard(body: str, extra: str = "") -> str:
    """A spec over three unbounded ints (and a decimal `x`), for undecidable obligations."""
    return spec(body, "a: int = 1\n    b: int = 1\n    c: int = 1\n    x: decimal = 0", extra)


def test_rules_register_their_codes_through_the_hook() -> None:
    """The invariant module provides three rules covering SW405–SW408 and SW409."""
    rules = invariants.statewright_rules()
    assert [rule.name for rule in rules] == ["invariants-preserved", "initial-context", "division-by-zero"]
    assert {code for rule in rules for code in rule.codes} == {"SW405", "SW406", "SW407", "SW408", "SW409"}


# --------------------------------------------------------------------------- SW405

INVARIANT = "  invariant a <= 4\n"


def test_sw405_guarded_increment_keeps_the_invariant() -> None:
    """`when a < 4 { set a = a + 1 }` keeps `a <= 4`, and z3 proves it."""
    machine = machine_of(spec("    on go when a < 4 -> B { set a = a + 1 }\n", extra=INVARIANT))
    assert findings(machine) == []
    [block] = blocks_of(machine)
    assert (
        analysis_of(VerificationRun(machine))
        .preserves(machine.invariants[0], block.given, block.actions)
        .proved
    )


def test_sw405_unguarded_increment_breaks_the_invariant() -> None:
    """`set a = a + 1` from `a = 4` gives 5: an error at the `set`, the invariant related."""
    text = spec("    on go -> B { set a = a + 1 }\n", extra=INVARIANT)
    machine = machine_of(text)
    [finding] = findings(machine)
    assert (finding.code, finding.severity) == ("SW405", Severity.ERROR)
    assert at(finding) == position(text, "set a = a + 1")
    assert [(r.span.line, r.span.column, r.message) for r in finding.related] == [
        (*position(text, "invariant a <= 4"), "the invariant")
    ]
    before = typed(machine, finding.witness)
    assert before == {"a": 4} and valid(machine, before)
    after = apply_sets(transition_actions(machine, "A"), before, machine.context)
    assert not holds(machine.invariants[0].expr, after)
    assert "it sets a = 5" in finding.message


def test_sw405_else_branch_is_checked_where_no_other_guard_holds() -> None:
    """The `else` branch runs only for `a >= 4`, where its increment breaks `a <= 4`."""
    text = spec(
        "    on go when a < 4 -> B { set a = a + 1 }\n    on go else -> B { set a = 1 + a }\n",
        extra=INVARIANT,
    )
    machine = machine_of(text)
    [finding] = findings(machine, "SW405")
    assert at(finding) == position(text, "set a = 1 + a")
    before = typed(machine, finding.witness)
    assert valid(machine, before)
    guard = machine.transitions[0].guard
    assert guard is not None and not holds(guard, before)
    after = apply_sets(transition_actions(machine, "A", 1), before, machine.context)
    assert not holds(machine.invariants[0].expr, after)


def test_sw405_else_branch_under_the_negated_guards_is_proved() -> None:
    """`when a >= 4 { set a = 0 }` / `else { set a = a + 1 }`: the else only runs below 4."""
    text = spec(
        "    on go when a >= 4 -> B { set a = 0 }\n    on go else -> B { set a = a + 1 }\n", extra=INVARIANT
    )
    machine = machine_of(text)
    assert findings(machine) == []
    else_block = blocks_of(machine)[1]
    assert len(else_block.given) == 1
    assert [a for a in range(0, 6) if holds(else_block.given[0], {"a": a})] == [0, 1, 2, 3]


STATE_ACTIONS = """\
workflow W {
  context {
    a: int 0..5 = 0
    b: int 0..5 = 0
  }
  invariant b <= a
  events { go, back }
  initial state A {
    on go -> S
    warn after 1d "slow" { set b = b + 0 }
  }
  state S {
    entry { set b = b + 1 }
    exit { set a = 0 }
    on back -> A
    timeout 1h -> A
  }
  final state B
}
"""


@pytest.mark.parametrize(
    ("needle", "where"),
    [("set b = b + 1", "the entry actions of `S`"), ("set a = 0", "the exit actions of `S`")],
)
def test_sw405_entry_and_exit_actions(needle: str, where: str) -> None:
    """Entry and exit actions are blocks too, checked with only the invariants and domain known."""
    machine = machine_of(STATE_ACTIONS)
    [finding] = [d for d in findings(machine, "SW405") if at(d) == position(STATE_ACTIONS, needle)]
    assert where in finding.message
    before = typed(machine, finding.witness)
    assert valid(machine, before)
    [block] = [b for b in blocks_of(machine) if b.where == where]
    assert not holds(machine.invariants[0].expr, apply_sets(block.actions, before, machine.context))


def test_sw405_warning_timer_actions_that_keep_the_invariant() -> None:
    """`warn after` actions are a block; `set b = b + 0` keeps `b <= a`, so it is not reported."""
    machine = machine_of(STATE_ACTIONS)
    assert any(b.where == "the warning timer of `A`" for b in blocks_of(machine))
    assert {at(d) for d in findings(machine, "SW405")} == {
        position(STATE_ACTIONS, "set b = b + 1"),
        position(STATE_ACTIONS, "set a = 0"),
    }
    broken = STATE_ACTIONS.replace("set b = b + 0", "set b = b + 2")
    assert position(broken, "set b = b + 2") in {at(d) for d in findings(machine_of(broken), "SW405")}


def test_sw405_only_invariants_reading_a_set_field_are_checked() -> None:
    """Setting `c` cannot break `a <= 4`: no obligation is even asked."""
    text = spec("    on go -> B { set c = c + 1 }\n", "a: int 0..5 = 0\n    c: int 0..5 = 0", INVARIANT)
    machine = machine_of(text)
    run = VerificationRun(machine)
    assert findings_in(run, "SW405") == []
    assert not any(check == "invariants preserved" for check, _ in analysis_of(run).ledger)
    assert analysis_of(run).tally()["values in range"]["refuted"] == 1


def test_sw405_sets_apply_in_order() -> None:
    """`set a = a + 1  set a = a - 1` leaves `a` unchanged, so `a <= 4` is kept."""
    machine = machine_of(spec("    on go -> B { set a = a + 1  set a = a - 1 }\n", extra=INVARIANT))
    assert findings(machine) == []


def test_sw405_only_the_broken_invariant_is_reported() -> None:
    """With `a <= 4` and `a >= 0`, an increment breaks only the first."""
    text = spec("    on go -> B { set a = a + 1 }\n", extra=INVARIANT + "  invariant a >= 0\n")
    [finding] = findings(machine_of(text))
    assert "`a <= 4`" in finding.message


def test_sw405_decimal_rounding_is_modelled() -> None:
    """`2.00 / 3` is stored rounded up (…667), so `q * 3 <= 2` breaks; `1.00 / 3` rounds down."""
    text = spec(
        "    on go -> B { set q = 2.00 / 3  set r = 1.00 / 3 }\n",
        "q: decimal = 0\n    r: decimal = 0",
        "  invariant q * 3 <= 2\n  invariant r * 3 <= 1\n",
    )
    machine = machine_of(text)
    [finding] = findings(machine)
    assert finding.code == "SW405" and "`q * 3 <= 2`" in finding.message
    after = apply_sets(transition_actions(machine, "A"), typed(machine, finding.witness), machine.context)
    assert after["q"] == Decimal("0.666666666666666667")
    assert not holds(invariant(machine, "q * 3 <= 2").expr, after)
    assert holds(invariant(machine, "r * 3 <= 1").expr, after)


def test_sw409_preservation_unknown() -> None:
    """Keeping a Fermat-style invariant needs a proof z3 cannot find: SW409 at the `set`."""
    text = hard(
        "    on go when a > 0 and b > 0 and c > 0 -> B { set c = c + 1 }\n    on go else -> B\n",
        "  invariant a * a * a + b * b * b != c * c * c or a <= 0 or b <= 0 or c <= 0\n",
    )
    machine = machine_of(text)
    found = findings(machine, **FAST)
    assert "SW405" not in {d.code for d in found}
    [unknown] = [d for d in found if "keeps" in d.message]
    assert (unknown.code, unknown.severity) == ("SW409", Severity.WARNING)
    assert at(unknown) == position(text, "set c = c + 1")


# --------------------------------------------------------------------------- SW406


def test_sw406_guarded_increment_stays_in_bounds() -> None:
    """`when n < 10 { set n = n + 1 }` keeps `n` in 0..10."""
    machine = machine_of(spec("    on go when n < 10 -> B { set n = n + 1 }\n", "n: int 0..10 = 0"))
    assert findings(machine) == []


def test_sw406_declared_bounds() -> None:
    """An unguarded increment can store 11 in `int 0..10`: an error at the `set`, the field related."""
    text = spec("    on go -> B { set n = n + 1 }\n", "n: int 0..10 = 0")
    machine = machine_of(text)
    [finding] = findings(machine)
    assert (finding.code, finding.severity) == ("SW406", Severity.ERROR)
    assert at(finding) == position(text, "set n = n + 1")
    assert [(r.span.line, r.span.column) for r in finding.related] == [position(text, "n: int 0..10")]
    assert "outside int 0..10" in finding.message
    before = typed(machine, finding.witness)
    assert valid(machine, before)
    after = apply_sets(transition_actions(machine, "A"), before, machine.context)
    assert not 0 <= integer(after, "n") <= 10


def test_sw406_leaving_only_the_64_bit_range_is_information() -> None:
    """`set n = n + 1` on `int >= 0` can only overflow the 64-bit range: severity info."""
    text = spec("    on go -> B { set n = n + 1 }\n", "n: int >= 0 = 0")
    machine = machine_of(text)
    [finding] = findings(machine)
    assert (finding.code, finding.severity) == ("SW406", Severity.INFO)
    assert "64-bit int range" in finding.message
    before = typed(machine, finding.witness)
    assert before == {"n": INT_MAX}
    assert apply_sets(transition_actions(machine, "A"), before, machine.context)["n"] == INT_MAX + 1


def test_sw406_declared_side_of_a_half_bounded_int_is_an_error() -> None:
    """`set n = n - 1` on `int >= 0` breaks the declared bound: one error, no extra info finding."""
    text = spec("    on go -> B { set n = n - 1 }\n", "n: int >= 0 = 0")
    [finding] = findings(machine_of(text))
    assert (finding.code, finding.severity) == ("SW406", Severity.ERROR)
    assert "outside int >= 0" in finding.message
    assert typed(machine_of(text), finding.witness) == {"n": 0}


def test_sw406_unbounded_int_doubling_is_information() -> None:
    """`set m = m * 2` on a plain `int` can overflow: info, with a witness that does."""
    text = spec("    on go -> B { set m = m * 2 }\n", "m: int = 0")
    machine = machine_of(text)
    [finding] = findings(machine)
    assert finding.severity is Severity.INFO
    after = apply_sets(transition_actions(machine, "A"), typed(machine, finding.witness), machine.context)
    assert not INT_MIN <= integer(after, "m") <= INT_MAX


def test_sw406_decimal_bounds() -> None:
    """`set d = d * 3` on `decimal 0.00..10.00` can pass 10; an unbounded decimal cannot overflow."""
    text = spec(
        "    on go -> B { set d = d * 3  set q = q * 3 }\n",
        "d: decimal 0.00..10.00 = 1.00\n    q: decimal = 0",
    )
    machine = machine_of(text)
    [finding] = findings(machine)
    assert (finding.code, at(finding)) == ("SW406", position(text, "set d = d * 3"))
    before = typed(machine, finding.witness)
    assert valid(machine, before)
    stored = apply_sets(transition_actions(machine, "A"), {"q": Decimal(0), **before}, machine.context)["d"]
    assert isinstance(stored, Decimal) and not Decimal(0) <= stored <= Decimal(10)


def test_sw406_only_the_last_set_of_a_field_is_stored() -> None:
    """`set a = a + 10  set a = a - 10`: the intermediate 15 is never stored."""
    machine = machine_of(spec("    on go -> B { set a = a + 10  set a = a - 10 }\n"))
    assert findings(machine) == []


def test_sw409_range_unknown() -> None:
    """A stored value whose range depends on Fermat's cubes: SW409 instead of SW406."""
    text = hard(
        "    on go when a > 0 and b > 0 and c > 0 -> B { set n = (a * a * a + b * b * b - c * c * c) * "
        "(a * a * a + b * b * b - c * c * c) }\n    on go else -> B\n",
    ).replace("x: decimal = 0", "x: decimal = 0\n    n: int >= 1 = 1")
    machine = machine_of(text)
    found = findings(machine, **FAST)
    assert "SW406" not in {d.code for d in found}
    [unknown] = [d for d in found if "stays in" in d.message]
    assert unknown.code == "SW409"
    assert at(unknown) == position(text, "set n =")


# --------------------------------------------------------------------------- SW407


def test_sw407_defaults_satisfy_the_invariants() -> None:
    """Defaults that satisfy every invariant: no finding, and z3's example keeps the defaults."""
    text = spec("    on go -> B\n", "a: int 0..5 = 1\n    b: int 0..5", "  invariant b > a\n")
    machine = machine_of(text)
    assert findings(machine) == []
    outcome = analysis_of(VerificationRun(machine)).initial()
    assert outcome.proved
    example = dict(outcome.witness)
    assert example["a"] == 1 and integer(example, "b") > 1
    assert holds(machine.invariants[0].expr, example)


def test_sw407_defaults_break_an_invariant() -> None:
    """`a = 5` breaks the second invariant: reported there, the first related, the defaults as witness."""
    text = spec(
        "    on go -> B\n", "a: int 0..5 = 5\n    b: int 0..5", "  invariant b >= 0\n  invariant a <= 4\n"
    )
    machine = machine_of(text)
    [finding] = findings(machine)
    assert (finding.code, finding.severity) == ("SW407", Severity.ERROR)
    assert at(finding) == position(text, "invariant a <= 4")
    assert [(r.span.line, r.span.column) for r in finding.related] == [position(text, "invariant b >= 0")]
    assert "the defaults break the invariant `a <= 4`" in finding.message
    defaults = typed(machine, finding.witness)
    assert defaults == {"a": 5}
    assert not holds(invariant(machine, "a <= 4").expr, defaults)


def test_sw407_no_start_values_of_the_free_fields() -> None:
    """`b > a * 5` with `a = 1` needs `b > 5`, outside `b`'s bounds: no start value works."""
    text = spec("    on go -> B\n", "a: int 0..5 = 1\n    b: int 0..5", "  invariant b > a * 5\n")
    machine = machine_of(text)
    [finding] = findings(machine)
    assert finding.code == "SW407"
    assert at(finding) == position(text, "invariant b > a * 5")
    assert "no start values of `b`" in finding.message
    defaults = typed(machine, finding.witness)
    assert defaults == {"a": 1}
    assert not any(holds(machine.invariants[0].expr, {**defaults, "b": b}) for b in range(0, 6))


def test_sw407_without_invariants_nothing_is_asked() -> None:
    """No invariants: nothing to check, and the solver is not consulted for the start."""
    machine = machine_of(spec("    on go -> B\n"))
    run = VerificationRun(machine)
    assert findings_in(run) == []
    assert not any(check == "initial context" for check, _ in analysis_of(run).ledger)


def test_sw409_initial_context_unknown() -> None:
    """Start values that must solve Fermat's cubes: SW409 at the first invariant."""
    text = spec(
        "    on go -> B\n",
        "a: int\n    b: int\n    c: int",
        "  invariant a * a * a + b * b * b == c * c * c\n  invariant a > 0 and b > 0 and c > 0\n",
    )
    machine = machine_of(text)
    found = findings(machine, **FAST)
    assert [d.code for d in found] == ["SW409"]
    assert at(found[0]) == position(text, "invariant a * a")
    assert "can satisfy the invariants" in found[0].message


# --------------------------------------------------------------------------- SW408

DIVIDING = "x: decimal = 0\n    d: decimal = 1\n    k: int = 0\n    q: decimal = 0"


def division_node(machine: ir.Machine, finding: Diagnostic) -> ir.BinOp:
    """The `/` or `%` a finding points at."""
    exprs = [t.guard for t in machine.transitions if t.guard is not None]
    exprs += [a.value for t in machine.transitions for a in t.actions if isinstance(a, ir.Assign)]
    exprs += [i.expr for i in machine.invariants]
    nodes = [
        d.node for e in exprs for d in divisions(e) if (d.node.span.line, d.node.span.column) == at(finding)
    ]
    assert nodes, finding
    return nodes[0]


def test_sw408_unguarded_division() -> None:
    """`x / d > 1` with `d` free: a warning at the division, whose witness makes it 0."""
    text = spec("    on go when x / d > 1 -> B\n    on go else -> B\n", DIVIDING)
    machine = machine_of(text)
    [finding] = findings(machine)
    assert (finding.code, finding.severity) == ("SW408", Severity.WARNING)
    assert at(finding) == position(text, "x / d")
    witness = typed(machine, finding.witness)
    assert witness["d"] == 0
    assert evaluate(division_node(machine, finding), {"x": Decimal(7), **witness}) == 0
    assert "(the result is then 0)" in finding.message


@pytest.mark.parametrize(
    ("guard", "reported"),
    [
        ("d != 0 and x / d > 1", False),
        ("d == 0 or x / d > 1", False),
        ("not (d == 0) and x / d > 1", False),
        ("not (d != 0 and x / d > 1)", False),
        ("k > 0 and (d > 0 or d < 0) and x / d > 1", False),
        ("x / d > 1 and d != 0", True),
        ("x / d > 1 or d == 0", True),
        ("d == 0 and x / d > 1", True),
        ("d != 0 or x / d > 1", True),
        ("x / d in { 1, 2 }", True),
    ],
)
def test_sw408_short_circuit_path_conditions(guard: str, reported: bool) -> None:
    """`and`/`or` operands only count where they are evaluated: `d != 0 and x / d > 1` is fine."""
    text = spec(f"    on go when {guard} -> B\n    on go else -> B\n", DIVIDING)
    machine = machine_of(text)
    found = findings(machine, "SW408")
    assert len(found) == int(reported)
    for finding in found:
        assert at(finding) == position(text, "x / d")
        assert typed(machine, finding.witness)["d"] == 0


def test_sw408_divisor_bounds_and_invariants_exclude_zero() -> None:
    """A divisor whose bounds, or an invariant, exclude 0 is never reported."""
    bounded = spec(
        "    on go when x / p > 1 -> B\n    on go else -> B\n",
        "x: decimal = 0\n    p: decimal 1.00..2.00 = 1",
    )
    assert findings(machine_of(bounded)) == []
    text = spec("    on go when x / d > 1 -> B\n    on go else -> B\n", DIVIDING, "  invariant d >= 1\n")
    assert findings(machine_of(text), "SW408") == []


def test_sw408_int_modulo_by_zero_returns_the_dividend() -> None:
    """`k % (k - 1)` divides by zero at `k = 1`, where the result is `k`."""
    text = spec("    on go when k % (k - 1) == 0 -> B\n    on go else -> B\n", DIVIDING)
    machine = machine_of(text)
    [finding] = findings(machine)
    assert at(finding) == position(text, "k % (k - 1)")
    assert "(the result is then k)" in finding.message
    witness = typed(machine, finding.witness)
    assert witness == {"k": 1}
    assert evaluate(division_node(machine, finding), witness) == 1


def test_sw408_literal_divisors() -> None:
    """A nonzero literal divisor is never asked about; a literal 0 always is."""
    assert findings(machine_of(spec("    on go when x / 2 > 1 -> B\n    on go else -> B\n", DIVIDING))) == []
    text = spec("    on go when x / 0 > 1 -> B\n    on go else -> B\n", DIVIDING)
    [finding] = findings(machine_of(text))
    assert (finding.code, at(finding)) == ("SW408", position(text, "x / 0"))


@pytest.mark.parametrize(
    ("body", "reported"),
    [
        ("    on go when d != 0 -> B { set q = x / d }\n    on go else -> B\n", False),
        ("    on go when d == 0 -> B\n    on go else -> B { set q = x / d }\n", False),
        ("    on go -> B { set q = x / d }\n", True),
        ("    on go when d == 0 -> B { set q = x / d }\n    on go else -> B\n", True),
    ],
    ids=["guarded", "else", "unguarded", "guard-forces-zero"],
)
def test_sw408_set_values_under_their_block_conditions(body: str, reported: bool) -> None:
    """A `set` value is evaluated only where its transition's guard (or `else` condition) holds."""
    text = spec(body, DIVIDING)
    found = findings(machine_of(text), "SW408")
    assert [at(d) for d in found] == ([position(text, "x / d")] if reported else [])


def test_sw408_invariant_division() -> None:
    """A division in an invariant is checked too (without assuming the invariants)."""
    text = spec("    on go -> B\n", DIVIDING, "  invariant x / d >= 0\n")
    [finding] = findings(machine_of(text), "SW408")
    assert at(finding) == position(text, "x / d")


def test_sw408_level_condition_is_reported_once() -> None:
    """A division in an approval level's condition is reported once, not once per lowered guard.

    Conditional routing copies the level condition into the route's and every earlier
    level's guards (`not (cond) and later`), and SW408 walks each copy.
    """
    text = """\
workflow W {
  context {
    amount: decimal >= 0.00
    nights: int 0..60 = 1
  }
  events { submit }
  initial state Draft { on submit -> Approval }
  approval Approval {
    routing conditional
    level 1 { approvers role:a }
    level 2 when amount / nights > 300.00 { approvers role:b }
    level 3 when amount > 1000.00 { approvers role:c }
    approved -> Done
    rejected -> Done
  }
  final state Done
}
"""
    machine = machine_of(text)
    found = findings(machine, "SW408")
    assert [at(d) for d in found] == [position(text, "amount / nights")]
    assert typed(machine, found[0].witness) == {"nights": 0}


def test_sw409_divisor_unknown() -> None:
    """A divisor that is 0 exactly on Fermat's cubes: SW409 at the division."""
    text = hard(
        "    on go when a > 0 and b > 0 and c > 0 and x / (a * a * a + b * b * b - c * c * c) > 1 -> B\n"
        "    on go else -> B\n"
    )
    found = findings(machine_of(text), **FAST)
    assert [d.code for d in found] == ["SW409"]
    assert at(found[0]) == position(text, "x / (a")
    assert "is never 0" in found[0].message


# --------------------------------------------------------------------------- properties


@given(
    inv=st.tuples(st.sampled_from(["<=", ">="]), st.integers(0, 6)),
    guard=st.none() | st.tuples(st.sampled_from(["<=", ">="]), st.integers(-1, 7)),
    update=st.tuples(st.sampled_from(["a + K", "a * K", "K - a"]), st.integers(-3, 3)),
)
def test_sw405_sw406_agree_with_brute_force(
    inv: tuple[str, int], guard: tuple[str, int] | None, update: tuple[str, int]
) -> None:
    """On `a: int 0..6`, SW405 and SW406 are reported exactly when some allowed `a` breaks them."""
    compare: dict[str, Callable[[int, int], bool]] = {"<=": lambda x, y: x <= y, ">=": lambda x, y: x >= y}
    shape, k = update
    value = shape.replace("K", f"({k})" if k < 0 else str(k))
    when = f" when a {guard[0]} {guard[1]}" if guard else ""
    text = spec(
        f"    on go{when} -> B {{ set a = {value} }}\n", "a: int 0..6", f"  invariant a {inv[0]} {inv[1]}\n"
    )
    note(text)
    machine = machine_of(text)
    steps: dict[str, Callable[[int], int]] = {
        "a + K": lambda a: a + k,
        "a * K": lambda a: a * k,
        "K - a": lambda a: k - a,
    }
    step = steps[shape]
    allowed = [
        a
        for a in range(0, 7)
        if compare[inv[0]](a, inv[1]) and (guard is None or compare[guard[0]](a, guard[1]))
    ]
    breaks = [a for a in allowed if not compare[inv[0]](step(a), inv[1])]
    leaves = [a for a in allowed if not 0 <= step(a) <= 6]
    event(f"SW405={bool(breaks)} SW406={bool(leaves)}")
    found = findings(machine)
    assert sorted(d.code for d in found) == (["SW405"] if breaks else []) + (["SW406"] if leaves else [])
    actions = transition_actions(machine, "A")
    for finding in found:
        before = integer(typed(machine, finding.witness), "a")
        assert before in allowed
        after = integer(apply_sets(actions, {"a": before}, machine.context), "a")
        assert after == step(before)
        assert (before in breaks) if finding.code == "SW405" else (before in leaves)


@given(
    a=st.integers(-3, 3),
    f=st.booleans(),
    terms=st.lists(bool_terms(2, mod=False), min_size=1, max_size=2),
)
def test_sw407_agrees_with_brute_force(a: int, f: bool, terms: list[Term]) -> None:
    """With `a` and `f` defaulted, SW407 is reported iff no `b`, `e` make every invariant hold."""
    context = FIELDS.replace("a: int -3..3", f"a: int -3..3 = {a}").replace(
        "f: bool", f"f: bool = {'true' if f else 'false'}"
    )
    text = spec("    on go -> B\n", context, "".join(f"  invariant {t}\n" for t, _ in terms))
    note(text)
    machine = machine_of(text)
    starts = [c for c in CONTEXTS if c["a"] == a and c["f"] == f]
    possible = any(all(fn(c) for _, fn in terms) for c in starts)
    event(f"SW407={not possible}")
    found = findings(machine, "SW407")
    assert len(found) == (0 if possible else 1)
    if found:
        [finding] = found
        first = position(text, "  invariant ")[0]
        lines = [first + i for i in range(len(terms))]
        read = set().union(*(reads(inv.expr) for inv in machine.invariants))
        defaults: dict[str, ir.Value] = {"a": a, "f": f}
        assert typed(machine, finding.witness) == {k: v for k, v in defaults.items() if k in read}
        broken = [
            line
            for line, inv in zip(lines, machine.invariants, strict=True)
            if reads(inv.expr) <= defaults.keys() and not holds(inv.expr, defaults)
        ]
        if broken:
            assert finding.span.line == broken[0]
            assert "the defaults break" in finding.message
        else:
            assert finding.span.line == lines[0]
            assert "no start values" in finding.message


SHAPES = ("D", "P and D", "P or D", "D and P", "D or P", "not (P and D)")


@given(
    shape=st.sampled_from(SHAPES),
    divisor=int_terms(1, mod=False),
    condition=bool_terms(1, mod=False),
    invariant_term=st.none() | bool_terms(1, mod=False),
)
def test_sw408_agrees_with_brute_force(
    shape: str, divisor: Term, condition: Term, invariant_term: Term | None
) -> None:
    """`b % (T) > 0` inside `and`/`or`: SW408 iff T can be 0 where the division is evaluated."""
    division = f"b % ({divisor[0]}) > 0"
    guard = shape.replace("D", division).replace("P", f"({condition[0]})")
    extra = f"  invariant {invariant_term[0]}\n" if invariant_term else ""
    text = spec(f"    on go when {guard} -> B\n    on go else -> B\n", FIELDS, extra)
    note(text)
    machine = machine_of(text)
    reached: dict[str, Callable[[Mapping[str, Value]], bool]] = {
        "D": lambda c: True,
        "P and D": lambda c: bool(condition[1](c)),
        "P or D": lambda c: not condition[1](c),
        "D and P": lambda c: True,
        "D or P": lambda c: True,
        "not (P and D)": lambda c: bool(condition[1](c)),
    }
    allowed = [c for c in CONTEXTS if invariant_term is None or invariant_term[1](c)]
    zero = [c for c in allowed if reached[shape](c) and divisor[1](c) == 0]
    event(f"SW408={bool(zero)}")
    found = findings(machine, "SW408")
    assert [at(d) for d in found] == ([position(text, "b % (")] if zero else [])
    for finding in found:
        witness = typed(machine, finding.witness)
        full: dict[str, Value] = {name: DOMAINS[name][0] for name in DOMAINS}
        for name, value in witness.items():
            assert not isinstance(value, Decimal)
            full[name] = value
        assert reached[shape](full) and divisor[1](full) == 0
