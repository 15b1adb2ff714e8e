"""The document outline: the workflow, its context fields, its events and its states, nested as written."""

from __future__ import annotations

from lsprotocol import types

from statewright.dsl import ast
from statewright.lsp.hover import state_kind, type_text
from statewright.lsp.index import STATE_TYPES
from statewright.lsp.positions import LineIndex
from statewright.source import Span


def outline(workflow: ast.Workflow, lines: LineIndex) -> list[types.DocumentSymbol]:
    """Return the workflow as one symbol whose children are its fields, events and (nested) states."""
    children: list[types.DocumentSymbol] = []
    for item in workflow.items:
        if isinstance(item, ast.Context):
            fields = [
                _symbol(lines, f.name, types.SymbolKind.Field, f.span, f.name_span, type_text(f.type))
                for f in item.fields
            ]
            children.append(
                _symbol(lines, "context", types.SymbolKind.Struct, item.span, item.span, None, fields)
            )
        elif isinstance(item, ast.Events):
            events = [
                _symbol(lines, e.name, types.SymbolKind.Event, e.span, e.span, e.doc) for e in item.events
            ]
            children.append(
                _symbol(lines, "events", types.SymbolKind.Enum, item.span, item.span, None, events)
            )
        elif isinstance(item, STATE_TYPES):
            children.append(_state(item, lines))
    return [
        _symbol(
            lines,
            workflow.name,
            types.SymbolKind.Module,
            workflow.span,
            workflow.name_span,
            "workflow",
            children,
        )
    ]


def _state(node: ast.StateDecl, lines: LineIndex) -> types.DocumentSymbol:
    """One state and the states (and regions) inside it."""
    children: list[types.DocumentSymbol] = []
    for item in node.items:
        if isinstance(item, STATE_TYPES):
            children.append(_state(item, lines))
        elif isinstance(item, ast.Region):
            inner = [_state(s, lines) for s in item.items if isinstance(s, STATE_TYPES)]
            children.append(
                _symbol(
                    lines, item.name, types.SymbolKind.Namespace, item.span, item.name_span, "region", inner
                )
            )
    kind = types.SymbolKind.Class if children else types.SymbolKind.Object
    return _symbol(lines, node.name, kind, node.span, node.name_span, state_kind(node), children)


def _symbol(
    lines: LineIndex,
    name: str,
    kind: types.SymbolKind,
    span: Span,
    name_span: Span,
    detail: str | None,
    children: list[types.DocumentSymbol] | None = None,
) -> types.DocumentSymbol:
    """Build one symbol; its selection range lies inside its range, as the protocol requires."""
    whole = lines.span_range(span)
    chosen = lines.span_range(name_span) if name_span.end_offset > name_span.offset else whole
    return types.DocumentSymbol(
        name=name, kind=kind, range=whole, selection_range=chosen, detail=detail, children=children or None
    )
