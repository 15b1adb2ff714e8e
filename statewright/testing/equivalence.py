"""Cross-target equivalence: the same scenarios on every engine, observation by observation.

The Python runtime is the reference. Each other engine (Step Functions in
moto, BPMN in SpiffWorkflow) runs the path-covering scenarios and then
Hypothesis-drawn ones; the first scenario whose observations differ is a
`Divergence`, minimized (Hypothesis shrinks a drawn one; a path scenario is
cut after its first differing step) and reported with the target and the
step. A scenario an engine cannot express is counted as unsupported, with its
reason, and is not a divergence. Engines come from the plugin registry
(`statewright.testing.engine.load_engine`); this module only compares them.

Observations are compared on states (accepted, entered, active, status) and
on the context after every step: every field, by type and exact value (a
decimal by its value, so 1.5 equals 1.50; a bool never equals an int). An
engine that does not report its context (`Observation.context` None) is
compared on states alone, and its result counts those scenarios
(`context_unreported`) so the report says the context was not compared.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from hypothesis import HealthCheck, Phase, find, reporting, settings, target
from hypothesis.errors import NoSuchExample

from statewright import ir
from statewright.testing.engine import Engine
from statewright.testing.python_engine import PythonEngine
from statewright.testing.scenario import Observation, Scenario, Unsupported
from statewright.testing.strategies import scenarios


@dataclass(frozen=True, slots=True)
class Divergence:
    """The first step where an engine's observation differs from the Python runtime's."""

    target: str
    scenario: Scenario
    step: int
    expected: Observation | None
    actual: Observation | None

    def describe(self) -> list[str]:
        """The divergence as report lines: scenario steps up to the first difference, then both sides."""
        lines = [f"{self.target} differs from python at step {self.step}:"]
        lines += [f"  {line}" for line in self.scenario.describe()[: self.step + 1]]
        lines.append(f"  python: {_show(self.expected)}")
        lines.append(f"  {self.target}: {_show(self.actual)}")
        lines += [f"  {line}" for line in context_differences(self.expected, self.actual, self.target)]
        return lines


def _typed(value: ir.Value, kind: ir.FieldType | None) -> tuple[str, object]:
    """A context value as compared: its kind and exact value (an int read as a declared decimal is one)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int) and kind is not None and kind.name == "decimal":
        return ("decimal", Decimal(value))
    if isinstance(value, Decimal):
        return ("decimal", value)
    return (type(value).__name__, value)


def same_context(
    expected: tuple[tuple[str, ir.Value], ...],
    actual: tuple[tuple[str, ir.Value], ...],
    machine: ir.Machine | None = None,
) -> bool:
    """True when both contexts hold the same fields with the same typed, exact values (order aside)."""
    return _differing(expected, actual, machine) == []


def _differing(
    expected: tuple[tuple[str, ir.Value], ...],
    actual: tuple[tuple[str, ir.Value], ...],
    machine: ir.Machine | None,
) -> list[str]:
    """The names of the fields whose values differ (or that one side lacks), in first-seen order."""
    kinds = {f.name: f.type for f in machine.context} if machine is not None else {}
    mine, theirs = dict(expected), dict(actual)
    names = list(dict.fromkeys((*mine, *theirs)))
    return [
        name
        for name in names
        if name not in mine
        or name not in theirs
        or _typed(mine[name], kinds.get(name)) != _typed(theirs[name], kinds.get(name))
    ]


def context_differences(expected: Observation | None, actual: Observation | None, target: str) -> list[str]:
    """Report lines naming each context field that differs, with both values (none when equal)."""
    if expected is None or actual is None or expected.context is None or actual.context is None:
        return []
    mine, theirs = dict(expected.context), dict(actual.context)
    lines = []
    for name in _differing(expected.context, actual.context, None):
        want = _value(mine, name)
        got = _value(theirs, name)
        lines.append(f"context `{name}`: python {want}, {target} {got}")
    return lines


def _value(values: dict[str, ir.Value], name: str) -> str:
    if name not in values:
        return "(missing)"
    value = values[name]
    return repr(value) if isinstance(value, str) else f"{value} ({_typed(value, None)[0]})"


def _show(observation: Observation | None) -> str:
    if observation is None:
        return "(no observation)"
    entered = ", ".join(observation.entered) or "nothing"
    accepted = "" if observation.accepted else "refused; "
    return f"{accepted}entered {entered}; now in {', '.join(observation.active)} ({observation.status})"


