"""`statewright test` for one workflow: property tests, path coverage, cross-target equivalence.

`test_machine` runs, in order: the design property test (Hypothesis on the
generated Python module, `runner.check_design`), the path-covering search
(`coverage.covering_scenarios`), and, for each requested target other than
python, the equivalence check of its engine (looked up by name in the plugin
registry, `statewright_engines`) against the Python runtime on the path
scenarios plus drawn ones. Findings become diagnostics with the DSL span
and the reproducing steps as the counterexample, so the usual reporters print
them; the outcome also carries the numbers for the summary line and JSON.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from statewright import ir
from statewright.diagnostics import Diagnostic
from statewright.plugins.manager import PluginManager, get_plugin_manager
from statewright.runtime.workflow import Workflow
from statewright.source import NO_SPAN
from statewright.testing.codes import (
    CONTEXT_NOT_COMPARED,
    DESIGN_NOT_RUN,
    ENGINE_UNAVAILABLE,
    INVARIANT_BROKEN,
    NOT_COVERED,
    TARGETS_DIVERGE,
)
from statewright.testing.coverage import Coverage, covering_scenarios
from statewright.testing.engine import EngineUnavailableError, load_engine
from statewright.testing.equivalence import EngineResult, check_engine
from statewright.testing.runner import Budget, DesignResult, check_design


@dataclass(frozen=True, slots=True)
class TestOptions:
    """What to run and how hard: targets, Hypothesis budget and seed, path-search depth."""

    __test__ = False  # not a pytest test class

    targets: tuple[str, ...] = ("python",)
    max_examples: int = 100
    steps: int = 25
    seed: int = 0
    depth: int = 16
    nodes: int = 3000
    drawn: int = 25
    """Hypothesis-drawn scenarios per engine, after the path-covering ones."""


@dataclass
class SpecOutcome:
    """Everything `statewright test` found for one workflow."""

    name: str
    design: DesignResult | None = None
    coverage: Coverage | None = None
    engines: list[EngineResult] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when no error was found."""
        return not any(d.severity.name == "ERROR" for d in self.diagnostics)

    def to_dict(self) -> dict[str, Any]:
        """The outcome as plain data for `--format json`."""
        design = self.design
        coverage = self.coverage
        return {
            "workflow": self.name,
            "passed": self.passed,
            "design": None
            if design is None
            else {
                "passed": design.passed,
                "max_examples": design.budget.max_examples,
                "steps": design.budget.steps,
                "seed": design.budget.seed,
            },
            "coverage": None
            if coverage is None
            else {
                "transitions": coverage.total,
                "covered": coverage.covered,
                "scenarios": len(coverage.scenarios),
                "uncovered": list(coverage.uncovered),
            },
            "engines": [
                {
                    "target": result.target,
                    "passed": result.passed,
                    "agreed": result.agreed,
                    "context_compared": result.context_compared,
                    "context_unreported": result.context_unreported,
                    "unsupported": dict(sorted(result.unsupported.items())),
                }
                for result in self.engines
            ],
        }


def test_machine(
    machine: ir.Machine,
    source_name: str,
    options: TestOptions,
    workflow: type[Workflow] | None = None,
    manager: PluginManager | None = None,
    tally: Callable[[str, int, int], None] | None = None,
) -> SpecOutcome:
    """Run every check `options` asks for on one machine (`workflow`: code under test other than its own).

    Engines are looked up in `manager` (default: the process-wide plugin manager).
    `tally` (the command line's progress display, or None) is told what runs and how
    far it is: (what, done, total), total 0 when there is nothing to count.
    """
    plugins = manager if manager is not None else get_plugin_manager()
    outcome = SpecOutcome(machine.name)
    budget = Budget(options.max_examples, options.steps, options.seed)
    outcome.design = check_design(
        machine,
        source_name,
        budget,
        workflow=workflow,
        run_done=_counter(tally, "design runs", budget.max_examples),
    )
    outcome.diagnostics.extend(_design_findings(outcome.design, source_name, machine))
    if tally is not None:
        tally("searching path-covering scenarios", 0, 0)
    outcome.coverage = covering_scenarios(machine, options.depth, options.nodes)
    outcome.diagnostics.extend(_coverage_findings(outcome.coverage, machine, source_name))
    for target in options.targets:
        if target == "python":
            continue
        try:
            engine = load_engine(plugins, target)
        except EngineUnavailableError as error:
            outcome.diagnostics.append(Diagnostic.of(ENGINE_UNAVAILABLE, str(error), source_name, NO_SPAN))
            continue
        with contextlib.ExitStack() as stack:
            if isinstance(engine, contextlib.AbstractContextManager):
                stack.enter_context(engine)  # an engine that keeps its executor up between runs (asl)
            scenarios = outcome.coverage.scenarios
            result = check_engine(
                machine,
                engine,
                scenarios,
                options.drawn,
                options.seed,
                max_steps=12,
                compared_one=_counter(tally, f"{target} scenarios", len(scenarios) + options.drawn),
            )
        outcome.engines.append(result)
        if result.divergence is not None:
            divergence = result.divergence
            outcome.diagnostics.append(
                Diagnostic.of(
                    TARGETS_DIVERGE,
                    f"the `{target}` target diverges from the Python runtime at step {divergence.step}",
                    source_name,
                    machine.span,
                    counterexample=divergence.describe(),
                )
            )
        elif result.context_unreported:
            outcome.diagnostics.append(
                Diagnostic.of(
                    CONTEXT_NOT_COMPARED,
                    f"the `{target}` engine reports no context: {result.context_unreported} of "
                    f"{result.agreed} agreeing scenarios were compared on states only, not on data",
                    source_name,
                    machine.span,
                )
            )
    return outcome


# `test_machine` is a library function, not a pytest test.
test_machine.__test__ = False  # type: ignore[attr-defined]


def _counter(
    tally: Callable[[str, int, int], None] | None, what: str, total: int
) -> Callable[[], None] | None:
    """A callback that counts calls and tells `tally` (None: no callback); shows 0 of `total` at once."""
    if tally is None:
        return None
    done = 0
    tally(what, done, total)

    def one_more() -> None:
        nonlocal done
        done += 1
        tally(what, done, total)

    return one_more


def _design_findings(result: DesignResult, source_name: str, machine: ir.Machine) -> Sequence[Diagnostic]:
    if result.problem is not None:
        return [Diagnostic.of(DESIGN_NOT_RUN, result.problem, source_name, machine.span)]
    violation = result.violation
    if violation is None:
        return []
    broken = violation.violation
    span = broken.span if broken.span is not None else machine.span
    steps = [f"{number}. {step}" for number, step in enumerate(violation.steps)]
    return [
        Diagnostic.of(
            INVARIANT_BROKEN,
            f"invariant `{broken.invariant}` broken: {broken.message}",
            source_name,
            span,
            counterexample=steps,
        )
    ]


def _coverage_findings(coverage: Coverage, machine: ir.Machine, source_name: str) -> list[Diagnostic]:
    found = []
    for index in coverage.uncovered:
        transition = machine.transitions[index]
        trigger = transition.event or transition.kind
        target = transition.target or "(stays)"
        found.append(
            Diagnostic.of(
                NOT_COVERED,
                f"`{transition.source}` --{trigger}--> `{target}` is not taken by any path-covering scenario",
                source_name,
                transition.span,
            )
        )
    return found
