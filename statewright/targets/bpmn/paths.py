"""Flows along transitions: exits, actions and entries, guards as exclusive gateways, governance gates.

`PathBuilder` holds what every segment of the lowering needs: the graph, the
flattened hierarchy (`Resolver`), the findings, and the helpers that turn one
IR transition into a chain of BPMN nodes ending at its target, leaving
sub-processes through escalation end events when the target is outside.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from statewright import ir
from statewright.diagnostics import Code
from statewright.ir.embedded import transition_keys
from statewright.ir.text import render
from statewright.semantics.inputs import input_name
from statewright.source import NO_SPAN, Span
from statewright.targets.bpmn import checks
from statewright.targets.bpmn.checks import Finding
from statewright.targets.bpmn.conditions import Condition, Gate, Guard, conjoin
from statewright.targets.bpmn.graph import Graph, UniqueNames, enter, ncname
from statewright.targets.bpmn.model import EventDef
from statewright.targets.bpmn.resolve import Handling, Resolver
from statewright.targets.bpmn.undo import UndoChains, within

DECISIONS = ("approve", "reject", "delegate")
FAILED_ESCALATION = "instance_failed"
"""The escalation code (with the parallel state's name) a region's unhandled failure throws.

An escalation, not an error: both BPMN engines let a catch-all error boundary of
any task in the same sub-process catch a thrown error (a sibling region's work
retried or dead-lettered on another region's failure); an escalation is caught
only by a boundary for its own escalation, one per sub-process."""


class PathBuilder:
    """The graph under construction and the transition-to-flow helpers (the base of `Lowering`)."""

    def __init__(self, machine: ir.Machine, source_name: str, *, native_retries: bool) -> None:
        self.machine = machine
        self.keys = {id(t): key for t, key in zip(machine.transitions, transition_keys(machine), strict=True)}
        self.tails: dict[tuple[Step, ...], str] = {}
        """The rest of a transition's path (`Step`s) -> the first node drawn for it (drawn once, shared)."""
        self.leave_codes = UniqueNames()
        """The escalation codes given to ways out of sub-processes so far."""
        self.source = source_name or machine.source or f"{machine.name}.wf"
        self.native_retries = native_retries
        self.resolver = Resolver(machine)
        self.hierarchy = self.resolver.hierarchy
        self.states = self.hierarchy.states
        self.graph = Graph(ncname(machine.name))
        self.findings: list[Finding] = []
        self._noted: set[Finding] = set()
        self.subprocess: dict[str, str] = {}
        self.joins: dict[str, str] = {}
        self.failure_boundaries: dict[str, str] = {}
        """Sub-process id -> its error boundary for a region's unhandled failure (made once)."""
        self.receivers: dict[str, list[str]] = {}
        """IR event -> the messages its receivers wait on (`receive`)."""
        self.levels = {
            level.state: (approval, level) for approval in machine.approvals for level in approval.levels
        }
        self.checkpoints = {cp.state: cp for cp in machine.checkpoints}
        self.undo = UndoChains(machine)
        """A saga's interchangeable early-exit chains, drawn once (`undo.py`)."""

    # ------------------------------------------------------------------ helpers

    def codes(self) -> tuple[str, ...]:
        """The codes of the findings so far, in the order they were found."""
        return tuple(f.code.code for f in self.findings)

    def where(self, span: Span) -> str:
        """`file.wf:LINE` for a span, or "" when it has no position."""
        return f"{self.source}:{span.line}" if span.line else ""

    def doc(self, *parts: str | None) -> str:
        """Documentation text from the non-empty parts, one per line."""
        return "\n".join(part for part in parts if part)

    def note(self, code: Code, message: str, span: Span = NO_SPAN) -> None:
        """Record a target finding once."""
        finding = Finding(code, message, span)
        if finding not in self._noted:  # a set beside the list: findings keep their order, lookups stay O(1)
            self._noted.add(finding)
            self.findings.append(finding)

    def scope(self, state: str) -> str:
        """The process or sub-process a state's nodes live in."""
        parallel = self.resolver.parallel_of(state)
        return self.graph.process_id if parallel is None else self.subprocess[parallel]

    def action(self, action: ir.Action, scope: str, state: str | None) -> str:
        """One action as a node: `set` a script task, `do` a service task, `emit` a message throw."""
        where = self.where(action.span)
        if isinstance(action, ir.Assign):
            text = f"set {action.field} = {render(action.value)}"
            return self.graph.node(
                f"set_{action.field}",
                "scriptTask",
                text,
                scope,
                "action",
                state=state,
                action=action,
                doc=where,
            )
        if isinstance(action, ir.Call):
            doc = self.doc(
                f"idempotency key: {action.key}" if action.key else None,
                f"service: {action.service}" if action.service else None,
                where,
            )
            return self.graph.node(
                f"do_{action.name}",
                "serviceTask",
                action.name,
                scope,
                "action",
                state=state,
                action=action,
                doc=doc,
            )
        return self.graph.node(
            f"emit_{action.event}",
            "intermediateThrowEvent",
            f"emit {action.event}",
            scope,
            "emit",
            state=state,
            action=action,
            event=self.graph.event("message", action.event, event=action.event),
            doc=where,
        )

    def actions(self, actions: Sequence[ir.Action], scope: str, state: str | None) -> list[str]:
        """Nodes for a sequence of actions, in order (not linked)."""
        return [self.action(action, scope, state) for action in actions]

    def marker(self, role: str, name: str, scope: str, state: str, back: str) -> str:
        """A none throw event that records a refusal or an ignored event, then loops back to the wait."""
        node = self.graph.node(f"{state}_{role}", "intermediateThrowEvent", name, scope, role, state=state)  # type: ignore[arg-type]
        self.graph.link(node, back)
        return node

    def receive(self, event: str, state: str) -> EventDef:
        """The message a catch event of `state` waits on for `event`: one message per receiving region.

        A BPMN message is correlated to one waiting receiver (messages are 1:1,
        signals 1:N, in Camunda 8 and bpmn-engine alike), while a statewright event
        reaches every region that handles it. So each parallel region that
        catches `event` gets a message of its own, `event@Region` (the process
        outside any region keeps `event`): within one region only one wait is
        armed at a time, so each message has at most one waiting receiver, and
        whoever delivers `event` publishes every message
        `protocol.process_map(...).messages[event]` lists. `emit` throws each.
        """
        region = self.hierarchy.region_of(state)
        name = event if region is None else f"{event}@{region}"
        names = self.receivers.setdefault(event, [])
        if name not in names:
            names.append(name)
        return self.graph.event("message", name, event=event)

    def payload(self, event: str) -> tuple[str, ...]:
        """The payload fields of `event` (what its message delivers into the `event` variable)."""
        return next((tuple(f.name for f in e.payload) for e in self.machine.events if e.name == event), ())

    def spread_emits(self) -> None:
        """Each `emit e` becomes one throw event per message that delivers `e` (see `receive`)."""
        order = self.hierarchy.order
        for node in list(self.graph.nodes):
            if node.role != "emit" or not isinstance(node.action, ir.Emit):
                continue
            event = node.action.event
            names = sorted(
                self.receivers.get(event, [event]),
                key=lambda name: -1 if name == event else order[name.split("@", 1)[1]],
            )
            self.graph.spread(
                node.id,
                [{"event": self.graph.event("message", name, event=event), "owner": name} for name in names],
            )

    def instance_fails(self, leaf: str, scope: str, name: str) -> str:
        """Where a failure nothing handles goes: the instance fails, as in the runtime.

        At the process level that is an end event (role `failed`). Inside a
        parallel state's sub-process it is an escalation end event (code per
        sub-process): the sub-process's escalation boundary catches it,
        interrupting every region, and fails the
        scope outside in turn, up to the process, so one region's failure never
        leaves the others running.
        """
        if scope == self.graph.process_id:
            return self.graph.node(f"{leaf}_failed", "endEvent", name, scope, "failed", state=leaf)
        parallel = next(name_ for name_, sub in self.subprocess.items() if sub == scope)
        code = ncname(f"{FAILED_ESCALATION}_{parallel}")
        end = self.graph.node(
            f"{leaf}_failed",
            "endEvent",
            name,
            scope,
            "failed",
            state=leaf,
            event=self.graph.event("escalation", code, code),
        )
        if scope not in self.failure_boundaries:
            outside = self.scope(parallel)
            boundary = self.graph.node(
                f"{parallel}_failed",
                "boundaryEvent",
                "a region failed",
                outside,
                "error",
                state=None,
                attached_to=scope,
                event=self.graph.event("escalation", code, code),
            )
            self.failure_boundaries[scope] = boundary
            self.graph.link(
                boundary, self.instance_fails(parallel, outside, f"{parallel} failed: instance fails")
            )
        return end

    # ------------------------------------------------------------------ paths

    def entering(self, target: str, domain: str | None, span: Span) -> tuple[list[ir.Action], str]:
        """Entry actions on the way down to `target` (outermost first) and where the flow ends."""
        down = list(reversed(self.hierarchy.below(target, domain)))
        current = target
        while self.states[current].kind == "compound" and self.states[current].initial is not None:
            current = self.states[current].initial or current
            down.append(current)
        found: list[ir.Action] = []
        for index, name in enumerate(down):
            state = self.states[name]
            if state.kind == "parallel":
                found.extend(state.entry)
                if index < len(down) - 1 and name != target and down[-1] != name:
                    deeper = down[index + 1 :]
                    if any(
                        s not in self.hierarchy.enter(name) and self.states[s].kind != "compound"
                        for s in deeper
                    ):
                        self.note(checks.DEEP_ENTRY, f"a transition enters `{target}` inside `{name}`", span)
                return found, self.subprocess[name]
            if state.kind in ("atomic", "final"):
                return found, enter(name)
            found.extend(state.entry)
        return found, enter(down[-1])

    def path(
        self,
        source: str,
        leaf: str,
        transition: ir.Transition,
        *,
        back: str | None,
        condition: Condition | None = None,
        default: bool = False,
        name: str = "",
    ) -> None:
        """Flow from node `source` along one transition: exits, its actions, entries, to the target."""
        doc = self.doc(f"{transition.kind} transition of {transition.source}", self.where(transition.span))
        cursor = _Cursor(self.graph, source, condition, default, name, doc)
        scope = self.graph.scope_of(source)
        if transition.target is None:
            for node in self.actions(transition.actions, scope, leaf):
                cursor.step(node)
            assert back is not None
            cursor.step(back)
            return
        domain = self.hierarchy.domain(transition.source, transition.target)
        steps: list[Step] = []
        for name_ in self.hierarchy.below(leaf, domain):
            state = self.states[name_]
            if state.kind == "parallel" and self.subprocess.get(name_) == scope:
                inside = self.hierarchy.descendants[name_]
                if any(self.states[s].exit for s in inside if s != transition.source):
                    message = f"leaving `{name_}` for `{transition.target}`"
                    self.note(checks.REGION_EXIT_ACTIONS, message, transition.span)
                steps.append(("leave", name_, transition.target))
                scope = self.scope(name_)
            steps.extend(("exit", scope, action) for action in state.exit)
        steps.extend(("act", scope, action) for action in transition.actions)
        entries, destination = self.entering(transition.target, domain, transition.span)
        if self.undo.inside(transition.source, transition.target):
            destination = enter(within(transition.target))  # the next compensation: no exit to record
        steps.extend(("act", scope, action) for action in entries)
        steps.append(("to", scope, destination))
        self.follow(cursor, tuple(steps))

    def follow(self, cursor: _Cursor, steps: tuple[Step, ...]) -> None:
        """Draw a transition's steps from the cursor, joining the rest of them if it is already drawn.

        Two paths whose rests from a `SHARED` step on are equal (the same exit
        actions, transition actions, entries and target, in the same scopes) run
        the same nodes in the same order, so that rest is drawn once and both flow
        into it (a merge gateway goes in front at `Graph.finish`): a saga's or a
        parallel state's exit actions and the escalation leaving a sub-process
        toward one continuation appear once per continuation, not once per exit.
        """
        for index, step in enumerate(steps):
            rest, what = steps[index:], step[2]
            if step[0] == "to":
                assert isinstance(what, str)
                cursor.step(what)
                return
            drawn = self.tails.get(rest) if step[0] in SHARED else None
            if drawn is not None:
                cursor.step(drawn)
                return
            if step[0] == "leave":
                assert isinstance(what, str)
                parallel, target = step[1], what
                code = self.leave_code(parallel, target)
                node = self.leave(parallel, target, code)
                self.tails[rest] = node
                cursor.step(node)
                cursor.source = self.boundary_for(parallel, target, code)
                continue
            assert not isinstance(what, str)
            node = self.action(what, step[1], None)
            if step[0] in SHARED:
                self.tails[rest] = node
            cursor.step(node)

    def leave_code(self, parallel: str, target: str) -> str:
        """The escalation code of one way out of a sub-process: one per distinct continuation.

        Exits whose continuations (everything after the sub-process is left) are
        equal share a code, its end event and its one catching boundary; exits that
        continue differently get codes of their own (`_2`, ...), since one thrown
        escalation triggers every boundary for its code: one token per exit.
        """
        return self.leave_codes.claim(ncname(f"leave_{parallel}_to_{target}"))

    def leave(self, parallel: str, target: str, code: str) -> str:
        """The escalation end event that leaves a sub-process early toward `target`."""
        return self.graph.node(
            f"{parallel}_to_{target}",
            "endEvent",
            f"leave {parallel} for {target}",
            self.subprocess[parallel],
            "escalate",
            event=self.graph.event("escalation", code, code),
        )

    def boundary_for(self, parallel: str, target: str, code: str) -> str:
        """The interrupting escalation boundary on the sub-process that continues outside (one per code)."""
        return self.graph.node(
            f"{parallel}_leave_{target}",
            "boundaryEvent",
            f"to {target}",
            self.scope(parallel),
            "escalate",
            event=self.graph.event("escalation", code, code),
            attached_to=self.subprocess[parallel],
        )

    def decide(
        self,
        source: str,
        leaf: str,
        candidates: Sequence[ir.Transition],
        *,
        label: str,
        back: str | None,
        otherwise: Callable[[], str] | None,
        extra: Condition | None = None,
        first_default: bool = False,
        matched: bool = False,
    ) -> None:
        """First-match choice among candidates (guards as conditions); `otherwise` when none holds.

        `first_default` makes the flow from `source` its default (when `source` is itself a gateway).
        A named catch (`on error NAME`) is conditional on the failure's name unless `matched` says
        the source already matched it (an error boundary with that code).
        """
        scope = self.graph.scope_of(source)
        named = {"default": True, "name": "give up"} if first_default else {}

        def catches_here(transition: ir.Transition) -> Guard | None:
            return None if matched else catches(transition)

        if (
            len(candidates) == 1
            and candidates[0].guard is None
            and extra is None
            and catches_here(candidates[0]) is None
        ):
            self.take(source, leaf, candidates[0], back=back, condition=None, **named)  # type: ignore[arg-type]
            return
        if not candidates and otherwise is not None and extra is None:
            self.graph.link(source, otherwise(), **named)  # type: ignore[arg-type]
            return
        gateway = self.graph.node(
            f"{leaf}_{label.removeprefix('on_')}_choice",
            "exclusiveGateway",
            f"{label.removeprefix('on_')}?",
            scope,
            "gateway",
            state=leaf,
        )
        self.graph.link(source, gateway, **named)  # type: ignore[arg-type]
        for transition in candidates:
            target = transition.target or "(stay)"
            caught = catches_here(transition)
            if transition.guard is None and extra is None and caught is None:
                self.take(
                    gateway,
                    leaf,
                    transition,
                    back=back,
                    default=True,
                    name="else" if transition.is_else else target,
                )
                return
            guard = None if transition.guard is None else Guard(transition.guard)
            text = (
                "else" if transition.is_else else (render(transition.guard) if transition.guard else target)
            )
            if caught is not None:
                text = f"on error {transition.event}" + ("" if transition.guard is None else f" and {text}")
            condition = conjoin(extra, caught, guard)
            self.take(gateway, leaf, transition, back=back, condition=condition, name=text)
        if otherwise is not None:
            self.graph.link(gateway, otherwise(), default=True, name="no guard holds")

    def take(
        self,
        source: str,
        leaf: str,
        transition: ir.Transition,
        *,
        back: str | None,
        condition: Condition | None = None,
        default: bool = False,
        name: str = "",
    ) -> None:
        """One chosen transition, through its governance gate when it has one."""
        if not (transition.permissions or transition.evidence or transition.scope):
            self.path(source, leaf, transition, back=back, condition=condition, default=default, name=name)
            return
        scope = self.graph.scope_of(source)
        lock = transition.scope or (self.machine.scope if transition.permissions else None)  # the runtime's
        gate = Gate(transition.permissions, lock, transition.evidence)
        needs = ", ".join((*transition.permissions, *(f"evidence {e}" for e in transition.evidence)))
        gateway = self.graph.node(
            f"{leaf}_gate",
            "exclusiveGateway",
            f"requires {needs or transition.scope}?",
            scope,
            "gateway",
            state=leaf,
        )
        self.graph.link(source, gateway, condition=condition, default=default, name=name)
        self.path(gateway, leaf, transition, back=back, condition=gate, name="granted")
        assert back is not None
        denied = self.marker("refused", "refused: permission denied", scope, leaf, back)
        self.graph.link(gateway, denied, default=True, name="denied")

    def handle(self, source: str, leaf: str, event: str, handling: Handling, back: str) -> None:
        """What follows a caught message: the candidates, then a refusal or an ignore."""
        scope = self.graph.scope_of(source)

        def otherwise() -> str:
            if handling.terminal == "ignore":
                return self.marker("ignored", f"ignore {event}", scope, leaf, back)
            reason = handling.reason or "no guard holds"
            return self.marker("refused", f"refused: {reason}", scope, leaf, back)

        if handling.terminal == "taken":
            self.decide(source, leaf, handling.candidates, label=f"on_{event}", back=back, otherwise=None)
        else:
            self.decide(
                source, leaf, handling.candidates, label=f"on_{event}", back=back, otherwise=otherwise
            )

    def caught(self, leaf: str, levels: list[str], skip: Sequence[str] = ()) -> list[tuple[str, Handling]]:
        """The events a leaf's wait catches (refused-only events are not caught: the engine drops them)."""
        found: list[tuple[str, Handling]] = []
        for event in self.resolver.events_of(levels):
            if event in skip:
                continue
            handling = self.resolver.handling(levels, event)
            if handling.candidates or handling.terminal == "ignore":
                found.append((event, handling))
        return found

    def timer(self, transition: ir.Transition) -> EventDef:
        """A duration timer for a timeout transition."""
        return EventDef("timer", duration_ms=transition.after_ms or 0)

    def note_compound_timers(self, leaf: str, timeouts: Sequence[ir.Transition]) -> None:
        """SW947 for a compound's timeout flattened onto a child."""
        for transition in timeouts:
            if transition.source != leaf:
                self.note(
                    checks.COMPOUND_TIMER_RESTARTS,
                    f"the timeout of `{transition.source}` is written on each child's wait",
                    transition.span,
                )


def catches(transition: ir.Transition) -> Guard | None:
    """The condition `error.name == "NAME"` of an `on error NAME` catch (None for anything else).

    A named catch is one more guard at the failure's choice gateway, read from
    the `error` variable the failure set; `Resolver.errors` puts it before the
    catch-alls, as `Dispatch.caught` tries them.
    """
    if transition.kind != "error" or transition.event is None:
        return None
    name = ir.Var(input_name("error", "name"), "string")
    return Guard(ir.BinOp("==", name, ir.Lit(transition.event, "string"), "bool"))


Step = tuple[str, str, "str | ir.Action"]
"""A step of a path: ("exit"/"act", scope, action), ("leave", parallel, target), ("to", scope, node)."""
SHARED = ("exit", "leave")
"""The steps from which the rest of a path is drawn once: leaving a state (its exit actions, a
sub-process's escalation). A transition's own actions start no shared rest: sharing a compound's
transition drawn on each child's wait joined distant parts of the diagram (expense_approval: 73
crossings became 86)."""


class _Cursor:
    """Where a path continues from, and the attributes its first flow still has to take."""

    def __init__(
        self, graph: Graph, source: str, condition: Condition | None, default: bool, name: str, doc: str
    ) -> None:
        self.graph = graph
        self.source = source
        self.first: tuple[Condition | None, bool, str, str] | None = (condition, default, name, doc)

    def step(self, target: str) -> None:
        """Link the current source to `target` and continue from there."""
        if self.first is not None:
            condition, default, name, doc = self.first
            self.graph.link(self.source, target, condition=condition, default=default, name=name, doc=doc)
            self.first = None
        else:
            self.graph.link(self.source, target)
        self.source = target