@dataclass
class EngineResult:
    """What one engine did with the scenarios: how many agreed, were unsupported, and any divergence."""

    target: str
    agreed: int = 0
    unsupported: Counter[str] = field(default_factory=Counter)
    divergence: Divergence | None = None
    context_compared: int = 0
    """Agreeing scenarios whose context was compared after every step."""
    context_unreported: int = 0
    """Agreeing scenarios compared on states alone: the engine reported no context for some step."""

    @property
    def passed(self) -> bool:
        """True when no scenario diverged."""
        return self.divergence is None


def same_observation(expected: Observation, actual: Observation, machine: ir.Machine | None = None) -> bool:
    """True when the states agree and, where both sides report one, the contexts do too."""
    if (expected.accepted, expected.entered, expected.active, expected.status) != (
        actual.accepted,
        actual.entered,
        actual.active,
        actual.status,
    ):
        return False
    if expected.context is None or actual.context is None:
        return True
    return same_context(expected.context, actual.context, machine)


def reports_context(observations: Sequence[Observation]) -> bool:
    """True when every observation carries the engine's context (so the comparison covered it)."""
    return all(observation.context is not None for observation in observations)


def first_difference(
    expected: Sequence[Observation],
    actual: Sequence[Observation] | Unsupported,
    machine: ir.Machine | None = None,
) -> int | None:
    """The index of the first differing observation (None: equal; an unsupported run never differs)."""
    if isinstance(actual, Unsupported):
        return None
    for index, (mine, theirs) in enumerate(zip(expected, actual, strict=False)):
        if not same_observation(mine, theirs, machine):
            return index
    if len(expected) != len(actual):
        return min(len(expected), len(actual))
    return None


def _cut(scenario: Scenario, step: int) -> Scenario:
    """The scenario up to and including step `step` (step 0 is the start)."""
    return replace(scenario, steps=scenario.steps[:step])


def compare_one(
    machine: ir.Machine, engine: Engine, scenario: Scenario, reference: Engine | None = None
) -> Divergence | Unsupported | None:
    """Run one scenario on the reference and on `engine`; the divergence, why it cannot run, or None."""
    return _compare(machine, engine, scenario, reference)[0]


def _compare(
    machine: ir.Machine, engine: Engine, scenario: Scenario, reference: Engine | None = None
) -> tuple[Divergence | Unsupported | None, bool]:
    """`compare_one`, and whether both sides reported their context after every step."""
    expected = (reference or PythonEngine()).run(machine, scenario)
    if isinstance(expected, Unsupported):
        return expected, False
    actual = engine.run(machine, scenario)
    if isinstance(actual, Unsupported):
        return actual, False
    compared = reports_context(expected) and reports_context(actual)
    step = first_difference(expected, actual, machine)
    if step is None:
        return None, compared
    got = actual[step] if step < len(actual) else None
    want = expected[step] if step < len(expected) else None
    return Divergence(engine.name, _cut(scenario, step), step, want, got), compared


def check_engine(
    machine: ir.Machine,
    engine: Engine,
    paths: Sequence[Scenario],
    drawn: int,
    seed: int = 0,
    max_steps: int = 12,
    compared_one: Callable[[], None] | None = None,
) -> EngineResult:
    """The path scenarios, then `drawn` Hypothesis scenarios (minimized on a divergence).

    `compared_one` (a progress display) is called after each scenario both sides ran.
    """
    result = EngineResult(engine.name)
    for scenario in paths:
        outcome, compared = _compare(machine, engine, scenario)
        if compared_one is not None:
            compared_one()
        if isinstance(outcome, Divergence):
            result.divergence = outcome
            return result
        _count(result, outcome, compared)
    if drawn <= 0:
        return result

    def diverges(scenario: Scenario) -> bool:
        reached = PythonEngine().run(machine, scenario)
        if not isinstance(reached, Unsupported):
            # Steer generation towards scenarios that reach many different states (deep paths).
            target(float(len({state for o in reached for state in o.entered})), label="states reached")
        outcome, compared = _compare(machine, engine, scenario)
        if compared_one is not None:
            compared_one()
        if not isinstance(outcome, Divergence):
            _count(result, outcome, compared)
        return isinstance(outcome, Divergence)

    options = settings(
        max_examples=drawn,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink),
    )
    try:
        with reporting.with_reporter(lambda message: None):
            found = find(
                scenarios(machine, max_steps), diverges, settings=options, random=random.Random(seed)
            )
    except NoSuchExample:
        return result
    outcome = compare_one(machine, engine, found)
    if isinstance(outcome, Divergence):
        result.divergence = outcome
    return result


def _count(result: EngineResult, outcome: Unsupported | None, compared: bool) -> None:
    if isinstance(outcome, Unsupported):
        result.unsupported[outcome.reason] += 1
        return
    result.agreed += 1
    if compared:
        result.context_compared += 1
    else:
        result.context_unreported += 1
