"""The engines the recommendation weighs: their limits (with sources in docs/ENGINES.md) and losses.

Everything here is data about an engine or about what its statewright target
approximates (docs/targets/*.md, the SW92x and SW94x lints); `recommendation.py`
weighs it against a workflow's requirements and design. Change a limit here,
with its source in docs/ENGINES.md, when an engine changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from statewright import ir
from statewright.report.design_facts import DesignFacts

DAY_MS = 86_400_000
EXPRESS_MAX_MS = 5 * 60_000
"""Step Functions Express: an execution runs at most 5 minutes."""
STANDARD_MAX_MS = 365 * DAY_MS
"""Step Functions Standard: an execution runs at most 1 year."""
STANDARD_HISTORY = 25_000
"""Step Functions Standard: at most 25,000 events in one execution's history."""
ASL_EVENTS_PER_STATE = 5
"""History events one state visit costs on Step Functions, as the asl target's SW930 bound counts them."""
TEMPORAL_EVENTS_PER_STATE = 6
"""History events one state visit costs on Temporal at most: a timer or an activity (scheduled, started,
completed), a signal or update, a workflow task (retries of an activity add none)."""
TEMPORAL_HISTORY = 51_200
"""Temporal: at most 51,200 events (or 50 MB) in one workflow execution's history."""
STEP_FUNCTIONS_PAYLOAD = 262_144
"""Step Functions: at most 256 KiB of input or output for a task, a state or an execution."""
TEMPORAL_PAYLOAD = 2 * 1024 * 1024
"""Temporal: a payload (an argument or result) errors at 2 MB (warns at 256 KB)."""
SQLITE_STEPS_PER_SECOND = 3_786
"""The python runtime's durable steps per second, one transaction each, WAL with synchronous=FULL
(docs/PERFORMANCE.md, measured on the project's benchmark machine)."""
SQLITE_COMFORTABLE = 1_000
"""Past this many steps per second on one SQLite file the recommendation warns of little headroom."""
STANDARD_START_RATE = 300
"""Step Functions Standard: StartExecution refills 300 per second in the largest regions (a soft quota)."""

DURABILITY_ORDER: tuple[ir.Durability, ...] = ("none", "process_crash", "machine_loss", "zone_loss")
DURABILITY_TEXT = {
    "none": "nothing needs to survive a crash",
    "process_crash": "survive a process crash",
    "machine_loss": "survive losing a machine",
    "zone_loss": "survive losing an availability zone",
}


@dataclass(frozen=True, slots=True)
class Engine:
    """One engine statewright can target, and the limits the recommendation checks."""

    id: str
    name: str
    target: str
    durability: ir.Durability
    """The most it gives (with a deployment built for it, for the self-hosted ones)."""
    hosting: frozenset[str]
    """`serverless`, `managed`, `self_hosted`: how it can be run."""
    max_run_ms: int | None
    callbacks: bool
    """Whether an execution can wait for an outside answer (an event, a person, finished work)."""
    vendor_locked: bool
    languages: dict[str, int] = field(default_factory=dict)
    """How well handlers in each language fit (2 best; missing: 0)."""


_ANY_SDK = {"go": 1, "java": 1, "typescript": 1, "javascript": 1, "dotnet": 1}
ENGINES: tuple[Engine, ...] = (
    Engine(
        "python",
        "python runtime (embedded SQLite, one machine)",
        "python",
        "process_crash",
        frozenset({"self_hosted"}),
        None,
        True,
        False,
        {"python": 2},
    ),
    Engine(
        "temporal",
        "Temporal (self-hosted, or Temporal Cloud)",
        "temporal",
        "zone_loss",
        frozenset({"self_hosted", "managed"}),
        None,
        True,
        False,
        {"python": 2, **_ANY_SDK},
    ),
    Engine(
        "stepfunctions-standard",
        "AWS Step Functions Standard",
        "asl",
        "zone_loss",
        frozenset({"serverless", "managed"}),
        STANDARD_MAX_MS,
        True,
        True,
        {"python": 1, **_ANY_SDK},
    ),
    Engine(
        "stepfunctions-express",
        "AWS Step Functions Express",
        "asl",
        "none",
        frozenset({"serverless", "managed"}),
        EXPRESS_MAX_MS,
        False,
        True,
        {"python": 1, **_ANY_SDK},
    ),
    Engine(
        "camunda8",
        "Camunda 8 (Zeebe; SaaS or Self-Managed)",
        "bpmn-zeebe",
        "zone_loss",
        frozenset({"self_hosted", "managed"}),
        None,
        True,
        False,
        {"java": 2, "go": 1, "typescript": 1, "javascript": 1},
    ),
)
"""Every engine weighed, in the order that breaks ties."""


