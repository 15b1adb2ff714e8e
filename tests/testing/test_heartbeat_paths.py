"""Path and drawn scenarios miss heartbeats (issue 16): no engine passes by never being asked.

A missed heartbeat that nothing handles fails the instance and takes no
transition, and one the policy retries takes none either, so path scenarios,
which keep one scenario per transition taken, never kept them: deploy_pipeline's
LoadTesting (a region, no dead letter) failed the instance in the runtime and
went to RollingBack in Step Functions, and no path scenario showed it.
"""

from __future__ import annotations

import functools

from hypothesis import HealthCheck, find, settings

from statewright.testing.coverage import Failure, covering_scenarios
from statewright.testing.python_engine import PythonRun
from statewright.testing.scenario import Scenario, Timeout
from statewright.testing.strategies import scenarios
from tests.targets.heartbeats import heartbeats
from tests.targets.specs import example


def test_path_scenarios_keep_missed_heartbeats_that_take_no_transition() -> None:
    """Each heartbeat work's miss that fails the instance or is retried is a kept failure outcome."""
    kept = set(covering_scenarios(heartbeats()).failures)
    assert {
        Failure("Bare", "HeartbeatTimeout", "failed"),
        Failure("LeftBeating", "HeartbeatTimeout", "failed"),
        Failure("Every", "HeartbeatTimeout", "running"),
        Failure("Named", "HeartbeatTimeout", "running"),
        Failure("Inner", "HeartbeatTimeout", "running"),
        Failure("RightBeating", "HeartbeatTimeout", "running"),
    } <= kept
    deploy = set(covering_scenarios(example("deploy_pipeline")).failures)
    assert Failure("LoadTesting", "HeartbeatTimeout", "failed") in deploy
    assert Failure("RollingBack", "HeartbeatTimeout", "running") in deploy


def misses_a_heartbeat(scenario: Scenario, state: str) -> bool:
    """Whether the scenario's `Timeout(state)` fires `state`'s heartbeat at some step."""
    machine = heartbeats()
    run = PythonRun(machine, dict(scenario.context))
    for step in scenario.steps:
        timer = run.due_timer(step.state) if isinstance(step, Timeout) and step.state == state else None
        if timer is not None and timer.kind == "heartbeat":
            return True
        run.apply(step)
    return False


def test_drawn_scenarios_miss_heartbeats_everywhere() -> None:
    """Hypothesis draws a missed heartbeat for every heartbeat work, nested and parallel included."""
    for state in ("Bare", "Every", "Inner", "LeftBeating", "RightBeating"):
        found = find(
            scenarios(heartbeats()),
            functools.partial(misses_a_heartbeat, state=state),
            settings=settings(max_examples=2000, database=None, suppress_health_check=list(HealthCheck)),
        )
        assert misses_a_heartbeat(found, state)
