"""Lower one machine to a BPMN graph: a segment per leaf state, sub-processes for parallel states.

Every leaf `L` becomes a *milestone* (a none intermediate throw event named `L`,
so the diagram and the execution both show "the workflow is now in L"), its
entry actions, then a wait that depends on what the state is:

- invoked work: a service task with an error boundary (into an explicit retry
  loop, then the `error` transitions), timer boundaries for the hard timeouts,
  message boundaries for the events, non-interrupting timers for `warn after`;
- an approval level: a user task (multi-instance with a completion condition
  for a quorum above one) and a decision gateway;
- a checkpoint: a user task completed by the acknowledgement;
- otherwise: an event-based gateway over message and timer catch events.

Timer boundaries of user tasks lead through an escalation throw event, never an
error event. Compound states are flattened (their transitions and timeouts are
written on each child's wait); parallel states become embedded sub-processes
with a parallel split and join, left early through escalation end events.
"""

from __future__ import annotations

from collections.abc import Sequence

from statewright import ir
from statewright.ir.text import format_duration, render
from statewright.source import NO_SPAN, Span
from statewright.targets.bpmn import checks
from statewright.targets.bpmn.conditions import Decision, Guard, Retry, conjoin
from statewright.targets.bpmn.graph import chain, ncname
from statewright.targets.bpmn.model import EventDef, Model
from statewright.targets.bpmn.paths import PathBuilder
from statewright.targets.bpmn.resolve import Handling
from statewright.targets.bpmn.undo import Position, chosen, recorded, within

DECISIONS = ("approve", "reject", "delegate")


