"""Grammar actions: build AST nodes while lark parses, without a parse tree.

lark calls one method per grammar rule (by rule name or alias) as it reduces,
so no generic tree is ever built (at 50k states a full tree is 2.5x slower, most
of it in the garbage collector).  All tokens are kept so spans cover keywords
and braces; the helpers below pick out the meaningful children.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple, TypeVar, cast

from lark import Token, Transformer

from statewright.diagnostics import Diagnostic, codes
from statewright.dsl import ast
from statewright.ir.limits import (
    MAX_BACKOFF_FACTOR,
    MAX_DURATION_MS,
    MAX_NAME_LENGTH,
    MAX_WORKFLOW_NAME_LENGTH,
)
from statewright.source import SourceText, Span

MAX_DEPTH = 64
"""Deepest nesting of states or expressions accepted (beyond it: SW006)."""

MAX_LITERAL_DIGITS = 60
"""Longest number literal accepted: far beyond 64-bit ints and 18-digit decimals, far below
the sizes at which converting or solving becomes a denial of service."""
_INT64_MAX = 2**63 - 1
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_DURATION_PART = re.compile(r"([0-9]+)(ms|s|m|h|d)")
_ESCAPE = re.compile(r"\\(u\{[0-9A-Fa-f]{1,6}\}|.)")
_SIMPLE_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t", "r": "\r"}
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
"""Characters a string may not hold, written or escaped: C0/C1 controls but tab, LF and CR, and the
two noncharacters XML forbids. No target can carry them (XML 1.0 cannot even as references)."""
_MEANINGFUL = frozenset(
    {
        "NAME",
        "STAR",
        "STRING",
        "INT",
        "DECIMAL",
        "DURATION",
        "COMP_OP",
        "PLUS",
        "MINUS",
        "MUL_OP",
        "TRUE",
        "FALSE",
        "INITIAL",
        "UNLIMITED",
        "ALL",
        "OUTCOME_KIND",
        "BACKOFF_KIND",
        "JITTER_KIND",
        "ROUTING_KIND",
        "DELEGATION_KIND",
    }
)


class Sink:
    """Where grammar actions put the findings they make while building the tree."""

    def __init__(self, source: SourceText) -> None:
        self.source = source
        self.diagnostics: list[Diagnostic] = []

    def report(self, code: codes.Code, message: str, span: Span, **extra: Any) -> None:
        """Record one finding against this source."""
        self.diagnostics.append(Diagnostic.of(code, message, self.source.name, span, **extra))


class DepthExceededError(Exception):
    """Nesting went past MAX_DEPTH; raised to stop the parse at once."""

    def __init__(self, span: Span) -> None:
        super().__init__("nesting too deep")
        self.span = span


NodeT = TypeVar("NodeT", bound=Any)


class Clause(NamedTuple):
    """An intermediate `name value` clause, gathered by the rule that owns it."""

    name: str
    value: Any
    span: Span


class Block(NamedTuple):
    """An intermediate `{ actions }` block."""

    actions: tuple[ast.Action, ...]
    span: Span


def _start(child: Any) -> tuple[int, int, int]:
    """Where a child begins: (line, column, offset), from lark's token positions or the node's span."""
    if isinstance(child, Token):
        return child.line, child.column, child.start_pos  # type: ignore[return-value]
    if isinstance(child, list):
        return _start(child[0])
    span = cast(Span, child.span)  # every AST node and clause has a span
    return span.line, span.column, span.offset


def _end(child: Any) -> tuple[int, int, int]:
    """Where a child ends: (line, column, offset) just past it."""
    if isinstance(child, Token):
        return child.end_line, child.end_column, child.end_pos  # type: ignore[return-value]
    if isinstance(child, list):
        return _end(child[-1])
    span = cast(Span, child.span)
    return span.end_line, span.end_column, span.end_offset


def _token_literal(token: object) -> Any:
    """Return a keyword or operator token's text; the grammar guarantees it is one of the Literal values."""
    return str(token)


def _parts(children: Sequence[Any]) -> list[Any]:
    """Drop keyword and punctuation tokens, keep names, literals and nodes."""
    return [c for c in children if not isinstance(c, Token) or c.type in _MEANINGFUL]


def _names_error(rest: list[Any]) -> bool:
    """True when a transition's parts after `on EVENT` start with a second name (`on error NAME`)."""
    if len(rest) < 2 or not isinstance(rest[0], Token):
        return False
    second = rest[1]
    return isinstance(second, Token) or (isinstance(second, Clause) and second.name in ("guard", "else"))


