"""Print a typed IR expression back in the guard language's own syntax.

Used for messages, tables and generated comments, so that a reader sees the
guard as it was written (minimal parentheses, enum members bare). Durations
(`format_duration`) and transition labels (`transition_label`) have their one
text form here too, so the formatter, the verifier's counterexamples, reports and
targets all print them alike.
"""

from __future__ import annotations

from decimal import Decimal

from statewright import ir

_PRECEDENCE = {
    "or": 1,
    "and": 2,
    "not": 3,
    "==": 4,
    "!=": 4,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "in": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
    "%": 6,
    "neg": 7,
}
_ATOM = 8


def render(expr: ir.Expr) -> str:
    """Return `expr` as guard-language text."""
    return _render(expr)[0]


def render_value(value: ir.Value) -> str:
    """Return a context value as a guard-language literal."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text if "." in text else text + ".0"
    if isinstance(value, int):
        return str(value)
    return value


def quote(text: str) -> str:
    """Return a string as a guard-language string literal, escaped."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    escaped = escaped.replace("\r", "\\r")
    return f'"{escaped}"'


def _lit(lit: ir.Lit) -> str:
    if lit.type == "string":
        return quote(str(lit.value))
    return render_value(lit.value)


def _render(expr: ir.Expr) -> tuple[str, int]:
    match expr:
        case ir.Lit():
            text = _lit(expr)
            return text, (_PRECEDENCE["neg"] if text.startswith("-") else _ATOM)
        case ir.Var(name=name):
            return name, _ATOM
        case ir.Unary(op="not", operand=operand):
            return "not " + _wrap(operand, _PRECEDENCE["not"]), _PRECEDENCE["not"]
        case ir.Unary(operand=operand):
            return "-" + _wrap(operand, _PRECEDENCE["neg"]), _PRECEDENCE["neg"]
        case ir.BinOp(op=op, left=left, right=right):
            level = _PRECEDENCE[op]
            right_level = level + 1 if level >= _PRECEDENCE["=="] else level
            left_level = level + 1 if op in ("==", "!=", "<", "<=", ">", ">=") else level
            return f"{_wrap(left, left_level)} {op} {_wrap(right, right_level)}", level
        case ir.In(operand=operand, values=values, negated=negated):
            members = ", ".join(_lit(v) for v in values)
            keyword = "not in" if negated else "in"
            return f"{_wrap(operand, _PRECEDENCE['+'])} {keyword} {{ {members} }}", _PRECEDENCE["in"]
    raise AssertionError(f"unknown expression {expr!r}")  # pragma: no cover


def _wrap(expr: ir.Expr, minimum: int) -> str:
    text, level = _render(expr)
    return text if level >= minimum else f"({text})"


_UNITS = (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1))


def format_duration(millis: int) -> str:
    """Return a duration in the language's notation, largest unit first (`90000` -> `1m30s`, `0` -> `0s`)."""
    if millis < 0:
        raise ValueError(f"a duration cannot be negative: {millis}")
    parts: list[str] = []
    for unit, size in _UNITS:
        count, millis = divmod(millis, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def transition_label(transition: ir.Transition, state: ir.State | None = None) -> str:
    """Return how a transition reads in a counterexample path (`submit`, `after 30s`, `done(charge)`).

    `state` is the transition's source state, whose invoked action names `done`/`error` moves.
    """
    match transition.kind:
        case "event":
            return transition.event or "?"
        case "timeout":
            return f"after {format_duration(transition.after_ms or 0)}"
        case "done" | "error":
            action = state.invoke.action if state and state.invoke else "work"
            return f"{transition.kind}({action})"
    return transition.kind