class Lowering(PathBuilder):
    """Builds the graph for one machine; `model()` returns the frozen result."""

    # ------------------------------------------------------------------ the whole process

    def model(self) -> Model:
        """Build every segment and freeze the graph."""
        for state in self.machine.states:
            if state.kind == "parallel":
                self.subprocess[state.name] = self.graph.node(
                    state.name,
                    "subProcess",
                    state.name,
                    self.scope(state.name),
                    "parallel",
                    state=state.name,
                    doc=self.doc(state.doc, self.where(state.span)),
                )
        start = self.graph.node("start", "startEvent", "start", self.graph.process_id, "start")
        actions, destination = self.entering(self.machine.initial, None, NO_SPAN)
        chain_end = chain(self.graph, start, self.actions(actions, self.graph.process_id, None))
        self.graph.link(chain_end, destination)
        for state in self.machine.states:
            if state.kind == "parallel":
                self.parallel(state)
        for name in self.hierarchy.leaves:
            if not self.undo.skipped(name):  # drawn by the first chain's segment
                self.leaf(self.states[name])
        self.spread_emits()
        model = self.graph.finish(
            self.machine.name, self.doc(self.machine.doc, self.where(self.machine.span))
        )
        for finding in checks.shared_messages(model, self.machine.span):
            self.note(finding.code, finding.message, finding.span)
        if not any(n.kind == "endEvent" for n in model.in_scope(model.process_id)):
            self.note(
                checks.NO_FINAL_STATE, f"workflow `{self.machine.name}` can never finish", self.machine.span
            )
        return model

    # ------------------------------------------------------------------ leaves

    def leaf(self, state: ir.State) -> None:
        """The segment of one leaf: milestone, entry actions, wait."""
        name = state.name
        scope = self.scope(name)
        doc = self.doc(state.doc, state.outcome_reason, self.where(state.span))
        if self.hierarchy.is_top_final(name):
            nodes = self.actions(state.entry, scope, name)
            end = self.graph.node(
                name,
                "endEvent",
                name,
                scope,
                "final",
                state=name,
                outcome=state.outcome or "success",
                doc=doc,
            )
            self.graph.entries[name] = nodes[0] if nodes else end
            chain(self.graph, nodes[0], [*nodes[1:], end]) if nodes else None
            return
        shown, position = name, self.undo.positions.get(name)
        if position is not None and state.invoke is not None:  # stands for every exit's state here
            shown = f"{position.group.saga} left early: {state.invoke.action}"
            doc = self.doc(*(self.states[alike].doc for alike in position.alike), self.where(state.span))
        milestone = self.graph.node(
            name, "intermediateThrowEvent", shown, scope, "milestone", state=name, doc=doc
        )
        if position is None:
            self.graph.entries[name] = milestone
        else:  # each way in records its exit first
            self.shared_entries(position, milestone, scope)
        current = chain(self.graph, milestone, self.actions(state.entry, scope, name))
        levels = self.resolver.inner_chain(name)
        if state.kind == "final":
            parent = state.parent
            assert parent is not None
            grand = self.states[parent].parent
            if grand is not None and self.states[grand].kind == "parallel":
                self.graph.link(current, self.joins[grand])
                return
            completions = self.resolver.transitions(parent, "completion")
            if completions:
                self.decide(current, name, completions, label="complete", back=None, otherwise=None)
                return
        always = self.resolver.transitions(name, "always")
        if always:
            otherwise = None if always[-1].guard is None else (lambda: self.stuck(name, scope, state.span))
            self.decide(current, name, always, label="route", back=None, otherwise=otherwise)
            return
        if name in self.levels:
            self.approval(current, state, levels)
        elif name in self.checkpoints:
            self.checkpoint(current, state, levels)
        elif state.invoke is not None:
            self.work(current, state, levels)
        else:
            if state.soft_timeouts:
                self.note(checks.SOFT_TIMEOUT_DROPPED, _warn_dropped(name), state.soft_timeouts[0].span)
            self.event_wait(current, name, levels)
        for level in levels[1:]:
            if self.states[level].soft_timeouts:
                self.note(checks.SOFT_TIMEOUT_DROPPED, _warn_dropped(level), self.states[level].span)

    def stuck(self, leaf: str, scope: str, span: Span) -> str:
        """An end event for a state with no way on (SW945)."""
        self.note(checks.WAITS_FOR_NOTHING, f"state `{leaf}` has nothing to wait for", span)
        return self.graph.node(
            f"{leaf}_stuck", "endEvent", f"{leaf}: nothing to wait for", scope, "stuck", state=leaf
        )

    def event_wait(self, source: str | None, leaf: str, levels: list[str]) -> str:
        """An event-based gateway over the leaf's messages and timers; returns where refusals loop back."""
        scope = self.scope(leaf)
        branches = self.caught(leaf, levels)
        timeouts = self.resolver.eventless(levels, "timeout")
        self.note_compound_timers(leaf, timeouts)
        if not branches and not timeouts:
            end = self.stuck(leaf, scope, self.states[leaf].span)
            if source is not None:
                self.graph.link(source, end)
            return end
        gateway: str | None = None
        if len(branches) + len(timeouts) > 1:
            gateway = self.graph.node(
                f"{leaf}_wait", "eventBasedGateway", f"wait in {leaf}", scope, "wait", state=leaf
            )
            back = gateway
        catches: list[tuple[str, str, Handling]] = []
        for event, handling in branches:
            node = self.graph.node(
                f"{leaf}_on_{event}",
                "intermediateCatchEvent",
                event,
                scope,
                "catch",
                state=leaf,
                owner=event,
                event=self.receive(event, leaf),
                data=self.payload(event),
            )
            catches.append((node, event, handling))
        timers: list[tuple[str, ir.Transition]] = []
        for transition in timeouts:
            node = self.graph.node(
                f"{leaf}_timeout",
                "intermediateCatchEvent",
                f"after {format_duration(transition.after_ms or 0)}",
                scope,
                "timeout",
                state=leaf,
                owner=transition.source,
                event=self.timer(transition),
                doc=self.where(transition.span),
            )
            timers.append((node, transition))
        if gateway is None:
            back = catches[0][0] if catches else timers[0][0]
        if source is not None:
            self.graph.link(source, back)
        for node, event, handling in catches:
            if gateway is not None:
                self.graph.link(gateway, node)
            self.handle(node, leaf, event, handling, back)
        for node, transition in timers:
            if gateway is not None:
                self.graph.link(gateway, node)
            self.path(node, leaf, transition, back=back)
        return back

    def boundaries(
        self, activity: str, leaf: str, levels: list[str], skip: Sequence[str], escalate: bool
    ) -> None:
        """Message boundaries for the events and timer boundaries for the hard timeouts of an activity."""
        scope = self.graph.scope_of(activity)
        for event, handling in self.caught(leaf, levels, skip):
            node = self.graph.node(
                f"{leaf}_on_{event}",
                "boundaryEvent",
                event,
                scope,
                "catch",
                state=leaf,
                owner=event,
                event=self.receive(event, leaf),
                attached_to=activity,
                data=self.payload(event),
            )
            self.handle(node, leaf, event, handling, activity)
        timeouts = self.resolver.eventless(levels, "timeout")
        self.note_compound_timers(leaf, timeouts)
        for transition in timeouts:
            node = self.graph.node(
                f"{leaf}_timeout",
                "boundaryEvent",
                f"after {format_duration(transition.after_ms or 0)}",
                scope,
                "timeout",
                state=leaf,
                owner=transition.source,
                event=self.timer(transition),
                attached_to=activity,
                doc=self.where(transition.span),
            )
            if escalate:
                code = ncname(f"timeout_{transition.source}")
                up = self.graph.node(
                    f"{leaf}_escalate",
                    "intermediateThrowEvent",
                    f"escalate: no answer in {format_duration(transition.after_ms or 0)}",
                    scope,
                    "escalate",
                    state=leaf,
                    event=self.graph.event("escalation", code, code),
                )
                self.graph.link(node, up)
                node = up
            self.path(node, leaf, transition, back=activity)
        for number, soft in enumerate(self.states[leaf].soft_timeouts):
            node = self.graph.node(
                f"{leaf}_warn",
                "boundaryEvent",
                f"warn after {format_duration(soft.after_ms)}",
                scope,
                "soft_timeout",
                state=leaf,
                owner=f"{leaf}#{number}",
                event=EventDef("timer", duration_ms=soft.after_ms),
                attached_to=activity,
                interrupting=False,
                doc=self.doc(soft.message, self.where(soft.span)),
            )
            end = self.graph.node(
                f"{leaf}_warned", "endEvent", soft.message or "warned", scope, "warned", state=leaf
            )
            chain(self.graph, node, [*self.actions(soft.actions, scope, leaf), end])

    def work(self, source: str, state: ir.State, levels: list[str]) -> None:
        """Invoked work: a service task, its retry loop, its boundaries, then `done` or a post-work wait."""
        leaf, invoke = state.name, state.invoke
        assert invoke is not None
        scope = self.scope(leaf)
        retry = invoke.retry
        counter = f"attempts_{ncname(leaf)}"
        if retry is not None and not self.native_retries:
            reset = self.graph.node(
                f"{leaf}_attempts",
                "scriptTask",
                "count attempts from 0",
                scope,
                "retry",
                state=leaf,
                counter=counter,
            )
            self.graph.link(source, reset)
            source = reset
        doc = self.doc(
            f"invoke {invoke.action}",
            f"idempotency key: {invoke.key}" if invoke.key else None,
            f"service: {invoke.service}" if invoke.service else None,
            describe_retry(retry),
            f"heartbeat: {format_duration(invoke.heartbeat_ms)}" if invoke.heartbeat_ms else None,
            self.where(invoke.span),
        )
        task = self.graph.node(
            f"{leaf}_work",
            "serviceTask",
            invoke.action,
            scope,
            "work",
            state=leaf,
            work=invoke,
            doc=doc,
            data=tuple(f.name for f in invoke.result),
        )
        self.graph.link(source, task)
        if retry is not None:
            if (retry.backoff != "fixed" or retry.base_ms) and not self.native_retries:
                message = f"`{leaf}` retries at once here: its backoff is documented, not waited"
                self.note(checks.BACKOFF_NOT_WAITED, message, retry.span)
            if not self.native_retries and self.resolver.eventless(levels, "timeout"):
                message = f"the timeout of `{leaf}` starts again with every retry"
                self.note(checks.TIMEOUT_PER_ATTEMPT, message, retry.span)
            if retry.jitter != "none":
                message = f"the `{retry.jitter}` jitter of `{leaf}` has no BPMN form: it is documented only"
                self.note(checks.JITTER_NOT_EXPRESSED, message, retry.span)
        failed = self.graph.node(
            f"{leaf}_error",
            "boundaryEvent",
            "work fails",
            scope,
            "error",
            state=leaf,
            attached_to=task,
            event=EventDef("error"),
        )
        errors = self.resolver.errors(levels)

        def fails() -> str:
            return self.instance_fails(leaf, scope, f"{invoke.action} failed: instance fails")

        failure_source = failed
        give_up = False
        if retry is not None and not self.native_retries:
            gateway = self.graph.node(
                f"{leaf}_retry", "exclusiveGateway", "retry?", scope, "gateway", state=leaf
            )
            self.graph.link(failed, gateway)
            count = self.graph.node(
                f"{leaf}_count",
                "scriptTask",
                "count the attempt",
                scope,
                "retry",
                state=leaf,
                counter=counter,
                owner="+1",
            )
            self.graph.link(
                gateway, count, condition=Retry(counter, retry.max_retries, retry.retry_on), name="retry"
            )
            self.graph.link(count, task)
            failure_source = gateway
            give_up = True
        if self.native_retries:
            # The engine retries inside the task and throws the final error by its name: an error
            # boundary per caught name (code NAME), the catch-all for every other name.
            for name in self.resolver.error_names(levels):
                named = self.graph.node(
                    f"{leaf}_error_{name}",
                    "boundaryEvent",
                    f"fails with {name}",
                    scope,
                    "error",
                    state=leaf,
                    owner=name,
                    attached_to=task,
                    event=self.graph.event("error", name, name),
                )
                caught = self.resolver.caught(levels, name)
                self.decide(
                    named, leaf, caught, label=f"on_error_{name}", back=task, otherwise=fails, matched=True
                )
            catch_all = self.resolver.caught(levels, None)
            self.decide(failed, leaf, catch_all, label="on_error", back=task, otherwise=fails)
        else:
            self.decide(
                failure_source,
                leaf,
                errors,
                label="on_error",
                back=task,
                otherwise=fails,
                first_default=give_up,
            )
        if invoke.heartbeat_ms:
            beat = self.graph.node(
                f"{leaf}_heartbeat",
                "boundaryEvent",
                f"no heartbeat for {format_duration(invoke.heartbeat_ms)}",
                scope,
                "heartbeat",
                state=leaf,
                owner=leaf,
                event=EventDef("timer", duration_ms=invoke.heartbeat_ms),
                attached_to=task,
            )
            mark = self.graph.node(
                f"{leaf}_silent",
                "scriptTask",
                "error is HeartbeatTimeout",
                scope,
                "retry",
                state=leaf,
                owner="heartbeat",
                counter=counter,
                work=invoke,
            )
            self.graph.link(beat, mark)
            if failure_source == failed:
                self.decide(mark, leaf, errors, label="on_heartbeat", back=task, otherwise=fails)
            else:
                self.graph.link(mark, failure_source)
        self.boundaries(task, leaf, levels, (), escalate=False)
        position = self.undo.positions.get(leaf)
        if position is not None and position.last:
            self.continue_exit(task, position, scope)
            return
        dones = self.resolver.eventless(levels, "done")
        cached: list[str] = []

        def after() -> str:
            if not cached:
                cached.append(self.event_wait(None, leaf, levels))
            return cached[0]

        if dones and dones[-1].guard is None:
            self.decide(task, leaf, dones, label="on_done", back=None, otherwise=None)
        elif dones:
            self.decide(task, leaf, dones, label="on_done", back=None, otherwise=after)
        else:
            self.graph.link(task, after())

    def shared_entries(self, position: Position, milestone: str, scope: str) -> None:
        """The ways into a shared exit chain at one position: each records its exit, then the milestone."""
        self.graph.entries[within(position.drawn)] = milestone
        for exit_, (state, way) in enumerate(zip(position.alike, position.group.chains, strict=True), 1):
            record = self.graph.node(
                f"{state}_entry",
                "scriptTask",
                f"{position.group.saga} left toward {way.following}",
                scope,
                "action",
                action=recorded(position.variable, exit_),
                doc=self.doc(self.states[state].doc, f"records exit {exit_} in `{position.variable}`"),
            )
            self.graph.link(record, milestone)
            self.graph.entries[state] = record

    def continue_exit(self, task: str, position: Position, scope: str) -> None:
        """After a shared chain's last compensation: on toward the recorded exit's own target."""
        gateway = self.graph.node(
            f"{position.drawn}_exit_choice",
            "exclusiveGateway",
            "which exit?",
            scope,
            "gateway",
            state=position.drawn,
        )
        self.graph.link(task, gateway)
        for exit_, way in enumerate(position.group.chains, 1):
            last = way.states[-1]
            [done] = self.resolver.eventless(self.resolver.inner_chain(last), "done")
            condition = Guard(chosen(position.variable, exit_))
            self.take(gateway, last, done, back=None, condition=condition, name=f"toward {way.following}")

    def approval(self, source: str, state: ir.State, levels: list[str]) -> None:
        """An approval level: a user task (multi-instance for a quorum), the decision, its boundaries."""
        leaf = state.name
        scope = self.scope(leaf)
        approval, level = self.levels[leaf]
        doc = self.doc(
            f"approvers: {', '.join(level.approvers)}",
            f"quorum: {level.quorum}",
            f"routing: {approval.routing}",
            "delegation allowed" if approval.delegation else None,
            self.where(level.span),
        )
        task = self.graph.node(
            f"{leaf}_task",
            "userTask",
            f"approve {approval.state}: level {level.number}",
            scope,
            "approval",
            state=leaf,
            approvers=level.approvers,
            quorum=level.quorum,
            delegation=approval.delegation,
            doc=doc,
        )
        self.graph.link(source, task)
        gateway = self.graph.node(
            f"{leaf}_decision", "exclusiveGateway", "decision?", scope, "gateway", state=leaf
        )
        self.graph.link(task, gateway)
        rejects = self.resolver.handling(levels, "reject")
        approves = self.resolver.handling(levels, "approve")
        for transition in rejects.candidates:
            guard = None if transition.guard is None else Guard(transition.guard)
            self.take(
                gateway,
                leaf,
                transition,
                back=task,
                condition=conjoin(Decision("reject"), guard),
                name="rejected",
            )
        if not rejects.candidates:
            self.graph.link(
                gateway,
                self.marker("refused", "refused: reject", scope, leaf, task),
                condition=Decision("reject"),
                name="rejected",
            )
        for transition in approves.candidates:
            if transition.guard is None:
                self.take(gateway, leaf, transition, back=task, condition=None, default=True, name="approved")
                break
            self.take(
                gateway,
                leaf,
                transition,
                back=task,
                condition=conjoin(Decision("approve"), Guard(transition.guard)),
                name=render(transition.guard),
            )
        else:
            self.graph.link(
                gateway,
                self.marker("refused", "refused: no guard holds", scope, leaf, task),
                default=True,
                name="no guard holds",
            )
        self.boundaries(task, leaf, levels, DECISIONS, escalate=True)
        if approval.delegation and self.resolver.transitions(leaf, "event", "delegate"):
            node = self.graph.node(
                f"{leaf}_delegate",
                "boundaryEvent",
                "delegate",
                scope,
                "catch",
                state=leaf,
                owner="delegate",
                event=self.receive("delegate", leaf),
                attached_to=task,
                interrupting=False,
            )
            end = self.graph.node(
                f"{leaf}_delegated", "endEvent", "delegated", scope, "delegated", state=leaf
            )
            self.graph.link(node, end)

    def checkpoint(self, source: str, state: ir.State, levels: list[str]) -> None:
        """A checkpoint: a user task the acknowledgement completes, with an escalating timer."""
        leaf = state.name
        scope = self.scope(leaf)
        checkpoint = self.checkpoints[leaf]
        acknowledgements = [e.name for e in self.machine.events if e.kind == "checkpoint"]
        event = next((e for e in self.resolver.events_of(levels) if e in acknowledgements), "acknowledge")
        task = self.graph.node(
            f"{leaf}_task",
            "userTask",
            checkpoint.prompt.splitlines()[0] if checkpoint.prompt else f"acknowledge {leaf}",
            scope,
            "checkpoint",
            state=leaf,
            owner=event,
            approvers=(checkpoint.assignee,) if checkpoint.assignee else (),
            doc=self.doc(
                checkpoint.prompt,
                f"assignee: {checkpoint.assignee}" if checkpoint.assignee else None,
                self.where(checkpoint.span),
            ),
        )
        self.graph.link(source, task)
        handling = self.resolver.handling(levels, event)
        self.handle(task, leaf, event, handling, task)
        self.boundaries(task, leaf, levels, (event,), escalate=True)

    # ------------------------------------------------------------------ parallel states

    def parallel(self, state: ir.State) -> None:
        """A sub-process: start, split into regions, join, end; its boundaries and completion outside."""
        name = state.name
        inner = self.subprocess[name]
        start = self.graph.node(f"{name}_start", "startEvent", f"enter {name}", inner, "start")
        end = self.graph.node(f"{name}_done", "endEvent", f"{name} complete", inner, "end")
        if len(state.children) > 1:
            split = self.graph.node(f"{name}_split", "parallelGateway", "", inner, "split")
            join = self.graph.node(f"{name}_join", "parallelGateway", "", inner, "join")
            self.graph.link(start, split)
            self.graph.link(join, end)
        else:
            split, join = start, end
        self.joins[name] = join
        for region in state.children:
            actions, destination = self.entering(region, name, NO_SPAN)
            last = chain(self.graph, split, self.actions(actions, inner, None))
            self.graph.link(last, destination)
        levels = self.resolver.inner_chain(name)
        for event, handling in self.caught(name, levels):
            if any(t.guard is not None for t in handling.candidates) or handling.terminal != "taken":
                self.note(checks.PARALLEL_REFUSAL_RESTARTS, f"`{event}` on `{name}`", state.span)
        activity = self.subprocess[name]
        self.boundaries(activity, name, levels, (), escalate=False)
        completions = self.resolver.transitions(name, "completion")
        if completions:
            otherwise = (
                None
                if completions[-1].guard is None
                else (lambda: self.stuck(name, self.scope(name), state.span))
            )
            self.decide(activity, name, completions, label="complete", back=None, otherwise=otherwise)
        else:
            self.graph.link(activity, self.stuck(name, self.scope(name), state.span))


def describe_retry(retry: ir.RetryPolicy | None) -> str | None:
    """The retry policy in words, for documentation."""
    if retry is None:
        return None
    count = "unlimited" if retry.max_retries is None else str(retry.max_retries)
    parts = [f"retry {count}", f"backoff {retry.backoff} {format_duration(retry.base_ms)}"]
    if retry.cap_ms is not None:
        parts[-1] += f"..{format_duration(retry.cap_ms)}"
    if retry.backoff == "exponential":
        parts.append(f"factor {retry.factor}")
    parts.append(f"jitter {retry.jitter}")
    if retry.retry_on:
        parts.append("retry_on " + ", ".join(retry.retry_on))
    if retry.dead_letter:
        parts.append(f"dead_letter -> {retry.dead_letter}")
    return " ".join(parts)


def _warn_dropped(state: str) -> str:
    """SW942's message: a `warn after` the BPMN cannot raise."""
    return f"the `warn after` of `{state}` has no place in BPMN: it is kept in the documentation, not raised"
