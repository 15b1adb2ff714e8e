"""Heartbeat work of every kind, and scenarios in which it misses its heartbeat (issue 16).

LANGUAGE.md §7: silence past `heartbeat D` is a failed attempt, retried by the
policy when it retries every error or names `HeartbeatTimeout`, and when the
work fails for good the state leaves by `dead_letter`; with nothing to handle
the failure the instance fails. A hard `timeout` never takes a missed
heartbeat. Shared by the Step Functions and BPMN equivalence tests.
"""

from __future__ import annotations

import functools

from statewright import ir
from statewright.diagnostics.model import Severity
from statewright.pipeline import compile_text
from statewright.testing.scenario import Send, Step, Timeout, WorkDone

HEARTBEATS = """workflow Heartbeats {
  # Heartbeat work of every kind: no policy, a policy for every error, one naming
  # the heartbeat, one not, nested, and in parallel regions.
  context {
    route: enum { bare, every, named, unnamed, nested, parallel } = bare
  }
  events { go, ok }
  initial state Choosing {
    on go when route == bare -> Bare
    on go when route == every -> Every
    on go when route == named -> Named
    on go when route == unnamed -> Unnamed
    on go when route == nested -> Outer
    on go when route == parallel -> Both
    timeout 1h -> TimedOut
  }
  state Bare {
    invoke work_bare heartbeat 10s
    timeout 5m -> TimedOut
    done -> Finished
  }
  state Every {
    invoke work_every heartbeat 10s
    retry 2 dead_letter -> DeadLettered
    timeout 5m -> TimedOut
    done -> Finished
  }
  state Named {
    invoke work_named heartbeat 10s
    retry 1 retry_on HeartbeatTimeout, Flaky dead_letter -> DeadLettered
    timeout 5m -> TimedOut
    done -> Finished
  }
  state Unnamed {
    invoke work_unnamed heartbeat 10s
    retry 3 retry_on Flaky dead_letter -> DeadLettered
    timeout 5m -> TimedOut
    done -> Finished
  }
  state Outer {
    timeout 5m -> TimedOut
    initial state Inner {
      invoke work_inner heartbeat 10s
      retry 1 retry_on HeartbeatTimeout dead_letter -> DeadLettered
      done -> Finished
    }
  }
  parallel Both {
    region Left {
      initial state LeftBeating {
        invoke work_left heartbeat 10s
        timeout 5m -> TimedOut
        on ok -> LeftDone
      }
      final state LeftDone
    }
    region Right {
      initial state RightBeating {
        invoke work_right heartbeat 10s
        retry 1 dead_letter -> DeadLettered
        timeout 5m -> TimedOut
        done -> RightDone
      }
      final state RightDone
    }
    done -> Finished
  }
  final state Finished
  final state TimedOut { outcome failure "too slow" }
  final state DeadLettered { outcome failure "the work failed for good" }
}
"""


@functools.cache
def heartbeats() -> ir.Machine:
    """The spec above, compiled once (its warnings, on unhandled events and keys, are beside the point)."""
    result = compile_text(HEARTBEATS, "heartbeats.wf")
    assert result.machine is not None, result.diagnostics
    assert not [d for d in result.diagnostics if d.severity is Severity.ERROR], result.diagnostics
    return result.machine


def miss(state: str, times: int, clock: bool = True) -> tuple[Step, ...]:
    """`times` missed heartbeats of `state`'s work: the clock passing them, or the work reporting one."""
    step: Step = Timeout(state) if clock else WorkDone(state, "HeartbeatTimeout")
    return (step,) * times


def route(name: str) -> tuple[tuple[str, ir.Value], ...]:
    """The context that sends `go` to the state for `name`."""
    return (("route", name),)


GO: tuple[Step, ...] = (Send("go"),)
CASES = [
    # name, context, steps, the last observation's (active, status)
    ("bare", route("bare"), (*GO, *miss("Bare", 1)), (("Bare",), "failed")),
    ("every", route("every"), (*GO, *miss("Every", 2)), (("Every",), "running")),
    ("every-spent", route("every"), (*GO, *miss("Every", 3)), (("DeadLettered",), "failed")),
    ("every-reported", route("every"), (*GO, *miss("Every", 3, False)), (("DeadLettered",), "failed")),
    (
        "every-recovers",
        route("every"),
        (*GO, *miss("Every", 2), WorkDone("Every")),
        (("Finished",), "succeeded"),
    ),
    ("named", route("named"), (*GO, *miss("Named", 1)), (("Named",), "running")),
    ("named-spent", route("named"), (*GO, *miss("Named", 2)), (("DeadLettered",), "failed")),
    (
        "named-mixed",
        route("named"),
        (*GO, WorkDone("Named", "Flaky"), *miss("Named", 1)),
        (("DeadLettered",), "failed"),
    ),
    ("unnamed", route("unnamed"), (*GO, *miss("Unnamed", 1)), (("DeadLettered",), "failed")),
    ("unnamed-reported", route("unnamed"), (*GO, *miss("Unnamed", 1, False)), (("DeadLettered",), "failed")),
    ("nested", route("nested"), (*GO, *miss("Inner", 1)), (("Inner",), "running")),
    ("nested-spent", route("nested"), (*GO, *miss("Inner", 2)), (("DeadLettered",), "failed")),
    (
        "parallel-bare",
        route("parallel"),
        (*GO, *miss("LeftBeating", 1)),
        (("LeftBeating", "RightBeating"), "failed"),
    ),
    (
        "parallel-retried",
        route("parallel"),
        (*GO, *miss("RightBeating", 1)),
        (("LeftBeating", "RightBeating"), "running"),
    ),
    ("parallel-spent", route("parallel"), (*GO, *miss("RightBeating", 2)), (("DeadLettered",), "failed")),
    (
        "parallel-other-region",
        route("parallel"),
        (*GO, WorkDone("RightBeating"), *miss("LeftBeating", 1, False)),
        (("LeftBeating", "RightDone"), "failed"),
    ),
]
