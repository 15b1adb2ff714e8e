"""Type checking of guards, invariants and `set` values against the typed context.

Turns AST expressions into typed IR expressions, resolving each bare name to a
context field or (against the enum it is compared with) an enum member.  Every
problem becomes a diagnostic; a bad expression yields None, never an exception.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from statewright import ir
from statewright.diagnostics import codes
from statewright.dsl import ast
from statewright.source import Span

MAX_EXPR_DEPTH = 64
"""Deepest typed expression lowering produces; JSON, SMT and code generators all recurse on it."""

RESERVED = frozenset({"and", "or", "not", "in", "true", "false"})
"""Words of the guard language that cannot name a context field."""

Report = Callable[..., None]


@dataclass(frozen=True, slots=True)
class TType:
    """A checker type: a type name plus, for enums, the member domain."""

    name: ir.TypeName
    members: tuple[str, ...] = ()

    def describe(self) -> str:
        """Return the type as a user would write it."""
        return f"enum {{ {', '.join(self.members)} }}" if self.name == "enum" else self.name


BOOL = TType("bool")
INT = TType("int")
DECIMAL = TType("decimal")
STRING = TType("string")
_NUMERIC = ("int", "decimal")


@dataclass(frozen=True, slots=True)
class _Pending:
    """A bare name that is no field: an enum member waiting for its enum type."""

    name: str
    span: Span


Typed = tuple[ir.Expr, TType]


@dataclass(frozen=True, slots=True)
class Inputs:
    """The data an expression may read besides the context, and where the expression is.

    `scope` is the one input scope available (`event`, `result`, `error`; None:
    none), `fields` its fields by name (`amount` for `event.amount`), `where`
    says in words where the expression is written ("the guard of `on submit`"),
    for diagnostics.
    """

    scope: ir.InputScope | None = None
    fields: Mapping[str, TType] = field(default_factory=dict)
    where: str = "here"
    owner: str = ""
    """What provides the data: the event's name, or `work `x` of state `S``."""


NO_INPUTS = Inputs()
ERROR_INPUTS = {"name": TType("string"), "message": TType("string")}
"""The fields of `error` (LANGUAGE.md, "Data")."""

_AVAILABLE = {
    "event": "the triggering event's payload is read only in the guard and actions of `on E`, "
    "where E declares the field",
    "result": "a work result is read only in the guard and actions of `done` in a state whose "
    "`invoke ... returns { ... }` declares the field, and in a saga step's `then { ... }`",
    "error": "a failure is read only in the guard and actions of `on error NAME ...`, and in the "
    "actions of `dead_letter -> S { ... }` and a saga's `compensation_failed -> S { ... }`",
}


