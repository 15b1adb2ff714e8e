"""The proof obligations of `GuardAnalysis`: each one proved, refuted and left unknown.

Every refuted (or, for `satisfiable` and `initial`, proved) answer carries a witness;
these tests check each witness with the runtime's own evaluator (`holds`,
`apply_sets`, `value_in_domain`), so a witness is always a context the running
workflow could really be in and that really shows what the answer claims.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import pytest

from statewright import ir
from statewright.compiler.smt.analysis import GuardAnalysis, Outcome
from statewright.semantics.interpret import SCALE
from statewright.semantics.values import apply_sets, evaluate, holds, value_in_domain
from tests.verify.support import machine_of

CONTEXT = """
    a: int 0..5 = 0
    b: int 0..9
    e: enum { lo, mid, hi } = lo
"""

HARD = "x * x * x + y * y * y == z * z * z and x > 0 and y > 0 and z > 0"
"""No solution (Fermat, n = 3) and beyond z3's nonlinear integer reasoning in 1 ms."""
HARD_CONTEXT = """
    x: int
    y: int
    z: int
"""


@dataclass(frozen=True)
class Compiled:
    """A compiled spec: its machine, the guards of `on go` in order, and the actions of `on step`."""

    machine: ir.Machine
    guards: tuple[ir.Expr, ...]
    actions: tuple[ir.Action, ...]

    def analysis(self, timeout_ms: int = 10_000) -> GuardAnalysis:
        """A fresh analysis of the machine."""
        return GuardAnalysis(self.machine, timeout_ms=timeout_ms)

    def field(self, name: str) -> ir.ContextField:
        """The context field called `name`."""
        return next(f for f in self.machine.context if f.name == name)


def compiled(
    context: str, guards: Sequence[str] = (), invariants: Sequence[str] = (), sets: Sequence[str] = ()
) -> Compiled:
    """Compile a spec whose state `A` has one `on go when G -> B` per guard and `on step -> B { sets }`."""
    lines = [f"    on go when {guard} -> B" for guard in guards]
    actions = "  ".join(f"set {s}" for s in sets)
    lines.append(f"    on step -> B {{ {actions} }}" if sets else "    on step -> B")
    text = "\n".join(
        [
            "workflow W {",
            f"  context {{{context}  }}",
            *(f"  invariant {i}" for i in invariants),
            "  events { go, step }",
            "  initial state A {",
            *lines,
            "  }",
            "  final state B",
            "}",
        ]
    )
    machine = machine_of(text)
    go = tuple(t.guard for t in machine.transitions if t.event == "go" and t.guard is not None)
    step = next(t for t in machine.transitions if t.event == "step")
    assert len(go) == len(guards)
    return Compiled(machine, go, step.actions)


def context_of(outcome: Outcome) -> dict[str, ir.Value]:
    """A witness as a context."""
    return dict(outcome.witness)


def assert_in_domain(spec: Compiled, outcome: Outcome) -> None:
    """Every value of the witness belongs to its field's declared type, and the invariants hold on it."""
    for name, value in outcome.witness:
        assert value_in_domain(value, spec.field(name).type), (name, value)
    for invariant in spec.machine.invariants:
        assert holds(invariant.expr, context_of(outcome)), invariant.text


def assert_unknown_by_time(outcome: Outcome) -> None:
    """An unknown answer that says z3 ran out of time."""
    assert outcome.verdict == "unknown", outcome
    assert outcome.witness == ()
    assert "did not decide within 1 ms" in outcome.reason


# --------------------------------------------------------------------------- satisfiable


def test_satisfiable_proved_with_an_example() -> None:
    """A guard that can hold is proved, with a context in the domain where it does."""
    spec = compiled(CONTEXT, ["a > 2 and e == hi and b % 4 == 3"], ["a <= 4"])
    outcome = spec.analysis().satisfiable(spec.guards[0])
    assert outcome.verdict == "proved"
    assert {name for name, _ in outcome.witness} == {"a", "b", "e"}
    assert holds(spec.guards[0], context_of(outcome))
    assert_in_domain(spec, outcome)


