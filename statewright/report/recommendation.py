"""The engine recommendation: which engines fit a workflow's declared requirements and its design.

`recommend(machine)` is a pure function of the IR. Without a `requirements`
block it ranks nothing and says what to declare (SW811): an engine choice
without stated requirements is a guess. With one, every engine of `engines.py`
is weighed: the python runtime (embedded SQLite, one machine), Temporal
(self-hosted or Temporal Cloud), Step Functions Standard and Express, and
Camunda 8 (Zeebe). An engine *fits* when nothing blocks it: a requirement it
cannot meet (durability, hosting, longest run, volume, vendor lock) or a fact
of the design it cannot carry (a wait longer than Express's five minutes,
callbacks Express cannot make, a timer past Standard's one year). Fitting
engines are ranked by how well they match the stated preferences (hosting,
language, people in the loop, durability out of the box), then in the order of
`ENGINES`. Each engine also lists what the workflow would lose on it
(`engines.losses_on`). `recommendation_text.py` renders the result;
docs/ENGINES.md explains the ranking, with the sources of every limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from statewright import ir
from statewright.compiler.verify.graph import graph_of
from statewright.diagnostics.catalog.recommendation import NO_REQUIREMENTS
from statewright.ir.text import format_duration
from statewright.plugins.run import VerificationRun
from statewright.report.design_facts import DesignFacts, design_facts, volume_per_second
from statewright.report.engines import (
    ASL_EVENTS_PER_STATE,
    DAY_MS,
    DURABILITY_ORDER,
    DURABILITY_TEXT,
    ENGINES,
    SQLITE_COMFORTABLE,
    SQLITE_STEPS_PER_SECOND,
    STANDARD_HISTORY,
    STANDARD_START_RATE,
    STEP_FUNCTIONS_PAYLOAD,
    TEMPORAL_EVENTS_PER_STATE,
    TEMPORAL_HISTORY,
    TEMPORAL_PAYLOAD,
    Engine,
    losses_on,
)
from statewright.source import Span

EXAMPLE_KEYS = ("durability", "hosting", "longest_run", "volume", "human_steps", "language", "vendor_lock")
"""Every requirement key, in the language reference's order."""


@dataclass(frozen=True, slots=True)
class EngineFit:
    """How one engine fares: whether it fits, why, what stops it, and what the workflow would lose."""

    engine: Engine
    fits: bool
    score: int
    reasons: tuple[str, ...]
    blockers: tuple[str, ...]
    losses: tuple[str, ...]

    def to_dict(self, rank: int | None) -> dict[str, Any]:
        """The JSON form (`rank` counts from 1 among the engines that fit; None for the others)."""
        return {
            "engine": self.engine.id,
            "name": self.engine.name,
            "target": self.engine.target,
            "fits": self.fits,
            "rank": rank,
            "reasons": list(self.reasons),
            "blockers": list(self.blockers),
            "losses": list(self.losses),
        }


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One workflow's engine recommendation (`ranked` is empty when no requirements were declared)."""

    workflow: str
    file: str
    requirements: ir.Requirements | None
    design: DesignFacts
    ranked: tuple[EngineFit, ...]
    """Every engine, the fitting ones first in rank order; empty without requirements."""
    conflicts: tuple[str, ...]
    """Declared requirements the design contradicts (SW813)."""
    span: Span

    @property
    def declared(self) -> bool:
        """Whether the workflow declares a `requirements` block."""
        return self.requirements is not None

    @property
    def fitting(self) -> tuple[EngineFit, ...]:
        """The engines that fit, best first."""
        return tuple(fit for fit in self.ranked if fit.fits)

    def missing(self) -> tuple[str, ...]:
        """The requirement keys not declared (all of them without a block)."""
        declared = declared_values(self.requirements)
        return tuple(key for key in EXAMPLE_KEYS if key not in declared)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form under `check --format json`'s `recommendation` key (one object per workflow)."""
        data: dict[str, Any] = {
            "workflow": self.workflow,
            "file": self.file,
            "declared": self.declared,
            "requirements": declared_values(self.requirements),
            "design": design_dict(self.design),
        }
        if not self.declared:
            data["note"] = NO_REQUIREMENTS.title
            data["declare"] = list(self.missing())
            data["example"] = example_block(self.design)
            return data
        ranks = {fit.engine.id: index for index, fit in enumerate(self.fitting, start=1)}
        data["engines"] = [fit.to_dict(ranks.get(fit.engine.id)) for fit in self.ranked]
        data["conflicts"] = list(self.conflicts)
        data["undeclared"] = list(self.missing())
        return data