class TypeChecker:
    """Checks expressions against one workflow's context fields (and, at a site, its inputs)."""

    __slots__ = ("fields", "inputs", "members", "payloads", "report")

    def __init__(
        self,
        fields: Mapping[str, TType],
        report: Report,
        payloads: Mapping[str, Mapping[str, TType]] | None = None,
    ) -> None:
        self.fields = dict(fields)
        self.report = report
        self.members = sorted({m for t in fields.values() for m in t.members})
        self.payloads: Mapping[str, Mapping[str, TType]] = payloads or {}
        self.inputs = NO_INPUTS

    def at(self, inputs: Inputs) -> TypeChecker:
        """Return a checker for expressions written where `inputs` arrive (this one is unchanged)."""
        if inputs is self.inputs:
            return self
        site = TypeChecker.__new__(TypeChecker)  # shares the tables: one per transition must be cheap
        site.fields, site.report, site.members = self.fields, self.report, self.members
        site.payloads, site.inputs = self.payloads, inputs
        return site

    # ------------------------------------------------------------------ entry points

    def condition(self, expr: ast.Expr, what: str) -> ir.Expr | None:
        """Check a guard or invariant: it must be a boolean expression."""
        if self.inputs is NO_INPUTS:
            return self.at(Inputs(where=f"this {what}")).condition(expr, what)
        typed = self._bounded(self.expr(expr, None), expr.span)
        if typed is None:
            return None
        node, ttype = typed
        if ttype != BOOL:
            self.report(
                codes.GUARD_NOT_BOOL,
                f"{what} is of type {ttype.describe()}, not bool",
                expr.span,
                help="compare it, e.g. `amount > 0`",
            )
            return None
        return node

    def assignment(self, field: str, value: ast.Expr, span: Span, field_span: Span) -> ir.Expr | None:
        """Check `set field = value`: the field exists and the value fits its type."""
        if self.inputs is NO_INPUTS:
            return self.at(Inputs(where="this `set`")).assignment(field, value, span, field_span)
        target = self.fields.get(field)
        if target is None:
            self._unknown(field, field_span, "context field")
            return None
        typed = self._bounded(self.expr(value, target), value.span)
        if typed is None:
            return None
        node, ttype = typed
        if not _assignable(ttype, target):
            self.report(
                codes.BAD_ASSIGNMENT,
                f"cannot set `{field}` ({target.describe()}) to a value of type {ttype.describe()}",
                span,
            )
            return None
        return node

    # ------------------------------------------------------------------ inference

    def expr(self, expr: ast.Expr, expected: TType | None) -> Typed | None:
        """Infer the type of `expr`; `expected` resolves bare enum members."""
        result = self._infer(expr, expected)
        if isinstance(result, _Pending):
            return self._resolve_pending(result, expected)
        return result

    def _bounded(self, typed: Typed | None, span: Span) -> Typed | None:
        """Refuse expressions too deep for every later stage to walk safely."""
        if typed is not None and depth(typed[0]) > MAX_EXPR_DEPTH:
            self.report(
                codes.TOO_DEEP,
                f"expression nests deeper than {MAX_EXPR_DEPTH} levels",
                span,
                help="split it, or name parts of it with context fields",
            )
            return None
        return typed

    def _infer(self, expr: ast.Expr, expected: TType | None) -> Typed | _Pending | None:
        match expr:
            case ast.IntLit(value=value, span=span):
                return ir.Lit(value, "int", span), INT
            case ast.DecimalLit(value=value, span=span):
                return ir.Lit(value, "decimal", span), DECIMAL
            case ast.StringLit(value=value, span=span):
                return ir.Lit(value, "string", span), STRING
            case ast.BoolLit(value=value, span=span):
                return ir.Lit(value, "bool", span), BOOL
            case ast.NameRef(name=name, span=span):
                known = self.fields.get(name)
                if known is not None:
                    return ir.Var(name, known.name, span), known
                return _Pending(name, span)
            case ast.MemberRef():
                return self._input(expr)
            case ast.Negate():
                return self._negate(expr)
            case ast.Not(operand=operand, span=span):
                inner = self._bool_operand(operand, "not")
                return None if inner is None else (ir.Unary("not", inner, "bool", span), BOOL)
            case ast.BoolOp():
                return self._boolop(expr)
            case ast.Binary():
                return self._arith(expr)
            case ast.Compare():
                return self._compare(expr)
            case ast.InSet():
                return self._in(expr)
        raise AssertionError(f"unknown expression node {expr!r}")  # pragma: no cover

    def _input(self, ref: ast.MemberRef) -> Typed | None:
        """Type `scope.field`: data available where the expression is written, or a located error."""
        scope = ref.scope
        if scope not in ir.INPUT_SCOPES:
            close = _suggest(scope, ir.INPUT_SCOPES)
            self.report(
                codes.UNKNOWN_INPUT_SCOPE,
                f"`{ref.name}`: `{scope}` is no source of data",
                ref.span,
                help=(close + " " if close else "")
                + "data is read as `event.FIELD`, `result.FIELD`, `error.name` or `error.message`; "
                "a context field is written without a dot",
            )
            return None
        inputs = self.inputs
        if inputs.scope != scope:
            self.report(
                codes.INPUT_NOT_AVAILABLE,
                f"`{ref.name}` is not available in {inputs.where}",
                ref.span,
                help=_AVAILABLE[scope] + self._declared_by(scope, ref.field),
            )
            return None
        known = inputs.fields.get(ref.field)
        if known is None:
            self._no_such_input(ref)
            return None
        return ir.Var(ref.name, known.name, ref.span), known

    def _declared_by(self, scope: str, name: str) -> str:
        if scope != "event":
            return ""
        having = [event for event, fields in self.payloads.items() if name in fields]
        return f" (`{name}` is declared by {_listed(having)})" if having else ""

    def _no_such_input(self, ref: ast.MemberRef) -> None:
        inputs = self.inputs
        if ref.scope == "error":
            message, hint = f"a failure has no field `{ref.field}`", "use `error.name` or `error.message`"
        else:
            what = f"event `{inputs.owner}`" if ref.scope == "event" else inputs.owner
            message = f"{what} carries no field `{ref.field}`"
            having = [e for e, fields in self.payloads.items() if ref.field in fields]
            if ref.scope == "event" and having:
                hint = (
                    f"`{ref.field}` is a field of {_listed(having)}: read it in "
                    f"`on {having[0]} ...`, or declare it in `{inputs.owner}( ... )`"
                )
            else:
                hint = _suggest(ref.field, list(inputs.fields)) or (
                    f"declare it: `{inputs.owner}({ref.field}: TYPE)`"
                    if ref.scope == "event"
                    else f"declare it in the work's `returns {{ {ref.field}: TYPE }}`"
                )
        self.report(codes.UNKNOWN_INPUT_FIELD, message, ref.span, help=hint)

    def _resolve_pending(self, pending: _Pending, expected: TType | None) -> Typed | None:
        if expected is not None and expected.name == "enum":
            if pending.name in expected.members:
                return ir.Lit(pending.name, "enum", pending.span), expected
            self.report(
                codes.UNKNOWN_MEMBER,
                f"`{pending.name}` is not a member of {expected.describe()}",
                pending.span,
                help=_suggest(pending.name, expected.members) or f"use one of: {', '.join(expected.members)}",
            )
            return None
        self._unknown(pending.name, pending.span, "context field or enum member")
        return None

    def _unknown(self, name: str, span: Span, what: str) -> None:
        candidates = list(self.fields) + (self.members if "enum" in what else [])
        self.report(
            codes.UNKNOWN_NAME,
            f"unknown {what} `{name}`",
            span,
            help=_suggest(name, candidates) or "declare it in the workflow's `context { ... }` block",
        )

    def _bool_operand(self, operand: ast.Expr, op: str) -> ir.Expr | None:
        typed = self.expr(operand, None)
        if typed is None:
            return None
        node, ttype = typed
        if ttype != BOOL:
            self.report(
                codes.TYPE_MISMATCH,
                f"`{op}` needs a bool operand, not {ttype.describe()}",
                operand.span,
            )
            return None
        return node

    def _negate(self, expr: ast.Negate) -> Typed | None:
        typed = self.expr(expr.operand, None)
        if typed is None:
            return None
        node, ttype = typed
        if ttype.name not in _NUMERIC:
            self.report(codes.TYPE_MISMATCH, f"cannot negate a value of type {ttype.describe()}", expr.span)
            return None
        if isinstance(node, ir.Lit) and not isinstance(node.value, bool):
            return ir.Lit(-node.value, ttype.name, expr.span), ttype  # type: ignore[operator]
        return ir.Unary("-", node, ttype.name, expr.span), ttype

    def _boolop(self, expr: ast.BoolOp) -> Typed | None:
        checked = [self._bool_operand(o, expr.op) for o in expr.operands]
        operands = [o for o in checked if o is not None]
        if len(operands) != len(checked):
            return None
        return balanced(expr.op, operands, expr.span), BOOL

    def _pair(self, left: ast.Expr, right: ast.Expr) -> tuple[Typed, Typed] | None:
        """Type two operands, letting a typed side resolve an enum member on the other."""
        first = self._infer(left, None)
        second = self._infer(right, None)
        if isinstance(first, _Pending) and isinstance(second, _Pending):
            self._unknown(first.name, first.span, "context field or enum member")
            return None
        if isinstance(first, _Pending):
            assert not isinstance(second, _Pending)
            first = None if second is None else self._resolve_pending(first, second[1])
        if isinstance(second, _Pending):
            second = None if first is None else self._resolve_pending(second, first[1])
        if first is None or second is None:
            return None
        return first, second

    def _arith(self, expr: ast.Binary) -> Typed | None:
        pair = self._pair(expr.left, expr.right)
        if pair is None:
            return None
        (lnode, ltype), (rnode, rtype) = pair
        if ltype.name not in _NUMERIC or rtype.name not in _NUMERIC:
            self.report(
                codes.TYPE_MISMATCH,
                f"`{expr.op}` needs numbers, not {ltype.describe()} and {rtype.describe()}",
                expr.span,
            )
            return None
        result = DECIMAL if DECIMAL in (ltype, rtype) else INT
        if expr.op == "/" and result == INT:
            self.report(codes.DIVISION_ON_INT, "`/` on two ints", expr.span)
            return None
        if expr.op == "%" and result == DECIMAL:
            self.report(codes.TYPE_MISMATCH, "`%` is defined on ints only", expr.span)
            return None
        return ir.BinOp(expr.op, lnode, rnode, result.name, expr.span), result

    def _compare(self, expr: ast.Compare) -> Typed | None:
        pair = self._pair(expr.left, expr.right)
        if pair is None:
            return None
        (lnode, ltype), (rnode, rtype) = pair
        numeric = ltype.name in _NUMERIC and rtype.name in _NUMERIC
        if expr.op in ("<", "<=", ">", ">="):
            if not numeric:
                self.report(
                    codes.TYPE_MISMATCH,
                    f"`{expr.op}` compares numbers, not {ltype.describe()} and {rtype.describe()}",
                    expr.span,
                )
                return None
        elif not numeric and ltype != rtype:
            self.report(
                codes.TYPE_MISMATCH,
                f"cannot compare {ltype.describe()} with {rtype.describe()}",
                expr.span,
            )
            return None
        return ir.BinOp(expr.op, lnode, rnode, "bool", expr.span), BOOL

    def _in(self, expr: ast.InSet) -> Typed | None:
        operand = self.expr(expr.operand, None)
        if operand is None:
            return None
        node, ttype = operand
        values: list[ir.Lit] = []
        for member in expr.members:
            typed = self.expr(member, ttype)
            if typed is None:
                return None
            value, vtype = typed
            compatible = vtype == ttype or (vtype.name in _NUMERIC and ttype.name in _NUMERIC)
            if not isinstance(value, ir.Lit) or not compatible:
                self.report(
                    codes.TYPE_MISMATCH,
                    f"set member of type {vtype.describe()} cannot match {ttype.describe()}",
                    member.span,
                )
                return None
            values.append(value)
        return ir.In(node, tuple(values), expr.negated, "bool", expr.span), BOOL


