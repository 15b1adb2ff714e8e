"""Run a design's property tests and say, in one result, whether its invariants held.

`check_design` builds the rule-based state machine for a machine and its
generated workflow class and lets Hypothesis drive it: `max_examples` runs of
up to `steps` steps, from `seed` (runs repeat exactly). Hypothesis shrinks a
failing run to a minimal one; the result carries that run's violation and
numbered steps. Hypothesis's own console output is silenced: the caller prints
the result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, reporting, seed, settings
from hypothesis.errors import HypothesisException
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

from statewright import ir
from statewright.runtime.memory import MemoryStore
from statewright.runtime.store import Store
from statewright.runtime.workflow import Workflow
from statewright.testing.coverage import covering_scenarios
from statewright.testing.design import BAD_DATA_RATE, DesignViolation, design_machine
from statewright.testing.generated import generated_workflow


@dataclass(frozen=True, slots=True)
class Budget:
    """How hard to try: runs, steps per run, and the seed that makes them repeatable."""

    max_examples: int = 100
    steps: int = 25
    seed: int = 0
    shrink: bool = True
    """Shrink a failing run to a minimal one (off: report the first failing run as found, faster)."""
    path_nodes: int = 1500
    """Budget of the path-covering search whose scenarios runs may start from (0: none)."""
    bad_data_rate: int = BAD_DATA_RATE
    """One event sent in this many carries a payload that does not fit (and must be refused)."""


@dataclass(frozen=True, slots=True)
class DesignResult:
    """The outcome for one machine: passed, or the shrunk violation (or why it could not run)."""

    machine: str
    budget: Budget
    violation: DesignViolation | None = None
    problem: str | None = None

    @property
    def passed(self) -> bool:
        """True when every run kept every invariant."""
        return self.violation is None and self.problem is None


def check_design(
    machine: ir.Machine,
    source_name: str,
    budget: Budget = Budget(),
    workflow: type[Workflow] | None = None,
    store: Callable[[], Store] = MemoryStore,
    run_done: Callable[[], None] | None = None,
) -> DesignResult:
    """Property-test the machine's generated code (or `workflow`, a class under test) against its IR.

    `run_done` (a progress display) is called after each run Hypothesis makes, shrinking ones too.
    """
    under_test = workflow if workflow is not None else generated_workflow(machine, source_name)
    paths = covering_scenarios(machine, max_nodes=budget.path_nodes).scenarios if budget.path_nodes else ()
    designed = design_machine(machine, under_test, source_name, store, paths, budget.bad_data_rate)
    machine_class = seed(budget.seed)(designed if run_done is None else _counted(designed, run_done))
    options = settings(
        max_examples=budget.max_examples,
        stateful_step_count=budget.steps,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        print_blob=False,
        report_multiple_bugs=False,
        # No `explain` phase: it re-runs the shrunk case many times to annotate it, and our report
        # already names the invariant and the steps.
        phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target)
        + ((Phase.shrink,) if budget.shrink else ()),
    )
    try:
        with reporting.with_reporter(_silent):
            run_state_machine_as_test(machine_class, settings=options)
    except DesignViolation as violation:
        return DesignResult(machine.name, budget, violation=violation)
    except HypothesisException as error:
        return DesignResult(machine.name, budget, problem=f"{type(error).__name__}: {error}")
    return DesignResult(machine.name, budget)


def _counted(
    designed: type[RuleBasedStateMachine], run_done: Callable[[], None]
) -> type[RuleBasedStateMachine]:
    """The design state machine, calling `run_done` as each run ends (its rules and draws unchanged)."""

    class Counted(designed):  # type: ignore[valid-type,misc]
        def teardown(self) -> None:
            try:
                super().teardown()
            finally:
                run_done()

    Counted.__name__ = Counted.__qualname__ = designed.__name__
    return Counted


def _silent(message: object) -> None:
    """Hypothesis's reporter, muted: the result says what failed and how."""
