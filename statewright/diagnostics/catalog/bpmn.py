"""SW940-SW950: the BPMN targets, what generic BPMN or Zeebe cannot say as written.

Reported by `targets/bpmn/` through `targets/bpmn/checks.py`.
"""

from statewright.diagnostics.model import Code, Severity

BACKOFF_NOT_WAITED = Code(
    "SW940",
    "bpmn-backoff-not-waited",
    Severity.WARNING,
    "generic BPMN retries a failed attempt at once: the backoff delay is documented, not waited",
    "use the `bpmn-zeebe` target (the job worker applies the backoff from the task headers), "
    "or accept immediate retries",
)
JITTER_NOT_EXPRESSED = Code(
    "SW941",
    "bpmn-jitter-not-expressed",
    Severity.WARNING,
    "BPMN has no notion of retry jitter; the jitter kind is documented only",
    "the job worker must randomise its backoff itself",
)
SOFT_TIMEOUT_DROPPED = Code(
    "SW942",
    "bpmn-soft-timeout-dropped",
    Severity.WARNING,
    "a `warn after` timer has no place in the BPMN: only tasks and sub-processes take "
    "non-interrupting boundary timers",
    "the warning is kept in the element's documentation; move the state's wait into an invoke or checkpoint",
)
DEEP_ENTRY = Code(
    "SW943",
    "bpmn-deep-parallel-entry",
    Severity.WARNING,
    "a transition targets a state inside a parallel state; the sub-process starts every region "
    "at its initial state",
    "target the parallel state itself",
)
PARALLEL_REFUSAL_RESTARTS = Code(
    "SW944",
    "bpmn-parallel-refusal-restarts",
    Severity.WARNING,
    "an event on a parallel state can be refused after its boundary event interrupted the "
    "sub-process, which then restarts its regions",
    "make the event's transitions on the parallel state unguarded",
)
WAITS_FOR_NOTHING = Code(
    "SW945",
    "bpmn-state-waits-for-nothing",
    Severity.WARNING,
    "a state that is not final has nothing to wait for; its BPMN token ends there",
    "give the state a transition out, or make it final",
)
REGION_EXIT_ACTIONS = Code(
    "SW946",
    "bpmn-region-exit-actions",
    Severity.WARNING,
    "leaving a parallel state from one region does not run the exit actions of the states "
    "active in its other regions",
    "move those exit actions onto the parallel state itself",
)
COMPOUND_TIMER_RESTARTS = Code(
    "SW947",
    "bpmn-compound-timer-per-child",
    Severity.INFO,
    "a compound state's timeout is flattened onto each child's wait, so it restarts when the child changes",
    "express the bound on the children, or make the compound state parallel (a sub-process)",
)
NO_FINAL_STATE = Code(
    "SW948",
    "bpmn-no-end",
    Severity.WARNING,
    "no top-level final state is reachable, so the process has no end event "
    "(bpmnlint's `end-event-required` rejects it)",
    "add a final state the workflow can reach",
)
TIMEOUT_PER_ATTEMPT = Code(
    "SW949",
    "bpmn-timeout-restarts-per-attempt",
    Severity.WARNING,
    "generic BPMN retries by looping back to the service task, so the state's hard timeout "
    "(a boundary timer of that task) starts again with every attempt",
    "use the `bpmn-zeebe` target (the engine retries the job inside the same task), "
    "or bound the attempts with the retry count",
)
MESSAGE_TWO_RECEIVERS = Code(
    "SW950",
    "bpmn-message-two-receivers",
    Severity.ERROR,
    "two catch events of one BPMN message can wait at the same time; a BPMN message is correlated "
    "to one waiting receiver, so a conforming engine (Camunda 8, bpmn-engine) delivers it to only one",
    "this is a bug in the bpmn target (each receiving region should get a message of its own); "
    "please report it with the spec",
)