def _listed(events: list[str]) -> str:
    shown = ", ".join(f"`{e}`" for e in events[:3]) + (", ..." if len(events) > 3 else "")
    return ("event " if len(events) == 1 else "events ") + shown


def reads_input(expr: ir.Expr, scope: ir.InputScope) -> bool:
    """True when `expr` reads an input of `scope` (a `Var` named `scope.F`)."""
    match expr:
        case ir.Var(name=name):
            found = ir.input_of(name)
            return found is not None and found[0] == scope
        case ir.Unary(operand=operand) | ir.In(operand=operand):
            return reads_input(operand, scope)
        case ir.BinOp(left=left, right=right):
            return reads_input(left, scope) or reads_input(right, scope)
    return False


def balanced(op: ir.BinaryOp, operands: list[ir.Expr], span: Span) -> ir.Expr:
    """Join operands of an associative `and`/`or` as a balanced tree, so depth grows as log n."""
    if len(operands) == 1:
        return operands[0]
    middle = len(operands) // 2
    return ir.BinOp(
        op, balanced(op, operands[:middle], span), balanced(op, operands[middle:], span), "bool", span
    )


def depth(expr: ir.Expr) -> int:
    """Return the nesting depth of a typed expression (a literal or variable is 1)."""
    match expr:
        case ir.Unary(operand=operand):
            return 1 + depth(operand)
        case ir.BinOp(left=left, right=right):
            return 1 + max(depth(left), depth(right))
        case ir.In(operand=operand):
            return 1 + depth(operand)
    return 1


def _assignable(value: TType, target: TType) -> bool:
    if value == target:
        return True
    return value == INT and target == DECIMAL


def _suggest(name: str, candidates: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else ""


def literal_value(literal: ast.Literal_, target: TType) -> ir.Value | None:
    """Return the value of a default literal if it fits `target`, else None."""
    match literal:
        case ast.Negate(operand=ast.IntLit(value=v)) if target.name in _NUMERIC:
            return -v if target == INT else Decimal(-v)
        case ast.Negate(operand=ast.DecimalLit(value=v)) if target == DECIMAL:
            return -v
        case ast.IntLit(value=v) if target.name in _NUMERIC:
            return v if target == INT else Decimal(v)
        case ast.DecimalLit(value=v) if target == DECIMAL:
            return v
        case ast.BoolLit(value=v) if target == BOOL:
            return v
        case ast.StringLit(value=v) if target == STRING:
            return v
        case ast.NameRef(name=v) if target.name == "enum" and v in target.members:
            return v
    return None


def suggest(name: str, candidates: list[str] | tuple[str, ...]) -> str:
    """Return a 'did you mean' hint for a misspelt name, or ''."""
    return _suggest(name, candidates)
