"""Shared machinery of lowering: the findings list, name resolution, and the output being built.

Lowering is a pure function (`lower.lower`); this object only lives for one call
and collects what the call produces: IR states, transitions and tables, and the
diagnostics for everything that could not be lowered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from statewright import ir
from statewright.compiler.typecheck import NO_INPUTS, Inputs, TType, TypeChecker, suggest
from statewright.diagnostics import Diagnostic, Related, codes
from statewright.dsl import ast
from statewright.source import Span

IMPLICIT_EVENTS: dict[str, ir.EventKind] = {
    "approve": "approval",
    "reject": "approval",
    "delegate": "approval",
    "recall": "approval",
    "acknowledge": "checkpoint",
}
"""Events that approvals and checkpoints accept without a declaration."""


@dataclass(slots=True)
class Declared:
    """A user-declared state: its AST node, its parent's name, and whether it is a region."""

    node: ast.StateDecl | ast.Region
    parent: str | None
    is_region: bool = False


@dataclass
class LoweringContext:
    """Everything one `lower` call reads and writes."""

    file: str
    fields: dict[str, TType] = field(default_factory=dict)
    events: dict[str, ast.EventDecl] = field(default_factory=dict)
    payloads: dict[str, tuple[ir.ContextField, ...]] = field(default_factory=dict)
    """Each declared event's lowered payload fields."""
    declared: dict[str, Declared] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    states: list[ir.State] = field(default_factory=list)
    transitions: list[ir.Transition] = field(default_factory=list)
    rejects: list[ir.Reject] = field(default_factory=list)
    sagas: list[ir.Saga] = field(default_factory=list)
    approvals: list[ir.Approval] = field(default_factory=list)
    checkpoints: list[ir.Checkpoint] = field(default_factory=list)
    used_implicit: dict[str, ir.EventKind] = field(default_factory=dict)
    implicit_uses: dict[str, Span] = field(default_factory=dict)
    wildcards: list[ir.Reject] = field(default_factory=list)
    saga_failed: dict[str, tuple[ir.Action, ...]] = field(default_factory=dict)
    """Each saga's `compensation_failed` actions, for the exit chains `lower_saga_exits` adds."""
    checker: TypeChecker | None = None

    # ------------------------------------------------------------------ findings

    def report(self, code: codes.Code, message: str, span: Span, **extra: Any) -> None:
        """Record one finding for this file."""
        self.diagnostics.append(Diagnostic.of(code, message, self.file, span, **extra))

    def related(self, span: Span, message: str) -> Related:
        """Return a secondary location in this file."""
        return Related(self.file, span, message)

    def inputs(
        self, scope: ir.InputScope, fields: Iterable[ir.ContextField], where: str, owner: str
    ) -> Inputs:
        """The inputs of one site: `fields` of `scope`, read in `where`, provided by `owner`."""
        typed = {f.name: TType(f.type.name, f.type.members) for f in fields}
        return Inputs(scope, typed, where, owner)

    @property
    def types(self) -> TypeChecker:
        """Return the type checker for this workflow's context."""
        assert self.checker is not None, "context must be lowered before expressions"
        return self.checker

    # ------------------------------------------------------------------ names

    def target(self, name: str, span: Span, *, allow_region: bool = False) -> str | None:
        """Resolve a transition target to a declared state, reporting unknown names."""
        declared = self.declared.get(name)
        if declared is None:
            self.report(
                codes.UNKNOWN_STATE,
                f"unknown state `{name}`",
                span,
                label="not a state of this workflow",
                help=suggest(name, list(self.declared)) or "declare the state, or fix the name",
            )
            return None
        if declared.is_region and not allow_region:
            self.report(
                codes.BAD_TARGET,
                f"`{name}` is a region of a parallel state and cannot be entered on its own",
                span,
                help="target the parallel state, or a state inside the region",
            )
            return None
        return name

    def event(self, name: str, span: Span, implicit: ir.EventKind | None = None) -> str | None:
        """Resolve an event name, reporting undeclared events."""
        if name in self.events:
            return name
        if implicit is not None:
            self.used_implicit.setdefault(name, implicit)
            return name
        hint = suggest(name, list(self.events)) or f"add `{name}` to the workflow's `events {{ ... }}` block"
        if name == "error":
            hint = "to catch a failure of invoked work, name it: `on error NAME -> S`; " + hint
        self.report(codes.UNKNOWN_EVENT, f"event `{name}` is not declared", span, help=hint)
        return None

    def user_event(self, name: str, span: Span) -> str | None:
        """Resolve an event named in `on`/`reject`/`ignore` by the user.

        Approval and checkpoint events count as declared only when some approval or
        checkpoint produces them (see `check_implicit_uses`).
        """
        if name not in self.events and name in IMPLICIT_EVENTS:
            self.implicit_uses.setdefault(name, span)
            return name
        return self.event(name, span)

    def check_implicit_uses(self) -> None:
        """Report implicit events used by hand where no approval or checkpoint produces them."""
        for name, span in self.implicit_uses.items():
            if name not in self.used_implicit:
                self.report(
                    codes.UNKNOWN_EVENT,
                    f"event `{name}` is not declared, and no approval or checkpoint produces it",
                    span,
                    help=f"add `{name}` to the workflow's `events {{ ... }}` block",
                )

    # ------------------------------------------------------------------ common pieces

    def actions(
        self, actions: Iterable[ast.Action] | None, inputs: Inputs = NO_INPUTS
    ) -> tuple[ir.Action, ...]:
        """Lower `do` / `set` / `emit` actions, checking names and types; `set` may read `inputs`."""
        lowered: list[ir.Action] = []
        checker = self.types.at(inputs)
        for action in actions or ():
            match action:
                case ast.DoAction(name=name, key=key, span=span):
                    lowered.append(ir.Call(name, key, None, span))
                case ast.SetAction(target=target, value=value, span=span, target_span=target_span):
                    expr = checker.assignment(target, value, span, target_span)
                    if expr is not None:
                        lowered.append(ir.Assign(target, expr, span))
                case ast.EmitAction(event=event, span=span):
                    if self.event(event, span) is not None and self._emittable(event, span):
                        lowered.append(ir.Emit(event, span))
        return tuple(lowered)

    def _emittable(self, event: str, span: Span) -> bool:
        """An `emit` sends no data, so it may not raise an event whose payload has required fields."""
        decl = self.events.get(event)
        required = [f.name for f in (decl.payload or ()) if f.default is None] if decl is not None else []
        if not required:
            return True
        self.report(
            codes.EMIT_NEEDS_PAYLOAD,
            f"`emit {event}` sends no data, but `{event}` requires {', '.join(f'`{n}`' for n in required)}",
            span,
            help=f"give those payload fields defaults, or send `{event}` from outside with its data",
        )
        return False

    def once(self, seen: dict[str, Span], key: str, span: Span, what: str) -> bool:
        """Return True the first time `key` is seen in a block; report repeats."""
        first = seen.get(key)
        if first is not None:
            self.report(
                codes.DUPLICATE_ITEM,
                f"{what} given twice",
                span,
                related=[self.related(first, "first given here")],
            )
            return False
        seen[key] = span
        return True

    def expand_wildcards(self) -> None:
        """Turn each `reject *` / `ignore *` into one explicit refusal per undecided declared event.

        An event counts as decided when one of the state's ancestors has a transition,
        reject or ignore for it (a refusal on a child must not shadow a parent's
        transition), or the state itself has a refusal or an unguarded (or `else`)
        transition. Where the state's own transitions on an event are all guarded, the
        refusal goes beside them and decides the contexts in which no guard holds.
        """
        mentioned: dict[str, set[str]] = {}
        decided: dict[str, set[str]] = {}
        for transition in self.transitions:
            if transition.kind == "event" and transition.event is not None:  # not a catch's error name
                mentioned.setdefault(transition.source, set()).add(transition.event)
                if transition.guard is None or transition.is_else:
                    decided.setdefault(transition.source, set()).add(transition.event)
        for reject in self.rejects:
            mentioned.setdefault(reject.state, set()).add(reject.event)
            decided.setdefault(reject.state, set()).add(reject.event)
        for wildcard in self.wildcards:
            ancestors: list[str] = []
            parent = self.declared[wildcard.state].parent if wildcard.state in self.declared else None
            while parent is not None:
                ancestors.append(parent)
                parent = self.declared[parent].parent if parent in self.declared else None
            taken = decided.get(wildcard.state, set()).union(
                *(mentioned.get(name, set()) for name in ancestors)
            )
            for event in self.events:
                if event not in taken:
                    self.rejects.append(
                        ir.Reject(wildcard.state, event, wildcard.kind, wildcard.reason, wildcard.span)
                    )
                    decided.setdefault(wildcard.state, set()).add(event)
                    mentioned.setdefault(wildcard.state, set()).add(event)

    def add_transition(self, transition: ir.Transition) -> None:
        """Append a lowered transition."""
        self.transitions.append(transition)