def recommend(machine: ir.Machine, run: VerificationRun | None = None) -> Recommendation:
    """Rank the engines for `machine` from its `requirements` block and its design (none without a block).

    With the machine's verification `run`, its leaf graph is reused rather than built again.
    """
    design = design_facts(machine, None if run is None else graph_of(run))
    requirements = machine.requirements
    span = requirements.span if requirements is not None else machine.span
    if requirements is None:
        return Recommendation(machine.name, machine.source, None, design, (), (), span)
    fits = [_assess(engine, requirements, design) for engine in ENGINES]
    order = {engine.id: index for index, engine in enumerate(ENGINES)}
    ranked = sorted(fits, key=lambda fit: (not fit.fits, -fit.score, order[fit.engine.id]))
    conflicts = _conflicts(requirements, design)
    return Recommendation(machine.name, machine.source, requirements, design, tuple(ranked), conflicts, span)


# --------------------------------------------------------------------------- weighing one engine


@dataclass(slots=True)
class _Weighing:
    reasons: list[str] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)
    losses: list[str] = field(default_factory=list)
    score: int = 0

    def prefer(self, points: int, reason: str) -> None:
        self.score += points
        self.reasons.append(reason)

    def penalise(self, points: int, loss: str) -> None:
        self.score -= points
        self.losses.append(loss)


def _assess(engine: Engine, req: ir.Requirements, design: DesignFacts) -> EngineFit:
    weighing = _Weighing()
    _durability(engine, req, weighing)
    _hosting(engine, req, weighing)
    _run_length(engine, req, design, weighing)
    _people(engine, req, design, weighing)
    _volume(engine, req, design, weighing)
    _language(engine, req, weighing)
    _vendor(engine, req, weighing)
    _history(engine, design, weighing)
    _payload(engine, design, weighing)
    weighing.losses.extend(losses_on(engine, design))
    return EngineFit(
        engine,
        not weighing.blockers,
        weighing.score,
        tuple(weighing.reasons),
        tuple(weighing.blockers),
        tuple(dict.fromkeys(weighing.losses)),
    )


def _durability(engine: Engine, req: ir.Requirements, w: _Weighing) -> None:
    if req.durability is None:
        return
    need = DURABILITY_ORDER.index(req.durability)
    if need > DURABILITY_ORDER.index(engine.durability):
        why = {
            "python": "instances live in one SQLite file on one machine (WAL, fsync per commit): "
            "they survive a process crash, not the loss of the machine or its disk",
            "stepfunctions-express": "Express does not persist an execution's progress "
            "(at-least-once runs of the whole workflow, no checkpoint between states)",
        }.get(engine.id, "")
        w.blockers.append(f"durability {req.durability} ({DURABILITY_TEXT[req.durability]}): {why}")
        return
    text = {
        "python": "SQLite with synchronous=FULL: every step is on disk before it is acknowledged",
        "temporal": "every event is persisted before it is acknowledged; Temporal Cloud replicates across "
        "zones, a self-hosted cluster is as durable as the database you give it",
        "stepfunctions-standard": "a regional service: each state transition is persisted (exactly-once)",
        "stepfunctions-express": "nothing is persisted, which this tier does not ask for",
        "camunda8": "Zeebe replicates its log (Raft); the SaaS runs replicated across zones",
    }[engine.id]
    w.reasons.append(f"durability {req.durability}: {text}")
    if req.durability == "zone_loss" and engine.id in ("stepfunctions-standard", "temporal", "camunda8"):
        w.score += 1