@pytest.mark.parametrize(
    "guard",
    [
        "a > 3 and a < 4",
        "a == 5",
        "b > 9",
        "e != lo and e != mid and e != hi",
        "b % 3 == 1 and b % 6 == 4 + 1",
    ],
)
def test_satisfiable_refuted(guard: str) -> None:
    """A guard no context in the domain (and the invariant `a <= 4`) satisfies is refuted."""
    spec = compiled(CONTEXT, [guard], ["a <= 4"])
    outcome = spec.analysis().satisfiable(spec.guards[0])
    assert outcome.verdict == "refuted", outcome


def test_satisfiable_with_given_guards() -> None:
    """`given` guards constrain the example too: `a > 1` given `a < 3` is only `a == 2`."""
    spec = compiled(CONTEXT, ["a > 1", "a < 3", "a > 3"])
    analysis = spec.analysis()
    outcome = analysis.satisfiable(spec.guards[0], given=[spec.guards[1]])
    assert outcome.verdict == "proved"
    assert context_of(outcome) == {"a": 2}
    assert analysis.satisfiable(spec.guards[2], given=[spec.guards[1]]).verdict == "refuted"


def test_satisfiable_unknown_when_time_runs_out() -> None:
    """A hard nonlinear guard under a 1 ms limit is unknown, and the reason names the limit."""
    spec = compiled(HARD_CONTEXT, [HARD])
    assert_unknown_by_time(spec.analysis(timeout_ms=1).satisfiable(spec.guards[0]))


# --------------------------------------------------------------------------- exclusive


@pytest.mark.parametrize(
    "guards",
    [
        ["a > 2", "a <= 2"],
        ["e == lo", "e == mid", "e == hi"],
        ["a < 2", "a >= 2 and e == lo", "a >= 2 and e != lo"],
        ["a > 4", "b > 8"],  # each can hold, but the invariant a <= 4 rules out the first
    ],
)
def test_exclusive_proved(guards: list[str]) -> None:
    """Guards of which at most one holds in every context are proved exclusive."""
    spec = compiled(CONTEXT, guards, ["a <= 4"])
    assert spec.analysis().exclusive(spec.guards).verdict == "proved"


@pytest.mark.parametrize(
    "guards",
    [
        ["a >= 2", "a <= 2"],
        ["a > 2", "a > 3", "e == hi"],
        ["e == lo", "e == mid", "b == 9", "a == 0"],
        ["b % 2 == 0", "b % 3 == 0"],
    ],
)
def test_exclusive_refuted_where_two_guards_hold(guards: list[str]) -> None:
    """Overlapping guards are refuted with a witness on which at least two of them really hold."""
    spec = compiled(CONTEXT, guards, ["a <= 4"])
    outcome = spec.analysis().exclusive(spec.guards)
    assert outcome.verdict == "refuted"
    context = context_of(outcome)
    assert sum(holds(g, context) for g in spec.guards) >= 2
    assert_in_domain(spec, outcome)


def test_exclusive_of_one_guard_is_proved() -> None:
    """A single guard is trivially exclusive, even when it can hold."""
    spec = compiled(CONTEXT, ["a > 2"])
    assert spec.analysis().exclusive(spec.guards).verdict == "proved"


def test_exclusive_unknown_when_time_runs_out() -> None:
    """Two hard nonlinear guards under a 1 ms limit are unknown."""
    spec = compiled(HARD_CONTEXT, [HARD, f"{HARD} and x < 100"])
    assert_unknown_by_time(spec.analysis(timeout_ms=1).exclusive(spec.guards))


# --------------------------------------------------------------------------- exhaustive


