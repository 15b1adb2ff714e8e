"""The proof obligations about one machine's guards, invariants and `set` actions.

Each method states one obligation over IR expressions, asks the `Prover` for a
counterexample (or an example), and answers with an `Outcome`: proved, refuted
with a witness, or unknown with z3's reason.  Answers are memoised by the
obligation's structure, so the same guards met in a thousand states cost one
query, and the rules, the completeness table and the report share them.

The rules record each obligation they decide in `ledger`, which the validation
summary prints ("exclusive: 12 proved, 1 refuted, 0 unknown").

An obligation about a transition takes the transition's `inputs`
(`semantics.inputs.transition_inputs`): the event's payload, the work's result
or the failure it reads, free within their declared domains, so "some context"
reads "some context and some payload". An input an expression reads but
`inputs` does not declare (a caller that passed none) is free within its type.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Literal, TypeAlias

from statewright import ir
from statewright.compiler.smt import DEFAULT_TIMEOUT_MS
from statewright.compiler.smt.answers import Inputs, Search, Term, Witness
from statewright.plugins.run import VerificationRun
from statewright.semantics.interpret import assign, fields_of, in_bounds, in_domain, literal
from statewright.semantics.spelling import field_types

if TYPE_CHECKING:
    from statewright.compiler.smt.encode import Encoding
    from statewright.compiler.smt.prover import Prover

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
        """The z3 encoding, built on the first query (machines without guards never touch a solver).

        z3 is imported here, not with this module: a check that asks no query never loads it.
        """
        from statewright.compiler.smt.encode import Encoding

        return Encoding(self.machine)

    @cached_property
    def prover(self) -> Prover:
        """The solver, with the declared domain asserted."""
        from statewright.compiler.smt.prover import Prover

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
        self,
        exprs: Iterable[ir.Expr],
        constraints: Sequence[Term],
        invariants: bool = True,
        inputs: Inputs = (),
    ) -> Search:
        names = frozenset().union(*(fields_of(e) for e in exprs))
        if invariants:
            names |= self._invariant_fields
        return self.prover.search(constraints, names, assume_invariants=invariants, inputs=inputs)

    # ------------------------------------------------------------------ guards

    def satisfiable(self, guard: ir.Expr, given: Sequence[ir.Expr] = (), inputs: Inputs = ()) -> Outcome:
        """Can `guard` hold (together with `given`) for some inputs? Proved comes with an example."""
        inputs = complete(inputs, (guard, *given))

        def compute() -> Outcome:
            exprs = (guard, *given)
            terms = [self.encoding.term(e, inputs=inputs) for e in exprs]
            return _example(self._search(exprs, terms, inputs=inputs))

        return self._memo(("satisfiable", guard, tuple(given), inputs), compute)

    def exclusive(self, guards: Sequence[ir.Expr], inputs: Inputs = ()) -> Outcome:
        """Is at most one of `guards` true in every context, for all inputs? Refuted: where two hold."""
        inputs = complete(inputs, guards)

        def compute() -> Outcome:
            if len(guards) < 2:
                return Outcome("proved")
            terms = [self.encoding.term(g, inputs=inputs) for g in guards]
            overlap = self.encoding.two_hold(terms)
            return _claim(self._search(guards, [overlap], inputs=inputs))

        return self._memo(("exclusive", tuple(guards), inputs), compute)

    def exhaustive(self, guards: Sequence[ir.Expr], inputs: Inputs = ()) -> Outcome:
        """Is some guard true in every context, for all inputs? Refuted: where none holds."""
        inputs = complete(inputs, guards)

        def compute() -> Outcome:
            terms = [self.encoding.term(g, inputs=inputs) for g in guards]
            none_holds = self.encoding.none_holds(terms)
            return _claim(self._search(guards, [none_holds], inputs=inputs))

        return self._memo(("exhaustive", tuple(guards), inputs), compute)

    # ------------------------------------------------------------------ set actions and invariants

    def _after(self, actions: Sequence[ir.Action], inputs: Inputs = ()) -> dict[str, Term]:
        encoding = self.encoding
        return assign(actions, encoding.algebra, encoding.environment(inputs), encoding.types)

    def preserves(
        self,
        invariant: ir.Invariant,
        given: Sequence[ir.Expr],
        actions: Sequence[ir.Action],
        inputs: Inputs = (),
    ) -> Outcome:
        """Check that `actions`, started where the invariants and `given` hold, keep `invariant` (any inputs).

        Refuted comes with the values before the actions (and the inputs).
        """
        exprs = [*given, *_set_values(actions)]
        inputs = complete(inputs, exprs)

        def compute() -> Outcome:
            after = self.encoding.term(invariant.expr, self._after(actions, inputs))
            constraints = [
                *(self.encoding.term(e, inputs=inputs) for e in given),
                self.encoding.negated(after),
            ]
            return _claim(self._search(exprs, constraints, inputs=inputs))

        return self._memo(("preserves", invariant.expr, tuple(given), tuple(actions), inputs), compute)

    def in_range(
        self,
        field: str,
        given: Sequence[ir.Expr],
        actions: Sequence[ir.Action],
        declared_only: bool = False,
        inputs: Inputs = (),
    ) -> Outcome:
        """Does `field` stay within its type's range after `actions` (any inputs)? Refuted: the values before.

        With `declared_only`, only the bounds the field declares count (not the 64-bit range).
        """
        exprs = [*given, *_set_values(actions)]
        inputs = complete(inputs, exprs)

        def compute() -> Outcome:
            encoding = self.encoding
            value = self._after(actions, inputs)[field]
            kind = encoding.types[field]
            if declared_only:
                inside = in_bounds(value, kind.name, kind.min, kind.max, encoding.algebra)
            else:
                inside = in_domain(value, kind, encoding.algebra)
            constraints = [*(encoding.term(e, inputs=inputs) for e in given), encoding.negated(inside)]
            return _claim(self._search(exprs, constraints, inputs=inputs))

        return self._memo(("in_range", field, tuple(given), tuple(actions), declared_only, inputs), compute)

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
        inputs: Inputs = (),
    ) -> Outcome:
        """Is `divisor` nonzero wherever it is evaluated? Refuted: the starting context where it is zero.

        `given` holds in the starting context; `before` are the actions that run
        first (earlier `set`s of the block); `path` holds, after them, on the way
        to the division (`and`/`or` operands).
        """
        zero = ir.Lit(Decimal(0) if divisor.type == "decimal" else 0, divisor.type)
        is_zero = ir.BinOp("==", divisor, zero, "bool")
        exprs = [*given, *path, is_zero, *_set_values(before)]
        inputs = complete(inputs, exprs)

        def compute() -> Outcome:
            encoding = self.encoding
            env = self._after(before, inputs) if before else None
            constraints = [
                *(encoding.term(e, inputs=inputs) for e in given),
                *(encoding.term(e, env, inputs) for e in (*path, is_zero)),
            ]
            return _claim(self._search(exprs, constraints, invariants, inputs))

        key = ("nonzero", divisor, tuple(given), tuple(path), tuple(before), invariants, inputs)
        return self._memo(key, compute)

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


def complete(inputs: Inputs, exprs: Iterable[ir.Expr]) -> Inputs:
    """`inputs`, plus every input `exprs` read that it does not declare, free within its type.

    A caller that knows the transition passes its declared inputs; one that does
    not (a test generator asking for an example of a guard) still gets an answer
    instead of a missing variable.
    """
    declared = {f.name for f in inputs}
    extra: dict[str, ir.ContextField] = {}
    for expr in exprs:
        for name, type_name in field_types(expr).items():
            if name not in declared and name not in extra and ir.input_of(name) is not None:
                extra[name] = ir.ContextField(name, ir.FieldType(type_name))
    return (*inputs, *extra.values()) if extra else inputs


def _set_values(actions: Sequence[ir.Action]) -> list[ir.Expr]:
    return [action.value for action in actions if isinstance(action, ir.Assign)]


def _constant(encoding: Encoding, field: ir.ContextField) -> Term:
    """The z3 constant of a field's default value."""
    assert field.default is not None
    return literal(ir.Lit(field.default, field.type.name), encoding.algebra)


def analysis_of(run: VerificationRun) -> GuardAnalysis:
    """The run's analysis of its machine, shared by its rules and its report (with the run's time limit)."""
    return run.derive(GuardAnalysis, run.smt_timeout_ms)