# --------------------------------------------------------------------------- what each target loses


def _python_losses(design: DesignFacts) -> list[str]:
    losses = ["one machine: a lost disk loses its instances (replicate the file yourself if that matters)"]
    losses.append("timers fire only while a process calls `Runtime.tick`")
    if design.human_steps:
        losses.append("no task list: people act through `statewright run send` or your API")
    return losses


def _temporal_losses(design: DesignFacts) -> list[str]:
    losses = ["the `temporal` target is new (issue 18): read its build diagnostics"]
    if design.jitter:
        losses.append(
            f"retry jitter ({', '.join(design.jitter)}): Temporal's RetryPolicy has no jitter setting "
            "(a target diagnostic)"
        )
    if design.human_steps:
        losses.append("no task list for human steps: updates and queries, your UI")
    return losses


def _asl_losses(design: DesignFacts) -> list[str]:
    losses: list[str] = []
    if design.evaluator:
        losses.append(
            "guards the verifier proved are kept, but what Choice rules cannot compute runs in the "
            f"StatewrightEvaluator Lambda (Python, SW921): {'; '.join(design.evaluator)}"
        )
    if design.soft_timeouts:
        losses.append(f"{design.soft_timeouts} `warn after` timer(s) are not expressed (SW924)")
    approximated = [*(f"{kind} jitter" for kind in design.jitter if kind != "full")]
    approximated += ["linear backoff"] if design.linear_backoff else []
    if approximated:
        losses.append(f"retries approximated: {', '.join(approximated)} (SW922)")
    if design.subsecond:
        losses.append("sub-second durations are rounded up to whole seconds (SW923)")
    if design.widest_parallel:
        losses.append("parallel regions do not share `set`s or other regions' exit actions (SW926)")
    if design.delegation:
        losses.append("delegation is limited to three slots per approval level (SW932)")
    losses.append("decimals travel as floating-point JSON numbers in the state data")
    losses.append("timers restart when a wait is re-entered after a refused event")
    return losses


def _express_losses(design: DesignFacts) -> list[str]:
    return ["no execution history unless CloudWatch Logs are configured", *_asl_losses(design)]


def _zeebe_losses(design: DesignFacts) -> list[str]:
    losses = [
        "guards become FEEL: numbers are the engine's (the runtime's exact decimals are not guaranteed), "
        "the verifier's proofs hold for the spec, not for FEEL arithmetic",
        "the bpmn-zeebe output is schema- and lint-checked, not executed in statewright's tests",
    ]
    if design.soft_timeouts:
        losses.append(f"{design.soft_timeouts} `warn after` timer(s) are kept as documentation only (SW942)")
    if design.jitter:
        losses.append("retry jitter is left to the job worker (SW941)")
    if design.compound_timers:
        losses.append(
            f"timers of compound states restart per child ({', '.join(design.compound_timers)}; SW947)"
        )
    if design.widest_parallel:
        losses.append(
            "leaving a parallel state from one region skips the other regions' exit actions (SW946)"
        )
    return losses


_LOSSES: dict[str, Callable[[DesignFacts], list[str]]] = {
    "python": _python_losses,
    "temporal": _temporal_losses,
    "stepfunctions-standard": _asl_losses,
    "stepfunctions-express": _express_losses,
    "camunda8": _zeebe_losses,
}


def losses_on(engine: Engine, design: DesignFacts) -> list[str]:
    """What a workflow with this design loses on `engine`: its target's approximations and limits."""
    return _LOSSES[engine.id](design)
