"""The proof obligations about one machine's guards, invariants and `set` actions.

Each method states one obligation over IR expressions, asks the `Prover` for a
counterexample (or an example), and answers with an `Outcome`: proved, refuted
with a witness, or unknown with z3's reason.  Answers are memoised by the
obligation's structure, so the same guards met in a thousand states cost one
query, and the rules, the completeness table and the report share them.

The rules record each obligation they decide in `ledger`, which the validation
summary prints ("exclusive: 12 proved, 1 refuted, 0 unknown").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Literal, TypeAlias

import z3

from statewright import ir
from statewright.compiler.smt import DEFAULT_TIMEOUT_MS
from statewright.compiler.smt.encode import Encoding, Term
from statewright.compiler.smt.prover import Prover, Search, Witness
from statewright.plugins.run import VerificationRun
from statewright.semantics.interpret import assign, fields_of, in_bounds, in_domain, literal

Verdict: TypeAlias = Literal["proved", "refuted", "unknown"]
VERDICTS: tuple[Verdict, ...] = ("proved", "refuted", "unknown")

CHECKS = (
    "satisfiable",
    "exclusive",
    "exhaustive",
    "invariants preserved",
    "values in range",
    "initial context",
    "divisors nonzero",
)
"""The obligation kinds, in the order the report lists them."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """The answer to one obligation; `witness` is a context that shows it (refuted, or an example)."""

    verdict: Verdict
    witness: Witness = ()
    reason: str = ""

    @property
    def proved(self) -> bool:
        """True when the obligation holds for every context in the domain."""
        return self.verdict == "proved"

    @property
    def refuted(self) -> bool:
        """True when a witness breaks the obligation."""
        return self.verdict == "refuted"


def negation(expr: ir.Expr) -> ir.Expr:
    """`not expr`, as an IR expression."""
    return ir.Unary("not", expr, "bool")


def _claim(search: Search) -> Outcome:
    """A claim holds when no counterexample exists."""
    verdicts: dict[str, Verdict] = {"none": "proved", "found": "refuted", "unknown": "unknown"}
    return Outcome(verdicts[search.status], search.witness, search.reason)


def _example(search: Search) -> Outcome:
    """A possibility holds when an example exists."""
    verdicts: dict[str, Verdict] = {"found": "proved", "none": "refuted", "unknown": "unknown"}
    return Outcome(verdicts[search.status], search.witness, search.reason)


class GuardAnalysis:
    """The obligations of one machine, answered by z3 under a per-query time limit."""

    def __init__(self, machine: ir.Machine, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> None:
        self.machine = machine
        self.timeout_ms = timeout_ms
        self.ledger: dict[tuple[str, Hashable], Verdict] = {}
        self._answers: dict[Hashable, Outcome] = {}
        self._invariant_fields = frozenset().union(*(fields_of(i.expr) for i in machine.invariants))

    @cached_property
    def encoding(self) -> Encoding:
        """The z3 encoding, built on the first query (machines without guards never touch a solver)."""
        return Encoding(self.machine)

    @cached_property
    def prover(self) -> Prover:
        """The solver, with the declared domain asserted."""
        return Prover(self.encoding, self.timeout_ms)

    def record(self, check: str, subject: Hashable, outcome: Outcome) -> Outcome:
        """Count one decided obligation (once per check and subject, however often it is asked)."""
        self.ledger[(check, subject)] = outcome.verdict
        return outcome

    def _memo(self, key: Hashable, compute: Callable[[], Outcome]) -> Outcome:
        known = self._answers.get(key)
        if known is None:
            known = compute()
            self._answers[key] = known
        return known

    def _search(
        self, exprs: Iterable[ir.Expr], constraints: Sequence[Term], invariants: bool = True
    ) -> Search:
        names = frozenset().union(*(fields_of(e) for e in exprs))
        if invariants:
            names |= self._invariant_fields
        return self.prover.search(constraints, names, assume_invariants=invariants)

    # ------------------------------------------------------------------ guards

    def satisfiable(self, guard: ir.Expr, given: Sequence[ir.Expr] = ()) -> Outcome:
        """Can `guard` hold (together with `given`)? Proved comes with an example context."""

        def compute() -> Outcome:
            exprs = (guard, *given)
            return _example(self._search(exprs, [self.encoding.term(e) for e in exprs]))

        return self._memo(("satisfiable", guard, tuple(given)), compute)

    def exclusive(self, guards: Sequence[ir.Expr]) -> Outcome:
        """Is at most one of `guards` true in every context? Refuted: a context where two or more hold."""

        def compute() -> Outcome:
            if len(guards) < 2:
                return Outcome("proved")
            terms = [self.encoding.term(g) for g in guards]
            overlap = z3.AtLeast(*terms, 2) if len(terms) > 2 else z3.And(*terms)
            return _claim(self._search(guards, [overlap]))

        return self._memo(("exclusive", tuple(guards)), compute)

    def exhaustive(self, guards: Sequence[ir.Expr]) -> Outcome:
        """Is some guard true in every context? Refuted: a context where none holds."""

        def compute() -> Outcome:
            terms = [self.encoding.term(g) for g in guards]
            none_holds = z3.Not(z3.Or(*terms)) if terms else z3.BoolVal(True, self.encoding.context)
            return _claim(self._search(guards, [none_holds]))

        return self._memo(("exhaustive", tuple(guards)), compute)

    # ------------------------------------------------------------------ set actions and invariants

    def _after(self, actions: Sequence[ir.Action]) -> dict[str, Term]:
        return assign(actions, self.encoding.algebra, self.encoding.variables, self.encoding.types)

    def preserves(
        self, invariant: ir.Invariant, given: Sequence[ir.Expr], actions: Sequence[ir.Action]
    ) -> Outcome:
        """Check that `actions`, started where the invariants and `given` hold, keep `invariant`.

        Refuted comes with the values before the actions.
        """

        def compute() -> Outcome:
            after = self.encoding.term(invariant.expr, self._after(actions))
            exprs = [*given, *_set_values(actions)]
            constraints = [*(self.encoding.term(e) for e in given), z3.Not(after)]
            return _claim(self._search(exprs, constraints))

        return self._memo(("preserves", invariant.expr, tuple(given), tuple(actions)), compute)

    def in_range(
        self, field: str, given: Sequence[ir.Expr], actions: Sequence[ir.Action], declared_only: bool = False
    ) -> Outcome:
        """Does `field` stay within its type's range after `actions`? Refuted: the values before.

        With `declared_only`, only the bounds the field declares count (not the 64-bit range).
        """

        def compute() -> Outcome:
            encoding = self.encoding
            value = self._after(actions)[field]
            kind = encoding.types[field]
            if declared_only:
                inside = in_bounds(value, kind.name, kind.min, kind.max, encoding.algebra)
            else:
                inside = in_domain(value, kind, encoding.algebra)
            exprs = [*given, *_set_values(actions)]
            constraints = [*(encoding.term(e) for e in given), z3.Not(inside)]
            return _claim(self._search(exprs, constraints))

        return self._memo(("in_range", field, tuple(given), tuple(actions), declared_only), compute)

    def initial(self) -> Outcome:
        """Can a started instance satisfy every invariant? The defaults are fixed; other fields are free.

        Proved comes with an example start context, refuted with the defaults.
        """

        def compute() -> Outcome:
            encoding = self.encoding
            fixed = [
                encoding.variables[f.name] == _constant(encoding, f)
                for f in self.machine.context
                if f.default is not None
            ]
            invariants = [term for _, term in encoding.invariants]
            search = self.prover.search(
                [*fixed, *invariants], self._invariant_fields, assume_invariants=False
            )
            if search.status == "none":
                defaults = tuple(
                    (f.name, f.default)
                    for f in self.machine.context
                    if f.default is not None and f.name in self._invariant_fields
                )
                search = Search("none", defaults)
            return _example(search)

        return self._memo(("initial",), compute)

    def nonzero(
        self,
        divisor: ir.Expr,
        given: Sequence[ir.Expr],
        path: Sequence[ir.Expr] = (),
        before: Sequence[ir.Action] = (),
        invariants: bool = True,
    ) -> Outcome:
        """Is `divisor` nonzero wherever it is evaluated? Refuted: the starting context where it is zero.

        `given` holds in the starting context; `before` are the actions that run
        first (earlier `set`s of the block); `path` holds, after them, on the way
        to the division (`and`/`or` operands).
        """

        def compute() -> Outcome:
            encoding = self.encoding
            env = self._after(before) if before else None
            zero = ir.Lit(Decimal(0) if divisor.type == "decimal" else 0, divisor.type)
            is_zero = ir.BinOp("==", divisor, zero, "bool")
            constraints = [
                *(encoding.term(e) for e in given),
                *(encoding.term(e, env) for e in (*path, is_zero)),
            ]
            exprs = [*given, *path, is_zero, *_set_values(before)]
            return _claim(self._search(exprs, constraints, invariants))

        return self._memo(("nonzero", divisor, tuple(given), tuple(path), tuple(before), invariants), compute)

    # ------------------------------------------------------------------ report

    def tally(self) -> dict[str, dict[Verdict, int]]:
        """Decided obligations per check kind, for the validation summary."""
        counts: Counter[tuple[str, Verdict]] = Counter(
            (check, verdict) for (check, _), verdict in self.ledger.items()
        )
        return {
            check: {verdict: counts[(check, verdict)] for verdict in VERDICTS}
            for check in CHECKS
            if any(counts[(check, verdict)] for verdict in VERDICTS)
        }


def _set_values(actions: Sequence[ir.Action]) -> list[ir.Expr]:
    return [action.value for action in actions if isinstance(action, ir.Assign)]


def _constant(encoding: Encoding, field: ir.ContextField) -> Term:
    """The z3 constant of a field's default value."""
    assert field.default is not None
    return literal(ir.Lit(field.default, field.type.name), encoding.algebra)


def analysis_of(run: VerificationRun) -> GuardAnalysis:
    """The run's analysis of its machine, shared by its rules and its report (with the run's time limit)."""
    return run.derive(GuardAnalysis, run.smt_timeout_ms)