@pytest.mark.parametrize(
    "guards",
    [
        ["a > 2", "a <= 2"],
        ["e == lo", "e in { mid, hi }"],
        ["a <= 4"],  # the invariant a <= 4 makes it hold everywhere
        ["b % 2 == 0", "b % 2 == 1"],
        ["a < 2", "a >= 2 and e == lo", "e != lo"],
    ],
)
def test_exhaustive_proved(guards: list[str]) -> None:
    """Guards of which one holds in every context are proved exhaustive."""
    spec = compiled(CONTEXT, guards, ["a <= 4"])
    assert spec.analysis().exhaustive(spec.guards).verdict == "proved"


@pytest.mark.parametrize(
    "guards",
    [["a > 2", "a < 2"], ["a <= 3"], ["e == lo", "e == mid"], ["b % 3 == 0", "b % 3 == 1", "a > 4"]],
)
def test_exhaustive_refuted_where_no_guard_holds(guards: list[str]) -> None:
    """A gap is refuted with a witness on which no guard holds."""
    spec = compiled(CONTEXT, guards, ["a <= 4"])
    outcome = spec.analysis().exhaustive(spec.guards)
    assert outcome.verdict == "refuted"
    context = context_of(outcome)
    assert not any(holds(g, context) for g in spec.guards)
    assert_in_domain(spec, outcome)


def test_exhaustive_unknown_when_time_runs_out() -> None:
    """The negation of a hard nonlinear guard under a 1 ms limit is unknown."""
    spec = compiled(HARD_CONTEXT, [f"not ({HARD})"])
    assert_unknown_by_time(spec.analysis(timeout_ms=1).exhaustive(spec.guards))


# --------------------------------------------------------------------------- preserves


def test_preserves_proved() -> None:
    """`set a = a + 1` where `a <= 2` keeps `a <= 4`; `set a = b % 5` keeps it anywhere."""
    spec = compiled(CONTEXT, ["a <= 2"], ["a <= 4"], ["a = a + 1"])
    analysis = spec.analysis()
    invariant = spec.machine.invariants[0]
    assert analysis.preserves(invariant, spec.guards, spec.actions).verdict == "proved"
    other = compiled(CONTEXT, [], ["a <= 4"], ["a = b % 5"])
    assert other.analysis().preserves(invariant, (), other.actions).verdict == "proved"


@pytest.mark.parametrize(
    ("guards", "invariants", "sets"),
    [
        (["a > 2"], ["a <= 4"], ["a = a + 1"]),
        ([], ["a <= 4"], ["b = b * 2", "a = b - 4"]),
        (["e == lo"], ["e != hi or a < 2"], ["e = hi"]),
        ([], ["a + b <= 12", "a <= 4"], ["a = a + 1", "b = b + a"]),
    ],
)
def test_preserves_refuted_with_the_values_before(
    guards: list[str], invariants: list[str], sets: list[str]
) -> None:
    """A `set` that can break an invariant is refuted: it holds on the witness, and fails after the sets."""
    spec = compiled(CONTEXT, guards, invariants, sets)
    invariant = spec.machine.invariants[0]
    outcome = spec.analysis().preserves(invariant, spec.guards, spec.actions)
    assert outcome.verdict == "refuted"
    before = context_of(outcome)
    assert all(holds(g, before) for g in spec.guards)
    assert_in_domain(spec, outcome)
    after = apply_sets(spec.actions, before, spec.machine.context)
    assert not holds(invariant.expr, after)


def test_preserves_unknown_when_time_runs_out() -> None:
    """Keeping `not (hard)` through `set z = z + 1` (as hard a question) is unknown at 1 ms."""
    spec = compiled(HARD_CONTEXT, [], [f"not ({HARD})"], ["z = z + 1"])
    outcome = spec.analysis(timeout_ms=1).preserves(spec.machine.invariants[0], (), spec.actions)
    assert_unknown_by_time(outcome)


# --------------------------------------------------------------------------- in_range


def test_in_range_proved() -> None:
    """`set a = a + 1` where `a <= 4` stays in `0..5`."""
    spec = compiled(CONTEXT, ["a <= 4"], [], ["a = a + 1"])
    assert spec.analysis().in_range("a", spec.guards, spec.actions).verdict == "proved"