class Builder(Transformer[Token, Any]):
    """One method per grammar rule; each returns an AST node (or a clause tuple)."""

    def __init__(self) -> None:
        super().__init__(visit_tokens=False)
        self.sink: Sink | None = None
        self._depths: dict[int, int] = {}

    def reset(self, sink: Sink | None) -> None:
        """Prepare for one parse (or clean up after it when `sink` is None)."""
        self.sink = sink
        self._depths = {}

    # ------------------------------------------------------------------ helpers

    def _sink(self) -> Sink:
        assert self.sink is not None, "Builder used outside parse()"
        return self.sink

    def _span(self, children: Sequence[object]) -> Span:
        # lark counts lines and columns as SourceText.span does (1-based, one per character),
        # so the positions it already computed are used instead of searching the line index again.
        line, column, offset = _start(children[0])
        end_line, end_column, end_offset = _end(children[-1])
        return Span(line, column, end_line, end_column, offset, end_offset)

    def _tok_span(self, token: Token) -> Span:
        return Span(
            token.line,  # type: ignore[arg-type]
            token.column,  # type: ignore[arg-type]
            token.end_line,  # type: ignore[arg-type]
            token.end_column,  # type: ignore[arg-type]
            token.start_pos,  # type: ignore[arg-type]
            token.end_pos,  # type: ignore[arg-type]
        )

    def _nest(self, node: NodeT, inner: Iterable[object]) -> NodeT:
        """Track nesting depth for states and expressions; stop past MAX_DEPTH."""
        deepest = max((self._depths.get(id(c), 0) for c in inner), default=0) + 1
        if deepest > MAX_DEPTH:
            raise DepthExceededError(cast(Span, node.span))
        self._depths[id(node)] = deepest
        return node

    def string(self, token: Token) -> str:
        """Unescape a STRING token, reporting unknown escapes and control characters (SW018)."""
        body = str(token)[1:-1]
        if "\\" not in body:
            return self._printable(token, body)

        def replace(match: re.Match[str]) -> str:
            escape = match.group(1)
            if escape in _SIMPLE_ESCAPES:
                return _SIMPLE_ESCAPES[escape]
            if escape.startswith("u{") and len(escape) > 3:
                point = int(escape[2:-1], 16)
                if point <= 0x10FFFF and not 0xD800 <= point <= 0xDFFF:
                    return chr(point)
            start = cast(int, token.start_pos) + 1 + match.start()
            self._sink().report(
                codes.BAD_ESCAPE,
                f"unknown escape sequence `\\{escape}`",
                self._sink().source.span(start, start + len(match.group(0))),
            )
            return match.group(0)

        return self._printable(token, _ESCAPE.sub(replace, body))

    def _printable(self, token: Token, text: str) -> str:
        """`text` (a STRING token's value), reporting its first control character once."""
        bad = _CONTROL.search(text)
        if bad is not None:
            self._sink().report(
                codes.CONTROL_CHARACTER,
                f"string holds the control character U+{ord(bad.group()):04X}",
                self._tok_span(token),
            )
        return text

    def name_token(self, token: Token) -> Token:
        """Lexer callback for every NAME: report one longer than MAX_NAME_LENGTH (SW119)."""
        if len(token) > MAX_NAME_LENGTH:
            self._sink().report(
                codes.NAME_TOO_LONG,
                f"name of {len(token)} characters is longer than the limit of {MAX_NAME_LENGTH}",
                self._tok_span(token),
            )
        return token

    def integer(self, token: Token) -> int:
        """Convert an INT token, reporting values outside the 64-bit range."""
        text = str(token)
        if len(text) > MAX_LITERAL_DIGITS:
            self._too_long(token)
            return _INT64_MAX
        value = int(text)
        if value > _INT64_MAX:
            self._sink().report(
                codes.CONSTANT_OVERFLOW,
                f"integer {token} does not fit in 64 bits",
                self._tok_span(token),
                help="use a value between -9223372036854775808 and 9223372036854775807",
            )
            return _INT64_MAX
        return value

    def duration(self, token: Token) -> int:
        """Convert a DURATION token such as `1h30m` to milliseconds."""
        total = sum(int(n) * _UNIT_MS[unit] for n, unit in _DURATION_PART.findall(str(token)))
        if total > MAX_DURATION_MS:
            self._sink().report(
                codes.BAD_LITERAL,
                f"duration {token} is too long",
                self._tok_span(token),
                help="durations are at most 100 years (36500d)",
            )
            return MAX_DURATION_MS
        return total

    def _clauses(self, owner: str, clauses: Iterable[Clause]) -> dict[str, Any]:
        """Collect clauses into a dict of values, reporting repeats."""
        seen: dict[str, Any] = {}
        for name, value, span in clauses:
            if name in seen:
                self._sink().report(codes.DUPLICATE_CLAUSE, f"`{name}` given twice in {owner}", span)
                continue
            seen[name] = value
        return seen

    # ------------------------------------------------------------------ file level

    def start(self, children: list[ast.Workflow]) -> list[ast.Workflow]:
        return children

    def workflow(self, children: list[Any]) -> ast.Workflow:
        name, *items = _parts(children)
        assert isinstance(name, Token)
        if MAX_WORKFLOW_NAME_LENGTH < len(name) <= MAX_NAME_LENGTH:  # longer ones: name_token
            self._sink().report(
                codes.NAME_TOO_LONG,
                f"workflow name of {len(name)} characters is longer than the limit of "
                f"{MAX_WORKFLOW_NAME_LENGTH}",
                self._tok_span(name),
                help="the workflow's name names every generated file; shorten it",
            )
        return ast.Workflow(
            str(name), tuple(items), span=self._span(children), name_span=self._tok_span(name)
        )

    def version(self, children: list[Any]) -> ast.Version:
        (value,) = _parts(children)
        return ast.Version(self.integer(value), self._span(children))

    def doc(self, children: list[Any]) -> ast.Doc:
        (text,) = _parts(children)
        return ast.Doc(self.string(text), self._span(children))

    def scope_decl(self, children: list[Any]) -> ast.ScopeDecl:
        (text,) = _parts(children)
        return ast.ScopeDecl(self.string(text), self._span(children))

    def invariant(self, children: list[Any]) -> ast.Invariant:
        (expr,) = _parts(children)
        return ast.Invariant(expr, self._span(children))

    # ------------------------------------------------------------------ migrate

    def migrate(self, children: list[Any]) -> ast.Migrate:
        return ast.Migrate(tuple(_parts(children)), self._span(children))

    def rename(self, children: list[Any]) -> ast.Rename:
        old, new = _parts(children)
        return ast.Rename(
            str(old),
            str(new),
            self._span(children),
            old_span=self._tok_span(old),
            new_span=self._tok_span(new),
        )

    # ------------------------------------------------------------------ requirements

    def requirements(self, children: list[Any]) -> ast.Requirements:
        return ast.Requirements(tuple(_parts(children)), self._span(children))

    def requirement(self, children: list[Any]) -> ast.Requirement:
        key, value = _parts(children)
        assert isinstance(value, ast.Requirement)
        return dataclasses.replace(
            value, key=str(key), span=self._span(children), key_span=self._tok_span(key)
        )

    def requirement_word(self, children: list[Any]) -> ast.Requirement:
        (word,) = children
        span = self._tok_span(word)
        return ast.Requirement("", "word", word=str(word), span=span, value_span=span)

    def requirement_duration(self, children: list[Any]) -> ast.Requirement:
        (token,) = children
        span = self._tok_span(token)
        return ast.Requirement("", "duration", amount=self.duration(token), span=span, value_span=span)

    def requirement_rate(self, children: list[Any]) -> ast.Requirement:
        count, op, unit = children
        written = str(unit)
        if str(op) != "/":
            written = ""  # reported here; lowering skips a rate without a unit
            self._sink().report(
                codes.BAD_REQUIREMENT_VALUE,
                f"`{count}{op}{unit}` is not a volume",
                self._span(children),
                help="write a volume as COUNT/PERIOD: `100/s`, `20/m`, `500/h`, `1000/d`",
            )
        span = self._span(children)
        amount = self.integer(count)
        return ast.Requirement("", "rate", amount=amount, unit=written or None, span=span, value_span=span)

    def requirement_number(self, children: list[Any]) -> ast.Requirement:
        (token,) = children
        span = self._tok_span(token)
        return ast.Requirement("", "number", amount=self.integer(token), span=span, value_span=span)

    # ------------------------------------------------------------------ context

    def context(self, children: list[Any]) -> ast.Context:
        return ast.Context(tuple(_parts(children)), self._span(children))

    def field(self, children: list[Any]) -> ast.Field:
        parts = _parts(children)
        name, type_spec = parts[0], parts[1]
        default = parts[2] if len(parts) > 2 else None
        assert isinstance(name, Token)
        return ast.Field(str(name), type_spec, default, self._span(children), self._tok_span(name))

    def _bounded(self, children: list[Any], decimal: bool) -> tuple[Any, Any]:
        parts = _parts(children)
        if not parts:
            return None, None
        low, high = cast(Clause, parts[0]).value
        if decimal:
            return (None if low is None else Decimal(low)), (None if high is None else Decimal(high))
        for value, which in ((low, "lower"), (high, "upper")):
            if value is not None and not isinstance(value, int):
                self._sink().report(
                    codes.TYPE_MISMATCH,
                    f"{which} bound {value} of an int field is not an integer",
                    self._span(children),
                    help="write a whole number, or make the field `decimal`",
                )
        return (
            low if isinstance(low, int) else None,
            high if isinstance(high, int) else None,
        )

    def int_type(self, children: list[Any]) -> ast.IntType:
        low, high = self._bounded(children, decimal=False)
        return ast.IntType(low, high, self._span(children))

    def decimal_type(self, children: list[Any]) -> ast.DecimalType:
        low, high = self._bounded(children, decimal=True)
        return ast.DecimalType(low, high, self._span(children))

    def bool_type(self, children: list[Any]) -> ast.BoolType:
        return ast.BoolType(self._span(children))

    def string_type(self, children: list[Any]) -> ast.StringType:
        return ast.StringType(self._span(children))

    def enum_type(self, children: list[Any]) -> ast.EnumType:
        (names,) = _parts(children)
        return ast.EnumType(tuple(str(n) for n in names), self._span(children))

    def enum_members(self, children: list[Any]) -> list[Token]:
        return self.name_list(children)

    def op_bound(self, children: list[Any]) -> Clause:
        op, number = _parts(children)
        value = self._number_value(number)
        span = self._span(children)
        if op == ">=":
            return Clause("bounds", (value, None), span)
        if op == "<=":
            return Clause("bounds", (None, value), span)
        self._sink().report(
            codes.SYNTAX,
            f"a bound is written `>= N`, `<= N` or `N..M`, not `{op} N`",
            self._span(children),
            help="use `>=` or `<=` for one-sided bounds",
        )
        return Clause("bounds", (None, None), span)

    def range_bound(self, children: list[Any]) -> Clause:
        low, high = _parts(children)
        bounds = (self._number_value(low), self._number_value(high))
        return Clause("bounds", bounds, self._span(children))

    def _number_value(self, literal: ast.Expr) -> int | Decimal:
        if isinstance(literal, ast.Negate):
            inner = self._number_value(literal.operand)
            return -inner
        if isinstance(literal, ast.IntLit | ast.DecimalLit):
            return literal.value
        raise AssertionError(f"not a number literal: {literal!r}")

    def number(self, children: list[Any]) -> ast.Literal_:
        *sign, token = children
        literal: ast.Literal_
        if token.type == "INT":
            literal = ast.IntLit(self.integer(token), self._tok_span(token))
        else:
            literal = self._decimal(token)
        return ast.Negate(literal, self._span(children)) if sign else literal

    def _too_long(self, token: Token) -> None:
        self._sink().report(
            codes.BAD_LITERAL,
            f"number literal of {len(str(token))} characters is too long",
            self._tok_span(token),
            help=f"numbers are limited to {MAX_LITERAL_DIGITS} digits",
        )

    def _decimal(self, token: Token) -> ast.DecimalLit:
        if len(str(token)) > MAX_LITERAL_DIGITS:
            self._too_long(token)
            return ast.DecimalLit(Decimal(0), self._tok_span(token))
        try:
            return ast.DecimalLit(Decimal(str(token)), self._tok_span(token))
        except InvalidOperation:  # pragma: no cover - the lexer only passes digits
            self._sink().report(codes.BAD_LITERAL, f"bad decimal {token}", self._tok_span(token))
            return ast.DecimalLit(Decimal(0), self._tok_span(token))

    def name_list(self, children: list[Any]) -> list[Token]:
        return [c for c in children if isinstance(c, Token) and c.type == "NAME"]

    # ------------------------------------------------------------------ literals & expressions

    def int_lit(self, children: list[Any]) -> ast.IntLit:
        (token,) = children
        return ast.IntLit(self.integer(token), self._tok_span(token))

    def decimal_lit(self, children: list[Any]) -> ast.DecimalLit:
        (token,) = children
        return self._decimal(token)

    def string_lit(self, children: list[Any]) -> ast.StringLit:
        (token,) = children
        return ast.StringLit(self.string(token), self._tok_span(token))

    def true_lit(self, children: list[Any]) -> ast.BoolLit:
        return ast.BoolLit(True, self._span(children))

    def false_lit(self, children: list[Any]) -> ast.BoolLit:
        return ast.BoolLit(False, self._span(children))

    def name_lit(self, children: list[Any]) -> ast.NameRef:
        (token,) = children
        return ast.NameRef(str(token), self._tok_span(token))

    name_ref = name_lit

    def member_ref(self, children: list[Any]) -> ast.MemberRef:
        scope, _, field = children
        return ast.MemberRef(str(scope), str(field), self._span(children))

    def atom(self, children: list[Any]) -> Any:
        # `( expr )`: the span grows to take in the parentheses.
        inner = children[1]
        widened = dataclasses.replace(inner, span=self._span(children))
        depth = self._depths.pop(id(inner), 0) + 1
        if depth > MAX_DEPTH:
            raise DepthExceededError(widened.span)
        self._depths[id(widened)] = depth
        return widened

    def negate(self, children: list[Any]) -> ast.Negate:
        operand = children[-1]
        return self._nest(ast.Negate(operand, self._span(children)), [operand])

    def not_op(self, children: list[Any]) -> ast.Not:
        operand = children[-1]
        return self._nest(ast.Not(operand, self._span(children)), [operand])

    def binary(self, children: list[Any]) -> ast.Binary:
        left, op, right = children
        return self._nest(ast.Binary(_token_literal(op), left, right, self._span(children)), [left, right])

    def compare(self, children: list[Any]) -> ast.Compare:
        left, op, right = children
        return self._nest(ast.Compare(_token_literal(op), left, right, self._span(children)), [left, right])

    def _in_set(self, children: list[Any], negated: bool) -> ast.InSet:
        operand = children[0]
        members = next(c for c in children if isinstance(c, list))
        node = ast.InSet(operand, tuple(members), negated, self._span(children))
        return self._nest(node, [operand])

    def in_set(self, children: list[Any]) -> ast.InSet:
        return self._in_set(children, negated=False)

    def not_in_set(self, children: list[Any]) -> ast.InSet:
        return self._in_set(children, negated=True)

    def literal_list(self, children: list[Any]) -> list[Any]:
        return [c for c in children if not isinstance(c, Token)]

    def _boolop(self, op: str, children: list[Any]) -> Any:
        operands = tuple(c for c in children if not isinstance(c, Token))
        node = ast.make_boolop(_token_literal(op), operands, self._span(children))
        return self._nest(node, operands)

    def or_expr(self, children: list[Any]) -> Any:
        return self._boolop("or", children)

    def and_expr(self, children: list[Any]) -> Any:
        return self._boolop("and", children)

    # ------------------------------------------------------------------ events

    def events(self, children: list[Any]) -> ast.Events:
        return ast.Events(tuple(_parts(children)), self._span(children))

    def event_decl(self, children: list[Any]) -> ast.EventDecl:
        name, *rest = _parts(children)
        payload = next((r.value for r in rest if isinstance(r, Clause)), None)
        doc = next((self.string(r) for r in rest if isinstance(r, Token)), None)
        return ast.EventDecl(str(name), doc, self._span(children), payload)

    def payload(self, children: list[Any]) -> Clause:
        return Clause("payload", tuple(_parts(children)), self._span(children))

    def returns(self, children: list[Any]) -> Clause:
        return Clause("returns", tuple(_parts(children)), self._span(children))

    # ------------------------------------------------------------------ states

    def _state_head(self, children: list[Any]) -> tuple[bool, Token, list[Any]]:
        parts = _parts(children)
        initial = isinstance(parts[0], Token) and parts[0].type == "INITIAL"
        if initial:
            parts = parts[1:]
        name = parts[0]
        assert isinstance(name, Token)
        return initial, name, parts[1:]

    def _nested(self, node: NodeT, items: Iterable[object]) -> NodeT:
        return self._nest(node, [i for i in items if isinstance(i, _NESTING)])

    def plain_state(self, children: list[Any]) -> ast.State:
        initial, name, items = self._state_head(children)
        has_body = any(isinstance(c, Token) and c == "{" for c in children)
        node = ast.State(
            str(name), tuple(items), initial, has_body, self._span(children), self._tok_span(name)
        )
        return self._nested(node, items)

    def final_state(self, children: list[Any]) -> ast.FinalState:
        initial, name, items = self._state_head(children)
        has_body = any(isinstance(c, Token) and c == "{" for c in children)
        return ast.FinalState(
            str(name), tuple(items), initial, has_body, self._span(children), self._tok_span(name)
        )

    def parallel_state(self, children: list[Any]) -> ast.ParallelState:
        initial, name, items = self._state_head(children)
        node = ast.ParallelState(str(name), tuple(items), initial, self._span(children), self._tok_span(name))
        return self._nested(node, items)

    def region(self, children: list[Any]) -> ast.Region:
        name, *items = _parts(children)
        assert isinstance(name, Token)
        node = ast.Region(str(name), tuple(items), self._span(children), self._tok_span(name))
        return self._nested(node, items)

    def saga_state(self, children: list[Any]) -> ast.SagaState:
        initial, name, items = self._state_head(children)
        return ast.SagaState(str(name), tuple(items), initial, self._span(children), self._tok_span(name))

    def approval_state(self, children: list[Any]) -> ast.ApprovalState:
        initial, name, items = self._state_head(children)
        return ast.ApprovalState(str(name), tuple(items), initial, self._span(children), self._tok_span(name))

    def checkpoint_state(self, children: list[Any]) -> ast.CheckpointState:
        initial, name, items = self._state_head(children)
        return ast.CheckpointState(
            str(name), tuple(items), initial, self._span(children), self._tok_span(name)
        )

    def outcome(self, children: list[Any]) -> ast.FinalOutcome:
        kind, *reason = _parts(children)
        outcome: Any = str(kind)
        return ast.FinalOutcome(
            outcome,
            self.string(reason[0]) if reason else None,
            self._span(children),
        )

    # ------------------------------------------------------------------ transitions & actions

    def transition(self, children: list[Any]) -> ast.Transition:
        parts = _parts(children)
        event = parts[0]
        assert isinstance(event, Token)
        guard: Any = None
        is_else = False
        rest = parts[1:]
        caught: str | None = None
        if _names_error(rest):
            second = str(rest[0])
            if str(event) == "error":
                caught = second
            else:
                self._sink().report(
                    codes.SYNTAX,
                    f"`on {event} {second}`: an event is followed by `->`, a guard or `else`",
                    self._tok_span(rest[0]),
                    help=f"write `on {event} -> TARGET`, or catch a failure: `on error {second} -> TARGET`",
                )
            rest = rest[1:]
        if isinstance(rest[0], Clause):
            guard, is_else = rest[0].value, rest[0].name == "else"
            rest = rest[1:]
        target = rest[0]
        assert isinstance(target, Token)
        actions: tuple[ast.Action, ...] | None = None
        clauses: list[Clause] = []
        for item in rest[1:]:
            if isinstance(item, Clause):
                clauses.append(item)
            elif isinstance(item, Block):
                actions = item.actions
        found = self._clauses(f"transition on `{event}`", clauses)
        return ast.Transition(
            str(event),
            str(target),
            guard,
            is_else,
            error=caught,
            requires=tuple(found.get("requires", ())),
            scope=found.get("scope"),
            evidence=tuple(found.get("evidence", ())),
            actions=actions,
            span=self._span(children),
            event_span=self._tok_span(event),
            target_span=self._tok_span(target),
        )

    def when_guard(self, children: list[Any]) -> Clause:
        return Clause("guard", children[-1], self._span(children))

    def else_guard(self, children: list[Any]) -> Clause:
        return Clause("else", None, self._span(children))

    def requires(self, children: list[Any]) -> Clause:
        return Clause("requires", tuple(self.string(t) for t in _parts(children)), self._span(children))

    def scope_clause(self, children: list[Any]) -> Clause:
        (text,) = _parts(children)
        return Clause("scope", self.string(text), self._span(children))

    def evidence(self, children: list[Any]) -> Clause:
        (names,) = _parts(children)
        return Clause("evidence", tuple(str(n) for n in names), self._span(children))

    def reject(self, children: list[Any]) -> ast.Reject:
        event, *reason = _parts(children)
        return ast.Reject(str(event), self.string(reason[0]) if reason else None, self._span(children))

    def ignore(self, children: list[Any]) -> ast.Ignore:
        (event,) = _parts(children)
        return ast.Ignore(str(event), self._span(children))

    def _entry_exit(self, children: list[Any]) -> tuple[tuple[ast.Action, ...], bool]:
        (body,) = _parts(children)
        if isinstance(body, Block):
            return body.actions, True
        return (body,), False

    def entry(self, children: list[Any]) -> ast.Entry:
        actions, block = self._entry_exit(children)
        return ast.Entry(actions, block, self._span(children))

    def exit(self, children: list[Any]) -> ast.Exit:
        actions, block = self._entry_exit(children)
        return ast.Exit(actions, block, self._span(children))

    def action_block(self, children: list[Any]) -> Block:
        return Block(tuple(_parts(children)), self._span(children))

    def do_action(self, children: list[Any]) -> ast.DoAction:
        name, *key = _parts(children)
        return ast.DoAction(str(name), self.string(key[0]) if key else None, self._span(children))

    def set_action(self, children: list[Any]) -> ast.SetAction:
        name, value = _parts(children)
        assert isinstance(name, Token)
        return ast.SetAction(str(name), value, self._span(children), self._tok_span(name))

    def emit_action(self, children: list[Any]) -> ast.EmitAction:
        (name,) = _parts(children)
        return ast.EmitAction(str(name), self._span(children))

    # ------------------------------------------------------------------ work, retries, timers

    def invoke(self, children: list[Any]) -> ast.Invoke:
        name, *clauses = _parts(children)
        found = self._clauses(f"`invoke {name}`", clauses)
        return ast.Invoke(
            str(name), found.get("key"), found.get("service"), self._span(children), found.get("returns")
        )

    def key_clause(self, children: list[Any]) -> Clause:
        (text,) = _parts(children)
        return Clause("key", self.string(text), self._span(children))

    def service_clause(self, children: list[Any]) -> Clause:
        (name,) = _parts(children)
        return Clause("service", str(name), self._span(children))

    def retry(self, children: list[Any]) -> ast.Retry:
        count, *rest = _parts(children)
        backoff = next((r for r in rest if isinstance(r, ast.Backoff)), None)
        found = {r.name: r for r in rest if isinstance(r, Clause)}
        dead = found.get("dead_letter")
        return ast.Retry(
            count.value,
            backoff,
            found["jitter"].value if "jitter" in found else None,
            found["retry_on"].value if "retry_on" in found else (),
            None if dead is None else dead.value[0],
            self._span(children),
            self._span(children) if dead is None else dead.span,
            None if dead is None else dead.value[1],
        )

    def retry_count(self, children: list[Any]) -> Clause:
        (token,) = children
        count = None if token.type == "UNLIMITED" else self.integer(token)
        return Clause("count", count, self._tok_span(token))

    def backoff(self, children: list[Any]) -> ast.Backoff:
        kind, base, *rest = _parts(children)
        cap = next((self.duration(r) for r in rest if isinstance(r, Token)), None)
        factor = next((r.value for r in rest if isinstance(r, Clause)), None)
        assert isinstance(base, Token)
        return ast.Backoff(_token_literal(kind), self.duration(base), cap, factor, self._span(children))

    def factor(self, children: list[Any]) -> Clause:
        (token,) = children
        factor = self._decimal(token).value
        if factor > MAX_BACKOFF_FACTOR:
            self._sink().report(
                codes.BAD_LITERAL,
                f"backoff factor {token} is too large",
                self._tok_span(token),
                help=f"a backoff factor is at most {MAX_BACKOFF_FACTOR}",
            )
            factor = MAX_BACKOFF_FACTOR
        return Clause("factor", factor, self._tok_span(token))

    def jitter(self, children: list[Any]) -> Clause:
        (kind,) = _parts(children)
        return Clause("jitter", str(kind), self._span(children))

    def retry_on(self, children: list[Any]) -> Clause:
        (names,) = _parts(children)
        return Clause("retry_on", tuple(str(n) for n in names), self._span(children))

    def dead_letter(self, children: list[Any]) -> Clause:
        name, *block = _parts(children)
        assert isinstance(name, Token)
        actions = block[0].actions if block else None
        return Clause("dead_letter", (str(name), actions), self._tok_span(name))

    def hard_timeout(self, children: list[Any]) -> ast.HardTimeout:
        duration, target, *actions = _parts(children)
        assert isinstance(duration, Token) and isinstance(target, Token)
        return ast.HardTimeout(
            self.duration(duration),
            str(target),
            actions[0].actions if actions else None,
            self._span(children),
            self._tok_span(target),
        )

    def soft_timeout(self, children: list[Any]) -> ast.SoftTimeout:
        duration, *rest = _parts(children)
        assert isinstance(duration, Token)
        message = next((self.string(r) for r in rest if isinstance(r, Token)), None)
        block = next((r for r in rest if isinstance(r, Block)), None)
        actions = None if block is None else block.actions
        return ast.SoftTimeout(self.duration(duration), message, actions, self._span(children))

    def heartbeat(self, children: list[Any]) -> ast.Heartbeat:
        (duration,) = _parts(children)
        return ast.Heartbeat(self.duration(duration), self._span(children))

    def _outcome(self, kind: str, children: list[Any]) -> ast.Outcome:
        guard, is_else, target, actions = self._guarded_arrow(_parts(children))
        return ast.Outcome(
            kind, str(target), self._span(children), self._tok_span(target), guard, is_else, actions
        )

    def _guarded_arrow(self, parts: list[Any]) -> tuple[Any, bool, Token, tuple[ast.Action, ...] | None]:
        """Split `[guard] TARGET [block]` parts (keywords dropped) into guard, else, target, actions."""
        guard: Any = None
        is_else = False
        if parts and isinstance(parts[0], Clause):
            guard, is_else = parts[0].value, parts[0].name == "else"
            parts = parts[1:]
        target = parts[0]
        assert isinstance(target, Token)
        actions = parts[1].actions if len(parts) > 1 and isinstance(parts[1], Block) else None
        return guard, is_else, target, actions

    def always(self, children: list[Any]) -> ast.Always:
        guard, is_else, target, actions = self._guarded_arrow(_parts(children))
        return ast.Always(str(target), guard, is_else, actions, self._span(children), self._tok_span(target))

    def done_outcome(self, children: list[Any]) -> ast.Outcome:
        return self._outcome("done", children)

    def saga_outcome(self, children: list[Any]) -> ast.Outcome:
        return self._outcome(str(children[0]), children)

    def approval_outcome(self, children: list[Any]) -> ast.Outcome:
        return self._outcome(str(children[0]), children)

    def checkpoint_outcome(self, children: list[Any]) -> ast.Outcome:
        return self._outcome("acknowledged", children)

    # ------------------------------------------------------------------ sagas

    def step(self, children: list[Any]) -> ast.Step:
        name, *clauses = _parts(children)
        tagged = [Clause("retry", c, c.span) if isinstance(c, ast.Retry) else c for c in clauses]
        found = self._clauses(f"step `{name}`", tagged)
        return ast.Step(
            str(name),
            key=found.get("key"),
            compensate=found.get("compensate"),
            compensate_key=found.get("compensate_key"),
            no_compensation=found.get("no_compensation"),
            pivot=bool(found.get("pivot", False)),
            service=found.get("service"),
            timeout_ms=found.get("timeout"),
            retry=found.get("retry"),
            span=self._span(children),
            returns=found.get("returns"),
            then=found.get("then"),
        )

    def then_clause(self, children: list[Any]) -> Clause:
        (block,) = _parts(children)
        return Clause("then", block.actions, self._span(children))

    def compensate_clause(self, children: list[Any]) -> Clause:
        (name,) = _parts(children)
        return Clause("compensate", str(name), self._span(children))

    def compensate_key_clause(self, children: list[Any]) -> Clause:
        (text,) = _parts(children)
        return Clause("compensate_key", self.string(text), self._span(children))

    def no_compensation_clause(self, children: list[Any]) -> Clause:
        reason = _parts(children)
        return Clause("no_compensation", self.string(reason[0]) if reason else "", self._span(children))

    def pivot_clause(self, children: list[Any]) -> Clause:
        return Clause("pivot", True, self._span(children))

    def step_timeout_clause(self, children: list[Any]) -> Clause:
        (duration,) = _parts(children)
        return Clause("timeout", self.duration(duration), self._span(children))

    # ------------------------------------------------------------------ approvals

    def routing(self, children: list[Any]) -> ast.Routing:
        (kind,) = _parts(children)
        return ast.Routing(_token_literal(kind), self._span(children))

    def delegation(self, children: list[Any]) -> ast.Delegation:
        (kind,) = _parts(children)
        return ast.Delegation(str(kind) == "allowed", self._span(children))

    def level(self, children: list[Any]) -> ast.Level:
        number, *rest = _parts(children)
        condition = None
        if rest and not isinstance(rest[0], Clause):
            condition, rest = rest[0], rest[1:]
        found = self._clauses(f"level {number}", rest)
        quorum = found.get("quorum")
        escalate: Clause | None = found.get("escalate")
        return ast.Level(
            self.integer(number),
            condition,
            approvers=found.get("approvers", ()),
            quorum=quorum if isinstance(quorum, int) else None,
            quorum_all=quorum == "all",
            timeout_ms=found.get("timeout"),
            escalate_level=escalate.value if escalate and escalate.name == "level" else None,
            escalate_state=escalate.value if escalate and escalate.name == "state" else None,
            span=self._span(children),
            escalate_span=escalate.span if escalate else self._span(children),
        )

    def approvers(self, children: list[Any]) -> Clause:
        return Clause("approvers", tuple(_parts(children)), self._span(children))

    def quorum(self, children: list[Any]) -> Clause:
        (value,) = _parts(children)
        assert isinstance(value, Token)
        return Clause("quorum", "all" if value.type == "ALL" else self.integer(value), self._span(children))

    def level_timeout(self, children: list[Any]) -> Clause:
        (duration,) = _parts(children)
        return Clause("timeout", self.duration(duration), self._span(children))

    def escalate(self, children: list[Any]) -> Clause:
        (target,) = _parts(children)
        return Clause("escalate", target, self._span(children))

    def level_target(self, children: list[Any]) -> Clause:
        (number,) = _parts(children)
        return Clause("level", self.integer(number), self._span(children))

    def state_target(self, children: list[Any]) -> Clause:
        (name,) = _parts(children)
        return Clause("state", str(name), self._span(children))

    def approver(self, children: list[Any]) -> ast.Approver:
        kind, name = _parts(children)
        assert isinstance(name, Token)
        quoted = name.type == "STRING"
        value = self.string(name) if quoted else str(name)
        return ast.Approver(str(kind), value, quoted, self._span(children))

    # ------------------------------------------------------------------ checkpoints

    def prompt(self, children: list[Any]) -> ast.Prompt:
        (text,) = _parts(children)
        return ast.Prompt(self.string(text), self._span(children))

    def assignee(self, children: list[Any]) -> ast.Assignee:
        (approver,) = _parts(children)
        return ast.Assignee(approver, self._span(children))


_NESTING = (ast.State, ast.ParallelState, ast.Region, ast.SagaState, ast.ApprovalState)
