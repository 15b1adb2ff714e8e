"""Cross-target equivalence: the same scenarios on every engine, observation by observation.

The Python runtime is the reference. Each other engine (Step Functions in
moto, BPMN in SpiffWorkflow) runs the path-covering scenarios and then
Hypothesis-drawn ones; the first scenario whose observations differ is a
`Divergence`, minimized (Hypothesis shrinks a drawn one; a path scenario is
cut after its first differing step) and reported with the target and the
step. A scenario an engine cannot express is counted as unsupported, with its
reason, and is not a divergence. Engines come from the plugin registry
(`statewright.testing.engine.load_engine`); this module only compares them.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

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
        return lines


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

    @property
    def passed(self) -> bool:
        """True when no scenario diverged."""
        return self.divergence is None


def first_difference(
    expected: Sequence[Observation], actual: Sequence[Observation] | Unsupported
) -> int | None:
    """The index of the first differing observation (None: equal; an unsupported run never differs)."""
    if isinstance(actual, Unsupported):
        return None
    for index, (mine, theirs) in enumerate(zip(expected, actual, strict=False)):
        if mine != theirs:
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
    expected = (reference or PythonEngine()).run(machine, scenario)
    if isinstance(expected, Unsupported):
        return expected
    actual = engine.run(machine, scenario)
    if isinstance(actual, Unsupported):
        return actual
    step = first_difference(expected, actual)
    if step is None:
        return None
    got = actual[step] if step < len(actual) else None
    want = expected[step] if step < len(expected) else None
    return Divergence(engine.name, _cut(scenario, step), step, want, got)


def check_engine(
    machine: ir.Machine,
    engine: Engine,
    paths: Sequence[Scenario],
    drawn: int,
    seed: int = 0,
    max_steps: int = 12,
) -> EngineResult:
    """The path scenarios, then `drawn` Hypothesis scenarios (minimized on a divergence)."""
    result = EngineResult(engine.name)
    for scenario in paths:
        outcome = compare_one(machine, engine, scenario)
        if isinstance(outcome, Divergence):
            result.divergence = outcome
            return result
        _count(result, outcome)
    if drawn <= 0:
        return result

    def diverges(scenario: Scenario) -> bool:
        reached = PythonEngine().run(machine, scenario)
        if not isinstance(reached, Unsupported):
            # Steer generation towards scenarios that reach many different states (deep paths).
            target(float(len({state for o in reached for state in o.entered})), label="states reached")
        outcome = compare_one(machine, engine, scenario)
        if not isinstance(outcome, Divergence):
            _count(result, outcome)
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


def _count(result: EngineResult, outcome: Unsupported | None) -> None:
    if isinstance(outcome, Unsupported):
        result.unsupported[outcome.reason] += 1
    else:
        result.agreed += 1