def test_in_range_refuted_with_the_values_before() -> None:
    """`set a = a + 2` can leave `0..5`: the witness satisfies the invariant and the stored value is out."""
    spec = compiled(CONTEXT, [], ["a <= 4"], ["a = a + 2"])
    outcome = spec.analysis().in_range("a", (), spec.actions)
    assert outcome.verdict == "refuted"
    assert_in_domain(spec, outcome)
    after = apply_sets(spec.actions, context_of(outcome), spec.machine.context)
    assert not value_in_domain(after["a"], spec.field("a").type)


def test_in_range_declared_only_ignores_the_64_bit_range() -> None:
    """`set n = n * 2` on an unbounded int: within its declared bounds (none), but it can overflow 64 bits."""
    spec = compiled("\n    n: int >= 1\n", [], [], ["n = n * 2"])
    analysis = spec.analysis()
    assert analysis.in_range("n", (), spec.actions, declared_only=True).verdict == "proved"
    outcome = analysis.in_range("n", (), spec.actions)
    assert outcome.verdict == "refuted"
    assert_in_domain(spec, outcome)
    after = apply_sets(spec.actions, context_of(outcome), spec.machine.context)
    assert not value_in_domain(after["n"], spec.field("n").type)


def test_in_range_of_a_decimal_after_rounding() -> None:
    """`set d = d / 3` on `decimal 0..1` stays in range; `set d = d * 1.5` can leave it."""
    spec = compiled("\n    d: decimal 0..1\n", [], [], ["d = d / 3"])
    assert spec.analysis().in_range("d", (), spec.actions).verdict == "proved"
    spec = compiled("\n    d: decimal 0..1\n", [], [], ["d = d * 1.5"])
    outcome = spec.analysis().in_range("d", (), spec.actions)
    assert outcome.verdict == "refuted"
    assert_in_domain(spec, outcome)
    after = apply_sets(spec.actions, context_of(outcome), spec.machine.context)
    assert not value_in_domain(after["d"], spec.field("d").type)


def test_in_range_unknown_when_time_runs_out() -> None:
    """A stored value that is out of range only on a solution of the hard equation is unknown at 1 ms."""
    spec = compiled(HARD_CONTEXT + "    flag: int 0..1\n", [HARD], [], ["flag = 2"])
    assert_unknown_by_time(spec.analysis(timeout_ms=1).in_range("flag", spec.guards, spec.actions))


# --------------------------------------------------------------------------- initial


def test_initial_proved_with_the_free_fields_chosen() -> None:
    """Defaults `a = 3` and a free `b` can meet `a + b == 7`: the example fixes `a` and picks `b = 4`."""
    spec = compiled(CONTEXT, [], ["a + b == 7", "e == lo"])
    outcome = spec.analysis().initial()
    assert outcome.verdict == "proved"
    context = context_of(outcome)
    assert context["a"] == 0 and context["e"] == "lo"
    assert context["b"] == 7
    assert_in_domain(spec, outcome)


def test_initial_refuted_with_the_defaults() -> None:
    """A default that breaks an invariant is refuted, and the witness is the defaults."""
    spec = compiled(CONTEXT, [], ["e != lo or a > 0"])
    outcome = spec.analysis().initial()
    assert outcome.verdict == "refuted"
    assert context_of(outcome) == {"a": 0, "e": "lo"}
    assert not holds(spec.machine.invariants[0].expr, context_of(outcome))


def test_initial_refuted_when_no_free_value_fits() -> None:
    """With `a = 0` fixed, no `b` in `0..9` gives `a + b == 12`."""
    spec = compiled(CONTEXT, [], ["a + b == 12"])
    outcome = spec.analysis().initial()
    assert outcome.verdict == "refuted"
    assert context_of(outcome) == {"a": 0}


def test_initial_unknown_when_time_runs_out() -> None:
    """A hard invariant over fields without defaults is unknown at 1 ms."""
    spec = compiled(HARD_CONTEXT, [], [HARD])
    assert_unknown_by_time(spec.analysis(timeout_ms=1).initial())