def _hosting(engine: Engine, req: ir.Requirements, w: _Weighing) -> None:
    wanted = req.hosting
    if wanted is None or wanted == "either":
        return
    allowed = {"serverless": {"serverless"}, "managed": {"managed", "serverless"}}.get(wanted, {wanted})
    if not engine.hosting & allowed:
        why = {
            "python": "you run the process and keep its SQLite file",
            "temporal": "Temporal Cloud runs the service, but your workers are processes you run",
            "camunda8": "Camunda SaaS runs the engine, but job workers are processes you run",
            "stepfunctions-standard": "Step Functions exists only as an AWS service",
            "stepfunctions-express": "Step Functions exists only as an AWS service",
        }[engine.id]
        w.blockers.append(f"hosting {wanted}: {why}")
        return
    text = {
        ("temporal", "managed"): "Temporal Cloud runs the service; you run the workers",
        ("camunda8", "managed"): "Camunda 8 SaaS runs the engine; you run the job workers",
        ("temporal", "self_hosted"): "the Temporal server is open source (MIT); you run it and its database",
        ("camunda8", "self_hosted"): "Camunda 8 Self-Managed (Kubernetes/Helm); production use needs "
        "Camunda's enterprise license",
        ("python", "self_hosted"): "a library in your process: nothing else to operate",
    }.get((engine.id, wanted), "no servers of yours: AWS runs the engine and Lambda or SQS the handlers")
    w.prefer(2, f"hosting {wanted}: {text}")


def _run_length(engine: Engine, req: ir.Requirements, design: DesignFacts, w: _Weighing) -> None:
    limit = engine.max_run_ms
    longest = req.longest_run_ms
    if limit is not None:
        if longest is not None and longest > limit:
            w.blockers.append(
                f"longest_run {format_duration(longest)} is past the {format_duration(limit)} "
                "an execution may run"
            )
        if design.longest_timer_ms is not None and design.longest_timer_ms > limit:
            w.blockers.append(
                f"the design waits up to {format_duration(design.longest_timer_ms)} (its longest timer), "
                f"past the {format_duration(limit)} an execution may run"
            )
        if design.unbounded_waits and engine.id == "stepfunctions-standard":
            w.losses.append(
                f"{len(design.unbounded_waits)} wait(s) with no timer are cut at one year (SW925)"
            )
    elif longest is not None and longest > 30 * DAY_MS and engine.id != "python":
        w.reasons.append(f"longest_run {format_duration(longest)}: no limit on how long an instance runs")


def _people(engine: Engine, req: ir.Requirements, design: DesignFacts, w: _Weighing) -> None:
    wanted = req.human_steps is True or bool(design.human_steps)
    if design.waits and not engine.callbacks:
        w.blockers.append(
            "the design waits for events or invoked work, which the asl target answers with "
            "`.waitForTaskToken` callbacks; Express supports only request-response integrations"
        )
    if not wanted:
        return
    if not engine.callbacks:
        w.blockers.append("human steps need an execution that waits for a person; Express cannot wait")
        return
    text, points = {
        "python": ("people act through `statewright run send` or your API; no task list", 0),
        "temporal": ("people's decisions arrive as updates or signals; you build the task list", 1),
        "stepfunctions-standard": (
            "each decision answers a task token (up to a year); you build the inbox",
            1,
        ),
        "camunda8": ("approvals and checkpoints are user tasks in Camunda's Tasklist", 2),
    }[engine.id]
    where = ", ".join(design.human_steps) if design.human_steps else "declared"
    w.prefer(points, f"human steps ({where}): {text}")


