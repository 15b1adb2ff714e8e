"""Ask z3 for a context that satisfies some constraints, within a time limit, and decode it.

Every check is phrased as a search for a counterexample (or, for "can this
guard hold?", an example): `found` comes with a witness, `none` means the
search space is empty (a proof), `unknown` means z3 gave up within the limit.

Decimals are z3 Reals.  A witness must be a value the runtime can hold, a
decimal with at most `SCALE` fractional digits, so when z3's model has some
other rational (or an irrational root of a nonlinear constraint) the search is
repeated with the scale constraints added (first with two digits, which reads
best, then with `SCALE`).  An answer of `none` over the reals
is already a proof for the decimals, which are a subset of them.

A query about a transition names its inputs (`semantics.inputs`): their declared
domain is asserted for that query only, and the witness reports the ones the
query reads after the context's fields, under their input names (`event.amount`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction

import z3

from statewright import ir
from statewright.compiler.smt import DEFAULT_TIMEOUT_MS
from statewright.compiler.smt.answers import Search, Status, Witness
from statewright.compiler.smt.encode import Encoding, Inputs, Term
from statewright.semantics.interpret import SCALE
from statewright.semantics.values import to_value

__all__ = ["NICE_DIGITS", "Prover", "Search", "Status", "Witness"]

NICE_DIGITS = 2
"""Fractional digits a witness's decimals are first tried with, for readable examples."""


class Prover:
    """One z3 solver over a machine's encoding; the declared domain is asserted once."""

    def __init__(self, encoding: Encoding, timeout_ms: int = DEFAULT_TIMEOUT_MS) -> None:
        self.encoding = encoding
        self.timeout_ms = timeout_ms
        self.solver = z3.Solver(ctx=encoding.context)
        self.solver.set("timeout", max(1, timeout_ms))
        self.solver.add(*encoding.domain())
        self.queries = 0

    def search(
        self,
        constraints: Sequence[Term],
        fields: Iterable[str],
        assume_invariants: bool = True,
        inputs: Inputs = (),
    ) -> Search:
        """Look for a context in the domain (and invariants), and inputs in theirs, meeting every constraint.

        `fields` names the context fields (and inputs) the witness reports: the
        context's in declaration order, then the inputs' in `inputs` order. A
        witness whose decimals need more than `NICE_DIGITS` fractional digits is
        searched again with shorter decimals first, so examples read like `2.01`.
        """
        names = frozenset(fields)
        constraints = [*self.encoding.input_domain(inputs), *constraints]
        first = self._check(constraints, names, assume_invariants, None, inputs)
        if first.status != "found" or (first.witness and _short(first.witness)) or not names:
            return first
        nice = self._check(constraints, names, assume_invariants, NICE_DIGITS, inputs)
        if nice.status == "found" and nice.witness:
            return nice
        if first.witness:
            return first
        stored = self._check(constraints, names, assume_invariants, SCALE, inputs)
        if stored.status == "found" and not stored.witness:
            return Search("unknown", reason="z3 found only values that are not decimals")
        return stored  # `none` here is a proof: no value a decimal field can hold works

    def _check(
        self,
        constraints: Sequence[Term],
        names: frozenset[str],
        assume_invariants: bool,
        digits: int | None,
        inputs: Inputs = (),
    ) -> Search:
        """One solver call; with `digits`, decimals in `names` are restricted to that many fractional digits.

        A found model whose decimals have no `SCALE`-digit form gives an empty witness.
        """
        solver = self.solver
        solver.push()
        try:
            if assume_invariants:
                solver.add(*(term for _, term in self.encoding.invariants))
            if digits is not None:
                solver.add(*self.encoding.scale(names, digits, inputs))
            solver.add(*constraints)
            self.queries += 1
            answer = solver.check()
            if answer == z3.unsat:
                return Search("none")
            if answer == z3.unknown:
                return Search("unknown", reason=_reason(solver.reason_unknown(), self.timeout_ms))
            return Search("found", self._decode(solver.model(), names, inputs) or ())
        except z3.Z3Exception as exc:
            return Search("unknown", reason=f"z3 failed: {exc}")
        finally:
            solver.pop()

    def _decode(self, model: z3.ModelRef, names: frozenset[str], inputs: Inputs = ()) -> Witness | None:
        """The model's values of `names` as context (and input) values.

        None when a decimal has no `SCALE`-digit form.
        """
        encoding = self.encoding
        values: list[tuple[str, ir.Value]] = []
        others: dict[int, str] = {}
        wanted = [(f, encoding.variables[name]) for name, f in encoding.fields.items() if name in names]
        wanted += [(field, encoding.input_variable(field)) for field in inputs if field.name in names]
        for field, variable in wanted:
            raw = model.eval(variable, model_completion=True)
            value = self._value(raw, field.type, others)
            if value is None:
                return None
            values.append((field.name, value))
        return tuple(values)

    def _value(self, raw: Term, field: ir.FieldType, others: dict[int, str]) -> ir.Value | None:
        algebra = self.encoding.algebra
        match field.name:
            case "bool":
                return bool(z3.is_true(raw))
            case "int":
                return int(raw.as_long())
            case "enum":
                member = algebra.members.name(int(raw.as_long()))
                if member is not None and (member in field.members or not field.members):
                    return member  # no members: an input known only by its uses
                return None  # the domain forbids this
            case "string":
                code = int(raw.as_long())
                known = algebra.strings.name(code)
                return known if known is not None else _other_string(code, others, algebra.strings.codes)
        if not z3.is_rational_value(raw):
            return None
        exact = Fraction(int(raw.numerator_as_long()), int(raw.denominator_as_long()))
        if (exact * 10**SCALE).denominator != 1:
            return None
        return to_value(exact)


def _other_string(code: int, others: dict[int, str], taken: dict[str, int]) -> str:
    """A string that is no literal of the queries: `other`, `other-2`, ..., one per code z3 chose."""
    known = others.get(code)
    if known is not None:
        return known
    number = len(others) + 1
    candidate = "other" if number == 1 else f"other-{number}"
    while candidate in taken or candidate in others.values():
        number += 1
        candidate = f"other-{number}"
    others[code] = candidate
    return candidate


def _reason(reason: str, timeout_ms: int) -> str:
    if reason in ("timeout", "canceled", "resource limits reached"):
        return f"z3 did not decide within {timeout_ms} ms"
    return f"z3 gave up ({reason})" if reason else "z3 gave up"


def _short(witness: Witness) -> bool:
    """True when every decimal in the witness has at most `NICE_DIGITS` fractional digits."""
    for _, value in witness:
        if isinstance(value, Decimal):
            exponent = value.as_tuple().exponent
            if isinstance(exponent, int) and exponent < -NICE_DIGITS:
                return False
    return True