# --------------------------------------------------------------------------- nonzero


def test_nonzero_proved() -> None:
    """`b` given `b > 0` is never zero; nor is `d - 0.5` given `d > 0.5`."""
    spec = compiled(CONTEXT + "    d: decimal 0..1\n", ["b > 0", "d > 0.5", "d - 0.5 > 0"])
    analysis = spec.analysis()
    b = ir.Var("b", "int")
    divisor = ir.BinOp("-", ir.Var("d", "decimal"), ir.Lit(Decimal("0.5"), "decimal"), "decimal")
    assert analysis.nonzero(b, [spec.guards[0]]).verdict == "proved"
    assert analysis.nonzero(divisor, [spec.guards[1]]).verdict == "proved"


@pytest.mark.parametrize(
    ("divisor", "given"),
    [
        (ir.Var("b", "int"), []),
        (ir.BinOp("-", ir.Var("a", "int"), ir.Lit(3, "int"), "int"), ["b > 1"]),
        (ir.BinOp("-", ir.Var("d", "decimal"), ir.Lit(Decimal("0.25"), "decimal"), "decimal"), ["a < 2"]),
    ],
)
def test_nonzero_refuted_where_the_divisor_is_zero(divisor: ir.Expr, given: list[str]) -> None:
    """A divisor that can be zero is refuted, with a witness where it is zero and `given` holds."""
    spec = compiled(CONTEXT + "    d: decimal 0..1\n", given, ["a <= 4"])
    outcome = spec.analysis().nonzero(divisor, spec.guards)
    assert outcome.verdict == "refuted"
    context = context_of(outcome)
    assert evaluate(divisor, context) == 0
    assert all(holds(g, context) for g in spec.guards)
    assert_in_domain(spec, outcome)


def test_nonzero_can_ignore_the_invariants() -> None:
    """`b` is nonzero under the invariant `b >= 1`; without assuming invariants, `b = 0` refutes it."""
    spec = compiled(CONTEXT, [], ["b >= 1"])
    analysis = spec.analysis()
    b = ir.Var("b", "int")
    assert analysis.nonzero(b, ()).verdict == "proved"
    outcome = analysis.nonzero(b, (), invariants=False)
    assert outcome.verdict == "refuted"
    assert context_of(outcome) == {"b": 0}


def test_nonzero_unknown_when_time_runs_out() -> None:
    """A divisor that is zero only on a solution of the hard equation is unknown at 1 ms."""
    spec = compiled(HARD_CONTEXT, [HARD])
    divisor = ir.BinOp("-", ir.Var("x", "int"), ir.Var("x", "int"), "int")
    assert_unknown_by_time(spec.analysis(timeout_ms=1).nonzero(divisor, spec.guards))


# --------------------------------------------------------------------------- witnesses of each type


@pytest.mark.parametrize(
    "guard",
    [
        "d * 3 > 1 and d < 0.34",
        "d * 7 > 1 and d * 7 < 1.0000001",
        "d > 0.1 and d < 0.100000000000000001 + 0.000000000000000001",
        "d * d == 0.0625",
        "d / 3 == 0.1",
    ],
)
def test_decimal_witnesses_have_at_most_18_fractional_digits(guard: str) -> None:
    """A decimal witness is a `Decimal` with at most 18 fractional digits that really satisfies the guard."""
    spec = compiled("\n    d: decimal 0..1\n", [guard])
    outcome = spec.analysis().satisfiable(spec.guards[0])
    assert outcome.verdict == "proved", outcome
    value = context_of(outcome)["d"]
    assert isinstance(value, Decimal)
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int) and -exponent <= SCALE
    assert holds(spec.guards[0], context_of(outcome))


def test_decimal_witness_with_many_significant_digits_satisfies_the_guard() -> None:
    """A witness for `w == 12345678901.000000000000000001` is that value, all 29 digits of it."""
    spec = compiled("\n    w: decimal\n", ["w == 12345678901.000000000000000001"])
    outcome = spec.analysis().satisfiable(spec.guards[0])
    assert outcome.verdict == "proved"
    assert context_of(outcome)["w"] == Decimal("12345678901.000000000000000001")
    assert holds(spec.guards[0], context_of(outcome))