def _volume(engine: Engine, req: ir.Requirements, design: DesignFacts, w: _Weighing) -> None:
    if req.volume is None:
        return
    rate = volume_per_second(req.volume)
    written = f"{req.volume.count}/{req.volume.per}"
    if engine.id == "python":
        steps = rate * design.longest_path
        shown = f"about {_number(steps)} steps/s ({design.longest_path} per instance)"
        if steps > SQLITE_STEPS_PER_SECOND:
            w.blockers.append(
                f"volume {written}: {shown} is past the {SQLITE_STEPS_PER_SECOND:,} durable steps/s one "
                "SQLite file commits (docs/PERFORMANCE.md)"
            )
        elif steps > SQLITE_COMFORTABLE:
            w.penalise(1, f"volume {written}: {shown}, little headroom on one SQLite file")
        else:
            w.prefer(1, f"volume {written}: {shown}, well within one SQLite file")
    elif engine.id == "stepfunctions-standard" and rate > STANDARD_START_RATE:
        w.penalise(
            1,
            f"volume {written}: past the default StartExecution refill of {STANDARD_START_RATE}/s; "
            "ask AWS to raise the quota",
        )
    elif engine.id == "stepfunctions-express":
        w.reasons.append(f"volume {written}: Express is built for high event rates")
    elif engine.id in ("temporal", "camunda8") and rate > 100:
        part = "history shards" if engine.id == "temporal" else "partitions"
        w.reasons.append(f"volume {written}: scales out by {part}, fixed when the cluster is sized")


def _language(engine: Engine, req: ir.Requirements, w: _Weighing) -> None:
    if req.language is None or req.language == "any":
        return
    points = engine.languages.get(req.language, 0)
    text = {
        "python": "handlers are Python callables in the same process",
        "temporal": "the generated workflow is Python (temporalio); activities may be written in any "
        "Temporal SDK language on their own task queue",
        "stepfunctions-standard": "handlers are Lambda functions or SQS consumers in any language "
        "(the evaluator Lambda is Python)",
        "stepfunctions-express": "handlers are Lambda functions in any language",
        "camunda8": "job workers in any language with a Zeebe client: Java and JavaScript/TypeScript "
        "are Camunda's own SDKs, others (Python, .NET) community clients",
    }[engine.id]
    if points == 0:
        if engine.id == "python":
            w.blockers.append(f"language {req.language}: {text}, so handlers must be Python")
        else:
            w.reasons.append(f"language {req.language}: {text}")
        return
    w.prefer(points, f"language {req.language}: {text}")


def _vendor(engine: Engine, req: ir.Requirements, w: _Weighing) -> None:
    if req.vendor_lock is None:
        return
    if engine.vendor_locked:
        if req.vendor_lock == "avoid":
            w.blockers.append("vendor_lock avoid: Step Functions runs only on AWS")
        else:
            w.reasons.append("vendor_lock accept: runs only on AWS")
        return
    if req.vendor_lock == "avoid":
        text = {
            "python": "plain Python and SQLite, no service at all",
            "temporal": "open source (MIT); Temporal Cloud and a self-hosted cluster run the same workflows",
            "camunda8": "BPMN is a standard, but the output uses `zeebe:` extensions and Camunda's "
            "production license terms",
        }[engine.id]
        w.prefer(0 if engine.id == "camunda8" else 1, f"vendor_lock avoid: {text}")


def _history(engine: Engine, design: DesignFacts, w: _Weighing) -> None:
    if engine.id == "stepfunctions-standard":
        if design.loops:
            w.penalise(
                1,
                f"loops: an execution fails past {STANDARD_HISTORY:,} history events (SW930/SW931); "
                "a long-lived loop must continue in a new execution",
            )
        elif design.unlimited_retries:
            w.losses.append(
                "unlimited retries: every attempt adds history events, with no bound under 25,000"
            )
        elif (events := design.longest_path * ASL_EVENTS_PER_STATE * design.attempts) > STANDARD_HISTORY:
            w.penalise(
                1,
                f"about {events:,} history events on the longest path (with retries), past "
                f"{STANDARD_HISTORY:,} (SW930)",
            )
    elif engine.id == "temporal" and design.loops:
        w.losses.append(
            f"loops: a workflow's history is capped at {TEMPORAL_HISTORY:,} events or 50 MB; "
            "a long-lived loop needs continue-as-new"
        )
    elif engine.id == "temporal" and design.longest_path * TEMPORAL_EVENTS_PER_STATE > TEMPORAL_HISTORY:
        w.losses.append(
            f"about {design.longest_path * TEMPORAL_EVENTS_PER_STATE:,} history events on the longest path, "
            f"past {TEMPORAL_HISTORY:,}: continue-as-new"
        )


