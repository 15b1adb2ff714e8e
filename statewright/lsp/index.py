"""Names to places: every definition and use of a state, an event and a context field in one AST.

The editor features (hover, go to definition, references, rename, completion,
code actions) all ask the same questions: which name is under the cursor, where
is it defined, where is it used. The AST carries a span on every node and on most
names; a name without its own span (the event of a `reject`, `ignore` or `emit`)
is found as a whole word inside its node's span.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

from statewright.dsl import ast
from statewright.source import SourceText, Span

Kind: TypeAlias = Literal["state", "event", "field"]
STATE_TYPES = (
    ast.State,
    ast.FinalState,
    ast.ParallelState,
    ast.SagaState,
    ast.ApprovalState,
    ast.CheckpointState,
)
"""Every kind of state declaration, for `isinstance`."""


@dataclass(frozen=True)
class Definition:
    """Where a state, event or field is declared, and the node that declares it."""

    kind: Kind
    name: str
    span: Span
    """The name's own characters."""
    node: ast.StateDecl | ast.EventDecl | ast.Field
    parent: str | None = None
    """The enclosing state's name (states only; None at the workflow's top level)."""


@dataclass(frozen=True)
class Use:
    """One occurrence of a name: its kind, text and characters (definitions included)."""

    kind: Kind
    name: str
    span: Span
    is_definition: bool = False


@dataclass(frozen=True)
class Index:
    """Every definition and occurrence of a name in one workflow, in source order."""

    definitions: tuple[Definition, ...]
    uses: tuple[Use, ...]
    handlers: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    """Event name -> (state, the transition, reject or ignore deciding it there), in source order."""

    def at(self, offset: int) -> Use | None:
        """Return the occurrence covering character `offset` (its end included), if any."""
        for use in self.uses:
            if use.span.offset <= offset <= use.span.end_offset:
                return use
        return None

    def definition(self, kind: Kind, name: str) -> Definition | None:
        """Return the definition of a name of one kind, if it is declared."""
        for found in self.definitions:
            if found.kind == kind and found.name == name:
                return found
        return None

    def names(self, kind: Kind) -> tuple[str, ...]:
        """Return the declared names of one kind, in source order."""
        return tuple(d.name for d in self.definitions if d.kind == kind)

    def occurrences(self, kind: Kind, name: str) -> tuple[Use, ...]:
        """Return every occurrence of a name, its definition included."""
        return tuple(u for u in self.uses if u.kind == kind and u.name == name)


def build_index(workflow: ast.Workflow, source: SourceText) -> Index:
    """Walk one workflow and record where each state, event and field is defined and used."""
    walker = _Walker(source)
    walker.items(workflow.items, None)
    fields = {d.name for d in walker.definitions if d.kind == "field"}
    known = [u for u in walker.uses if u.kind != "field" or u.name in fields]  # others: enum members
    uses = tuple(sorted(known, key=lambda u: (u.span.offset, u.span.end_offset)))
    handlers = {name: tuple(lines) for name, lines in walker.handlers.items()}
    return Index(tuple(walker.definitions), uses, handlers)