def test_a_decimal_guard_with_no_18_digit_solution_is_not_proved() -> None:
    """`d * 3 == 1` holds only for 1/3, which no stored decimal is: never proved satisfiable."""
    spec = compiled("\n    d: decimal 0..1\n", ["d * 3 == 1"])
    outcome = spec.analysis().satisfiable(spec.guards[0])
    assert outcome.verdict != "proved"
    assert outcome.witness == ()


@pytest.mark.parametrize(
    ("guard", "avoid"),
    [
        ('s != "a" and s != "other" and s != ""', {"a", "other", ""}),
        ('s not in { "other", "other-2", "x" }', {"other", "other-2", "x"}),
        ('s != t and s != "a" and t != "a"', {"a"}),
    ],
)
def test_string_witnesses_avoid_the_literals_they_must(guard: str, avoid: set[str]) -> None:
    """A string the guard needs to differ from every literal is a new string, not one of them."""
    spec = compiled("\n    s: string\n    t: string\n", [guard])
    outcome = spec.analysis().satisfiable(spec.guards[0])
    assert outcome.verdict == "proved"
    context = context_of(outcome)
    assert isinstance(context["s"], str) and context["s"] not in avoid
    assert holds(spec.guards[0], context)


@pytest.mark.parametrize(
    ("guard", "expected"),
    [
        ('s == "x"', {"s": "x"}),
        ('s in { "y" } and t == s', {"s": "y", "t": "y"}),
        ('s == t and s != "a"', None),
    ],
)
def test_string_witnesses_use_literals_where_they_must(guard: str, expected: dict[str, str] | None) -> None:
    """A string the guard pins to a literal is that literal; equal fields get equal strings."""
    spec = compiled("\n    s: string\n    t: string\n", [guard])
    outcome = spec.analysis().satisfiable(spec.guards[0])
    assert outcome.verdict == "proved"
    context = context_of(outcome)
    if expected is not None:
        assert context == expected
    assert holds(spec.guards[0], context)


@pytest.mark.parametrize(
    ("guard", "field", "expected"),
    [
        ("e != lo and e != mid", "e", "hi"),
        ("f != mid", "f", "top"),
        ("e == mid and f == mid", "f", "mid"),
        ("f not in { top }", "f", "mid"),
    ],
)
def test_enum_witnesses_are_members(guard: str, field: str, expected: str) -> None:
    """An enum witness is a member of that field's own enum, even when enums share member names."""
    spec = compiled("\n    e: enum { lo, mid, hi }\n    f: enum { mid, top }\n", [guard])
    outcome = spec.analysis().satisfiable(spec.guards[0])
    assert outcome.verdict == "proved"
    assert context_of(outcome)[field] == expected
    assert_in_domain(spec, outcome)
    assert holds(spec.guards[0], context_of(outcome))


# --------------------------------------------------------------------------- memoising


def test_answers_are_memoised_and_tallied() -> None:
    """The same obligation asked twice is one query; `record` tallies what the rules decide."""
    spec = compiled(CONTEXT, ["a > 2", "a <= 2"])
    analysis = spec.analysis()
    first = analysis.exclusive(spec.guards)
    queries = analysis.prover.queries
    assert analysis.exclusive(list(spec.guards)) is first
    assert analysis.prover.queries == queries
    analysis.record("exclusive", "pair", first)
    analysis.record("satisfiable", "guard", analysis.satisfiable(spec.guards[0]))
    analysis.record("satisfiable", "guard", analysis.satisfiable(spec.guards[0]))  # the same subject again
    assert analysis.tally() == {
        "satisfiable": {"proved": 1, "refuted": 0, "unknown": 0},
        "exclusive": {"proved": 1, "refuted": 0, "unknown": 0},
    }