def _payload(engine: Engine, design: DesignFacts, w: _Weighing) -> None:
    if not design.string_fields:
        return
    limit = {
        "stepfunctions-standard": ("256 KiB of state data", STEP_FUNCTIONS_PAYLOAD),
        "stepfunctions-express": ("256 KiB of state data", STEP_FUNCTIONS_PAYLOAD),
        "temporal": ("2 MB per payload", TEMPORAL_PAYLOAD),
    }.get(engine.id)
    if limit is None:
        return
    fields = ", ".join(design.string_fields[:4]) + ("..." if len(design.string_fields) > 4 else "")
    w.losses.append(
        f"payload size: {len(design.string_fields)} string field(s) with no length bound ({fields}) can "
        f"pass {limit[0]} (the rest of the data is about {design.fixed_bytes:,} bytes)"
    )


# --------------------------------------------------------------------------- contradictions, notes


def _conflicts(req: ir.Requirements, design: DesignFacts) -> tuple[str, ...]:
    found: list[str] = []
    if req.human_steps is False and design.human_steps:
        found.append(
            f"`human_steps: no`, but people act in {', '.join(design.human_steps)}: "
            "declare `human_steps: yes`"
        )
    if (
        req.longest_run_ms is not None
        and design.longest_timer_ms is not None
        and design.longest_timer_ms > req.longest_run_ms
    ):
        found.append(
            f"`longest_run: {format_duration(req.longest_run_ms)}`, but a timer waits "
            f"{format_duration(design.longest_timer_ms)}: raise longest_run or shorten the timer"
        )
    return tuple(found)


def declared_values(req: ir.Requirements | None) -> dict[str, Any]:
    if req is None:
        return {}
    values: dict[str, Any] = {
        "durability": req.durability,
        "hosting": req.hosting,
        "longest_run": None if req.longest_run_ms is None else format_duration(req.longest_run_ms),
        "volume": None if req.volume is None else f"{req.volume.count}/{req.volume.per}",
        "human_steps": None if req.human_steps is None else ("yes" if req.human_steps else "no"),
        "language": req.language,
        "vendor_lock": req.vendor_lock,
    }
    return {key: value for key, value in values.items() if value is not None}


def design_dict(design: DesignFacts) -> dict[str, Any]:
    """The design facts as JSON (durations as the language writes them)."""
    longest = design.longest_timer_ms
    return {
        "longest_timer": None if longest is None else format_duration(longest),
        "unbounded_waits": list(design.unbounded_waits),
        "waits_for_events_or_work": design.waits,
        "human_steps": list(design.human_steps),
        "loops": design.loops,
        "longest_path": design.longest_path,
        "widest_parallel": design.widest_parallel,
        "string_fields": list(design.string_fields),
        "fixed_bytes": design.fixed_bytes,
        "evaluator": list(design.evaluator),
    }


def example_block(design: DesignFacts) -> str:
    """A `requirements` block to start from: durability and hosting to choose, the rest from the design."""
    run = max(design.longest_timer_ms or 0, DAY_MS)
    longest = format_duration(-(-run // DAY_MS) * DAY_MS * 2)
    return (
        "requirements {\n"
        "  durability: machine_loss  # none | process_crash | machine_loss | zone_loss\n"
        "  hosting: either  # serverless | managed | self_hosted | either\n"
        f"  longest_run: {longest}\n"
        "  volume: 10/m\n"
        f"  human_steps: {'yes' if design.human_steps else 'no'}\n"
        "  language: python\n"
        "  vendor_lock: avoid  # or accept\n"
        "}"
    )


def _number(value: Decimal) -> str:
    rounded = value.quantize(Decimal("0.01")).normalize()
    return f"{rounded:f}"