class _Walker:
    """Collects definitions and uses while walking the tree once."""

    def __init__(self, source: SourceText) -> None:
        self.source = source
        self.definitions: list[Definition] = []
        self.uses: list[Use] = []
        self.handlers: dict[str, list[tuple[str, str]]] = {}

    def define(
        self,
        kind: Kind,
        name: str,
        span: Span,
        node: ast.StateDecl | ast.EventDecl | ast.Field,
        parent: str | None = None,
    ) -> None:
        """Record a definition, and its name as an occurrence."""
        if span.end_offset <= span.offset:
            return
        self.definitions.append(Definition(kind, name, span, node, parent))
        self.uses.append(Use(kind, name, span, is_definition=True))

    def use(self, kind: Kind, name: str, span: Span | None) -> None:
        """Record a use whose characters are known."""
        if span is not None and span.end_offset > span.offset:
            self.uses.append(Use(kind, name, span))

    def word(self, within: Span, word: str, skip: int = 0) -> Span | None:
        """Find `word` as a whole word inside a node's span, after its first `skip` characters."""
        text = self.source.text
        start = min(within.offset + skip, len(text))
        match = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(word)}(?![A-Za-z0-9_])").search(
            text, start, max(start, within.end_offset)
        )
        return None if match is None else self.source.span(match.start(), match.end())

    def items(self, items: tuple[object, ...], state: str | None) -> None:
        """Walk the items of the workflow or of one state."""
        for item in items:
            self.item(item, state)

    def item(self, item: object, state: str | None) -> None:
        """Walk one item; `state` is the name of the state holding it."""
        if isinstance(item, ast.Context):
            for declared in item.fields:
                self.define("field", declared.name, declared.name_span, declared)
        elif isinstance(item, ast.Events):
            for event in item.events:
                span = self.word(event.span, event.name)
                if span is not None:
                    self.define("event", event.name, span, event)
        elif isinstance(item, ast.Invariant):
            self.expr(item.expr)
        elif isinstance(item, ast.Migrate):  # `Old -> New`: New is a state of this version
            for renamed in item.renames:
                self.use("state", renamed.new, renamed.new_span)
        elif isinstance(
            item,
            ast.State
            | ast.FinalState
            | ast.ParallelState
            | ast.SagaState
            | ast.ApprovalState
            | ast.CheckpointState,
        ):
            self.define("state", item.name, item.name_span, item, state)
            self.items(item.items, item.name)
        elif isinstance(item, ast.Region):
            self.items(item.items, state)
        elif isinstance(item, ast.Transition):
            if item.error is None:
                self.use("event", item.event, item.event_span)
                self.decides(item.event, state, item.span)
            self.use("state", item.target, item.target_span)
            if item.guard is not None:
                self.expr(item.guard)
            self.actions(item.actions)
        elif isinstance(item, ast.Reject | ast.Ignore):
            if item.event != "*":
                self.use("event", item.event, self.word(item.span, item.event, len("reject")))
                self.decides(item.event, state, item.span)
        elif isinstance(item, ast.Entry | ast.Exit):
            self.actions(item.actions)
        elif isinstance(item, ast.HardTimeout | ast.Always | ast.Outcome):
            self.use("state", item.target, item.target_span)
            if not isinstance(item, ast.HardTimeout) and item.guard is not None:
                self.expr(item.guard)
            self.actions(item.actions)
        elif isinstance(item, ast.SoftTimeout):
            self.actions(item.actions)
        elif isinstance(item, ast.Retry):
            if item.dead_letter is not None:
                self.use("state", item.dead_letter, item.dead_letter_span)
            self.actions(item.dead_letter_actions)
        elif isinstance(item, ast.Step):
            if item.retry is not None:
                self.item(item.retry, state)
            self.actions(item.then)
        elif isinstance(item, ast.Level):
            if item.condition is not None:
                self.expr(item.condition)
            if item.escalate_state is not None:
                self.use("state", item.escalate_state, item.escalate_span)

    def decides(self, event: str, state: str | None, span: Span) -> None:
        """Record that `state` decides `event` with the item at `span` (for hover on an event)."""
        if state is not None:
            line = self.source.text[span.offset : span.end_offset].split("\n", 1)[0].strip()
            self.handlers.setdefault(event, []).append((state, line.removesuffix("{").strip()))

    def actions(self, actions: tuple[ast.Action, ...] | None) -> None:
        """Walk the actions of a block: `set` targets and values, `emit` events."""
        for action in actions or ():
            if isinstance(action, ast.SetAction):
                self.use("field", action.target, action.target_span)
                self.expr(action.value)
            elif isinstance(action, ast.EmitAction):
                self.use("event", action.event, self.word(action.span, action.event, len("emit")))

    def expr(self, expr: ast.Expr) -> None:
        """Walk a guard or value: each bare name in an expression position is a context field."""
        for node in _subexpressions(expr):
            if isinstance(node, ast.NameRef):
                self.use("field", node.name, node.span)


def _subexpressions(expr: ast.Expr) -> Iterator[ast.Expr]:
    """Yield an expression and its operands (not the members of an `in {..}` set: those are values)."""
    yield expr
    if isinstance(expr, ast.Negate | ast.Not):
        yield from _subexpressions(expr.operand)
    elif isinstance(expr, ast.Binary | ast.Compare):
        yield from _subexpressions(expr.left)
        yield from _subexpressions(expr.right)
    elif isinstance(expr, ast.BoolOp):
        for operand in expr.operands:
            yield from _subexpressions(operand)
    elif isinstance(expr, ast.InSet):
        yield from _subexpressions(expr.operand)
