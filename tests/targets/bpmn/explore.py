"""Coverage-driven scenarios: walk each example toward the leaf states no scenario has entered yet.

Random scenarios mostly end early (every state takes `cancel` or `abort`), so
besides the Hypothesis scenarios each example gets a few deterministic walks:
at every step the candidate steps (handled events as each approver, owed work
succeeding or failing, pending timeouts) are tried on a replay of the reference
instance, and the first one that enters an unseen leaf is taken (else the
first accepted one that does not finish the instance).
"""

from __future__ import annotations

from statewright import ir
from statewright.testing.python_engine import PythonRun
from statewright.testing.scenario import Scenario, Send, Step, Timeout, WorkDone
from statewright.testing.values import event_payload, simplest_data, work_result


def _actor(approver: str) -> tuple[str | None, tuple[str, ...]]:
    if approver.startswith("user:"):
        return approver.split(":", 1)[1], ()
    return f"{approver.split(':', 1)[-1]}.person", (approver,)


def candidates(machine: ir.Machine, run: PythonRun) -> list[Step]:
    """Steps worth trying next from this instance."""
    choices = run.choices()
    permissions = tuple(sorted({p for t in machine.transitions for p in t.permissions}))
    evidence = tuple((e, "yes") for e in sorted({e for t in machine.transitions for e in t.evidence}))
    found: list[Step] = []
    for event in choices.handled:
        if event in ("approve", "reject", "delegate", "acknowledge"):  # approvers or the assignee
            for approver in choices.approvers:
                actor, roles = _actor(approver)
                found.append(Send(event, actor, roles, delegate_to="deputy" if event == "delegate" else None))
        else:
            data = simplest_data(event_payload(machine, event))
            found.append(Send(event, "operator", permissions, evidence, data=data))
    for owed in choices.owed:
        found.append(WorkDone(owed.state, result=simplest_data(work_result(machine, owed.state))))
        found.extend(WorkDone(owed.state, error) for error in owed.errors)
    found.extend(Timeout(state) for state in choices.timeouts)
    return found


def walks(
    machine: ir.Machine, context: dict[str, ir.Value], max_walks: int = 5, max_steps: int = 18
) -> list[Scenario]:
    """Deterministic scenarios that together enter as many leaves as a greedy walk finds."""
    seen: set[str] = set()
    scenarios: list[Scenario] = []
    for walk in range(max_walks):
        run = PythonRun(machine, context)
        if run.start_error is not None:
            return scenarios
        before = len(seen)
        seen.update(run.observe(True).entered)
        steps: list[Step] = []
        for _ in range(max_steps):
            if run.choices().finished:
                break
            picked: tuple[Step, PythonRun, tuple[str, ...]] | None = None
            fallbacks: list[tuple[Step, PythonRun, tuple[str, ...]]] = []
            for step in candidates(machine, run):
                trial = _replayed(machine, context, steps)
                observation = trial.apply(step)
                if set(observation.entered) - seen:
                    picked = (step, trial, observation.entered)
                    break
                if observation.accepted and observation.status == "running":
                    fallbacks.append((step, trial, observation.entered))
            if picked is None and fallbacks:
                picked = fallbacks[(walk + len(steps)) % len(fallbacks)]
            if picked is None:
                break
            step, run, entered = picked
            seen.update(entered)
            steps.append(step)
        if len(seen) == before and scenarios:
            continue
        scenarios.append(Scenario(tuple(context.items()), tuple(steps)))
    return scenarios


def _replayed(machine: ir.Machine, context: dict[str, ir.Value], steps: list[Step]) -> PythonRun:
    run = PythonRun(machine, context)
    for step in steps:
        run.apply(step)
    return run
