"""Guards as Python source, derived from the language's one definition (`semantics.interpret`).

`PythonAlgebra` is an `Algebra` whose terms are Python expressions: running
`interpret` over it yields code that computes exactly what the runtime's
evaluator computes (ints exact, decimals as `Fraction`, `/ 0` is 0, floor
`%`, int -> decimal promotion), because it is the same interpretation over
other primitives. A property test checks the compiled functions against the
evaluator on random expressions and contexts.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from statewright import ir
from statewright.semantics.interpret import fields_of, interpret
from statewright.targets.python.literals import string
from statewright.targets.python.names import attribute_name

# Python's binding strengths, loosest first.
_TERNARY, _OR, _AND, _NOT, _COMPARE, _SUM, _PRODUCT, _UNARY, _ATOM = range(9)


@dataclass(frozen=True, slots=True)
class Code:
    """A Python expression with its binding strength; comparisons keep their parts for `not`."""

    text: str
    strength: int
    compare: tuple[str, Code, Code] | None = None
    constant: bool = False
    quotient: tuple[Code, Code] | None = None
    """For `a / b`: its operands, so the total division `0 if b == 0 else a / b` reads `quotient(a, b)`."""
    negated: Code | None = None
    """For `not (...)`: the parenthesised operand, so a long one can be split inside its parentheses."""
    chain: tuple[str, tuple[tuple[Code, bool], ...]] | None = None
    """For `a or b or ...` (or `and`): the operator and each operand, with whether it is parenthesised."""

    def at(self, strength: int) -> str:
        """The text, parenthesised when it binds looser than `strength` needs."""
        return self.text if self.strength >= strength else f"({self.text})"


_NEGATED = {"<": ">=", ">": "<=", "==": "!=", "<=": ">", ">=": "<", "!=": "=="}


def _binary(left: Code, op: str, right: Code, strength: int) -> Code:
    # Left-associative: the right operand must bind tighter.
    both = left.constant and right.constant
    return Code(f"{left.at(strength)} {op} {right.at(strength + 1)}", strength, constant=both)


def _connective(left: Code, op: str, right: Code) -> Code:
    """`and`/`or`, flattened into one chain; `and` inside `or` is parenthesised for the reader (RUF021).

    Flattening `a or (b or c)` into `a or b or c` keeps the evaluation order and
    the short circuit, so it means the same.
    """
    strength = _OR if op == "or" else _AND
    parts: list[tuple[Code, bool]] = []
    for operand in (left, right):
        if operand.chain is not None and operand.chain[0] == op:
            parts.extend(operand.chain[1])
        else:
            parts.append((operand, operand.strength < _NOT))
    text = f" {op} ".join(f"({code.text})" if wrapped else code.text for code, wrapped in parts)
    return Code(text, strength, chain=(op, tuple(parts)))


def _constant(code: Code) -> bool:
    return code.constant


def _compare(left: Code, op: str, right: Code) -> Code:
    return Code(f"{left.at(_SUM)} {op} {right.at(_SUM)}", _COMPARE, (op, left, right))


def _fraction(value: Fraction) -> str:
    """A `Fraction` constructor call, as a decimal string where the value has one."""
    if value.denominator == 1:
        return f"Fraction({value.numerator})"
    denominator, twos, fives = value.denominator, 0, 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    if denominator != 1:
        return f"Fraction({value.numerator}, {value.denominator})"
    digits = max(twos, fives)
    scaled = value * 10**digits
    assert scaled.denominator == 1
    sign = "-" if scaled < 0 else ""
    whole = str(abs(scaled.numerator)).rjust(digits + 1, "0")
    return f'Fraction("{sign}{whole[:-digits]}.{whole[-digits:]}")'


class PythonAlgebra:
    """The guard language's primitives as Python source over `as_int`/`as_fraction` reads."""

    def int_lit(self, value: int) -> Code:
        """An int literal."""
        return Code(repr(value), _ATOM if value >= 0 else _UNARY, constant=True)

    def decimal_lit(self, value: Fraction) -> Code:
        """An exact decimal."""
        return Code(_fraction(value), _ATOM, constant=True)

    def bool_lit(self, value: bool) -> Code:
        """True or False."""
        return Code(repr(value), _ATOM, constant=True)

    def string_lit(self, value: str) -> Code:
        """A string literal (read back exactly)."""
        return Code(string(value), _ATOM, constant=True)

    def enum_lit(self, member: str) -> Code:
        """An enum member is its name."""
        return Code(string(member), _ATOM, constant=True)

    def add(self, left: Code, right: Code) -> Code:
        """Exact sum."""
        return _binary(left, "+", right, _SUM)

    def sub(self, left: Code, right: Code) -> Code:
        """Exact difference."""
        return _binary(left, "-", right, _SUM)

    def mul(self, left: Code, right: Code) -> Code:
        """Exact product."""
        return _binary(left, "*", right, _PRODUCT)

    def neg(self, operand: Code) -> Code:
        """Negation."""
        return Code(f"-{operand.at(_UNARY)}", _UNARY, constant=operand.constant)

    def divide(self, left: Code, right: Code) -> Code:
        """Exact quotient of two fractions (never by zero: `interpret` guards it)."""
        code = _binary(left, "/", right, _PRODUCT)
        return Code(code.text, code.strength, constant=code.constant, quotient=(left, right))

    def floor(self, operand: Code) -> Code:
        """The greatest int not above."""
        return Code(f"math.floor({operand.text})", _ATOM, constant=operand.constant)

    def to_decimal(self, operand: Code) -> Code:
        """An int as an exact fraction."""
        return Code(f"Fraction({operand.text})", _ATOM, constant=operand.constant)

    def eq(self, left: Code, right: Code) -> Code:
        """Equality; against a bool constant, the operand itself (or its negation)."""
        for operand, other in ((left, right), (right, left)):
            if other.text in ("True", "False") and operand.text not in ("True", "False"):
                return operand if other.text == "True" else self.not_(operand)
        if _constant(left) and not _constant(right):
            left, right = right, left
        return _compare(left, "==", right)

    def lt(self, left: Code, right: Code) -> Code:
        """Strict order, written with the field first (`x > 3` rather than `3 < x`)."""
        if _constant(left) and not _constant(right):
            return _compare(right, ">", left)
        return _compare(left, "<", right)

    def not_(self, operand: Code) -> Code:
        """Negation; a negated comparison becomes the opposite comparison (`not b < a` is `a <= b`)."""
        if operand.compare is not None:
            op, left, right = operand.compare
            return _compare(left, _NEGATED[op], right)
        negated = operand if operand.strength < _NOT else None
        return Code(f"not {operand.at(_NOT)}", _NOT, negated=negated)

    def and_(self, left: Code, right: Code) -> Code:
        """Conjunction (short-circuits like the evaluator's)."""
        return _connective(left, "and", right)

    def or_(self, left: Code, right: Code) -> Code:
        """Disjunction."""
        return _connective(left, "or", right)

    def ite(self, condition: Code, then: Callable[[], Code], otherwise: Callable[[], Code]) -> Code:
        """A conditional expression: only the branch taken is evaluated, as in the evaluator.

        `interpret`'s total division, `0 if b == 0 else a / b`, is written `quotient(a, b)`
        (`runtime.compiled.quotient` computes exactly that).
        """
        first, second = then(), otherwise()
        if (
            first.text == "Fraction(0)"
            and second.quotient is not None
            and condition.compare == ("==", second.quotient[1], first)
        ):
            a, b = second.quotient
            return Code(f"quotient({a.text}, {b.text})", _ATOM, constant=a.constant and b.constant)
        return Code(
            f"{first.at(_OR)} if {condition.at(_OR)} else {second.at(_TERNARY)}",
            _TERNARY,
        )


