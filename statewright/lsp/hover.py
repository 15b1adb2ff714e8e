"""Hover: a state's kind, transitions and doc; an event's handlers; a context field's type and bounds."""

from __future__ import annotations

from decimal import Decimal

from lsprotocol import types

from statewright.dsl import ast
from statewright.lsp.index import STATE_TYPES, Definition, Index
from statewright.lsp.positions import LineIndex


def hover(index: Index, lines: LineIndex, text: str, offset: int) -> types.Hover | None:
    """Describe the state, event or field at `offset` in Markdown; None when no name is there."""
    use = index.at(offset)
    if use is None:
        return None
    found = index.definition(use.kind, use.name)
    if found is None:
        body = f"**{use.kind}** `{use.name}` — not declared"
    elif found.kind == "state":
        body = _state(found, text)
    elif found.kind == "event":
        body = _event(found, index)
    else:
        body = _field(found)
    content = types.MarkupContent(kind=types.MarkupKind.Markdown, value=body)
    return types.Hover(contents=content, range=lines.range(use.span.offset, use.span.end_offset))


_KINDS: dict[type, str] = {
    ast.FinalState: "final state",
    ast.ParallelState: "parallel state",
    ast.SagaState: "saga",
    ast.ApprovalState: "approval",
    ast.CheckpointState: "checkpoint",
}
_MOVES = (ast.Transition, ast.HardTimeout, ast.Outcome, ast.Always, ast.Reject, ast.Ignore, ast.SoftTimeout)


def state_kind(node: ast.StateDecl) -> str:
    """Name a state's kind as the language does: `state`, `compound state`, `final state`, `saga`, ..."""
    if isinstance(node, ast.State):
        kind = "compound state" if any(isinstance(item, STATE_TYPES) for item in node.items) else "state"
    else:
        kind = _KINDS[type(node)]
    return ("initial " if node.initial else "") + kind


def _state(found: Definition, text: str) -> str:
    """A state's hover: kind, doc, and its transitions as written."""
    node = found.node
    assert not isinstance(node, ast.EventDecl | ast.Field)
    parts = [f"**{state_kind(node)}** `{found.name}`" + (f" (in `{found.parent}`)" if found.parent else "")]
    docs = [item.text for item in node.items if isinstance(item, ast.Doc)]
    if docs:
        parts.append(docs[0])
    moves = [
        _first_line(text, item.span.offset, item.span.end_offset)
        for item in node.items
        if isinstance(item, _MOVES)
    ]
    children = [item.name for item in node.items if isinstance(item, STATE_TYPES)]
    regions = [item.name for item in node.items if isinstance(item, ast.Region)]
    if regions:
        parts.append("regions: " + ", ".join(f"`{name}`" for name in regions))
    if children:
        parts.append("states: " + ", ".join(f"`{name}`" for name in children))
    if moves:
        parts.append("transitions:\n" + "\n".join(f"- `{move}`" for move in moves))
    elif not isinstance(node, ast.FinalState):
        parts.append("no transitions of its own")
    return "\n\n".join(parts)


def _first_line(text: str, start: int, end: int) -> str:
    """Return the first line of a node's text, without a trailing `{`."""
    line = text[start:end].split("\n", 1)[0].strip()
    return line.removesuffix("{").strip()


def _event(found: Definition, index: Index) -> str:
    """An event's hover: doc, payload and the states that decide it."""
    node = found.node
    assert isinstance(node, ast.EventDecl)
    parts = [f"**event** `{found.name}`"]
    if node.doc:
        parts.append(node.doc)
    if node.payload:
        parts.append("payload: " + ", ".join(f"`{f.name}: {type_text(f.type)}`" for f in node.payload))
    handlers = index.handlers.get(found.name, ())
    if handlers:
        states = ", ".join(f"`{name}`" for name in dict.fromkeys(state for state, _ in handlers))
        lines = "\n".join(f"- `{state}`: `{line}`" for state, line in handlers)
        parts.append(f"handled in: {states}\n\n{lines}")
    else:
        parts.append("no state handles it")
    return "\n\n".join(parts)


def _field(found: Definition) -> str:
    """A context field's hover: its type, bounds and default."""
    node = found.node
    assert isinstance(node, ast.Field)
    parts = [f"**context field** `{found.name}: {type_text(node.type)}`"]
    spec = node.type
    if isinstance(spec, ast.IntType | ast.DecimalType):
        low = "unbounded" if spec.min is None else _number(spec.min)
        high = "unbounded" if spec.max is None else _number(spec.max)
        parts.append(f"bounds: {low} .. {high}")
    if node.default is not None:
        parts.append(f"default: `{_literal(node.default)}`")
    return "\n\n".join(parts)


def type_text(spec: ast.TypeSpec) -> str:
    """Write a type as the language does (`int 0..5`, `decimal >= 0`, `enum { a, b }`)."""
    if isinstance(spec, ast.IntType | ast.DecimalType):
        base = "int" if isinstance(spec, ast.IntType) else "decimal"
        if spec.min is not None and spec.max is not None:
            return f"{base} {_number(spec.min)}..{_number(spec.max)}"
        if spec.min is not None:
            return f"{base} >= {_number(spec.min)}"
        return base if spec.max is None else f"{base} <= {_number(spec.max)}"
    if isinstance(spec, ast.EnumType):
        return "enum { " + ", ".join(spec.members) + " }"
    return "bool" if isinstance(spec, ast.BoolType) else "string"


def _number(value: int | Decimal) -> str:
    return str(value)


def _literal(value: ast.Literal_) -> str:
    if isinstance(value, ast.Negate):
        return "-" + _literal(value.operand)  # type: ignore[arg-type]
    if isinstance(value, ast.NameRef):
        return value.name
    if isinstance(value, ast.BoolLit):
        return "true" if value.value else "false"
    if isinstance(value, ast.StringLit):
        return f'"{value.value}"'
    return str(value.value)