_READERS = {
    "int": "as_int",
    "decimal": "as_fraction",
    "bool": "as_bool",
    "string": "as_str",
    "enum": "as_str",
}


@dataclass(frozen=True, slots=True)
class GuardBody:
    """A guard function's body: one typed local per field it reads, then the expression over them."""

    bindings: tuple[str, ...]
    expression: Code


_RESERVED_LOCALS = frozenset({"c", "Fraction", "math", "quotient", *_READERS.values()})


def guard_body(expr: ir.Expr, fields: tuple[ir.ContextField, ...], context: str = "c") -> GuardBody:
    """Bind each field the guard reads to a local of its type, and compute the guard over the locals."""
    used = fields_of(expr)
    taken = set(_RESERVED_LOCALS)
    bindings: list[str] = []
    env: dict[str, Code] = {}
    for field in fields:
        if field.name not in used:
            continue
        local = attribute_name(field.name)
        while local in taken or keyword.iskeyword(local):
            local += "_"
        taken.add(local)
        bindings.append(f"{local} = {_READERS[field.type.name]}({context}[{string(field.name)}])")
        env[field.name] = Code(local, _ATOM)
    return GuardBody(tuple(bindings), interpret(expr, PythonAlgebra(), env))


def return_lines(code: Code, indent: str, limit: int) -> tuple[str, ...]:
    """`return <expr>` laid out as ruff lays it out: one line, or one chain operand a line.

    Nested chains are split the same way inside their parentheses. An expression
    ruff would split elsewhere is fenced with `# fmt: off` / `# fmt: on`.
    """
    one = f"{indent}return {code.text}"
    if len(one) <= limit:
        return (one,)
    inner = indent + "    "
    lines = _split(code, inner, limit) if code.chain is not None else None
    if lines is None:
        return (f"{indent}# fmt: off", one, f"{indent}# fmt: on")
    statement = (f"{indent}return (", *lines, f"{indent})")
    assert code.chain is not None
    if len(code.chain[1]) == 2:
        # With a single operator ruff drops the parentheses and splits inside an
        # operand's brackets instead; keep the one-operand-a-line layout as written.
        return (f"{indent}# fmt: off", *statement, f"{indent}# fmt: on")
    return statement


def _split(code: Code, indent: str, limit: int) -> list[str] | None:
    """A chain one operand a line (operators leading), or None when an operand cannot be made to fit."""
    assert code.chain is not None
    op, parts = code.chain
    lines: list[str] = []
    for number, (part, wrapped) in enumerate(parts):
        lead = "" if number == 0 else f"{op} "
        text = f"({part.text})" if wrapped else part.text
        if len(indent) + len(lead) + len(text) <= limit:
            lines.append(f"{indent}{lead}{text}")
            continue
        opening, inner = (f"{lead}(", part) if wrapped else (f"{lead}not (", part.negated)
        if inner is None or inner.chain is None:
            return None
        nested = _split(inner, indent + "    ", limit)
        if nested is None:
            return None
        lines += [f"{indent}{opening}", *nested, f"{indent})"]
    return lines


def reads(source: str) -> frozenset[str]:
    """The helpers and modules a guard's source uses (so the module imports only those)."""
    used = {name for name in {*_READERS.values(), "quotient"} if f"{name}(" in source}
    if "Fraction(" in source:
        used.add("Fraction")
    if "math.floor(" in source:
        used.add("math")
    return frozenset(used)
