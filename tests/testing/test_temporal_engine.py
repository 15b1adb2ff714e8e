"""The `temporal` scenario engine: the generated workflow on a real Temporal server agrees with the runtime.

A bounded run of `statewright test --targets python,temporal` over two examples
(path scenarios, then drawn ones, contexts compared), and the guarantee that
time can be moved only in the test worker: the production classes declare no
handler that fires a timer.
"""

from __future__ import annotations

from temporalio.workflow import _Definition

from statewright import ir
from statewright.diagnostics import Diagnostic
from statewright.diagnostics.catalog.runtime import CONFLICT
from statewright.pipeline import compile_text
from statewright.plugins.api import TargetOptions, TargetOutput
from statewright.plugins.manager import PluginManager
from statewright.source import NO_SPAN
from statewright.targets.temporal import TemporalTarget
from statewright.temporal.shell import StatewrightWorkflow
from statewright.testing.coverage import covering_scenarios
from statewright.testing.engine import load_engine
from statewright.testing.equivalence import check_engine
from statewright.testing.python_engine import PythonEngine
from statewright.testing.scenario import Scenario, Unsupported, WorkDone
from statewright.testing.temporal_engine import TEST_FIRE, TEST_VIEW, TemporalEngine, generated_class
from tests.conftest import EXAMPLES
from tests.testing.test_python_engine import machine_of

PATHS = 10
"""Path scenarios per example (the full run, `statewright test examples/`, takes them all)."""
DRAWN = 3


def test_two_examples_agree_with_the_runtime_on_temporal(temporal_address: str) -> None:
    """Sagas (order fulfilment), heartbeats and parallel regions (deploy pipeline): same states, contexts."""
    engine = load_engine(PluginManager(entry_points=False), "temporal")  # the session's server
    assert isinstance(engine, TemporalEngine)
    try:
        for name in ("order_fulfilment.wf", "deploy_pipeline.wf"):
            machine = machine_of(EXAMPLES / name)
            paths = covering_scenarios(machine).scenarios[:PATHS]
            result = check_engine(machine, engine, paths, drawn=DRAWN)
            assert result.passed, result.divergence
            assert result.agreed >= PATHS and result.context_compared == result.agreed, result
            assert not result.unsupported, result.unsupported
        assert len(engine._machines) == 2  # one worker per machine, reused by every scenario
    finally:
        engine.close()


def test_only_the_test_worker_can_fire_a_timer() -> None:
    """The generated class and the shell declare no handler that moves time; the test subclass alone does."""
    machine = machine_of(EXAMPLES / "order_fulfilment.wf")
    generated, _ = generated_class(TemporalTarget(), machine)
    production = _Definition.from_class(generated)
    assert production is not None
    assert TEST_FIRE not in production.signals and TEST_VIEW not in production.queries
    assert not [name for name in vars(StatewrightWorkflow) if name.startswith("test_")]


class Refusing:
    """A `temporal` target that refuses every machine (as its capability lint refuses one it cannot run)."""

    name = "temporal"
    description = "refuses"

    def generate(self, machine: ir.Machine, options: TargetOptions) -> TargetOutput:
        """No module, one error finding."""
        finding = Diagnostic.of(CONFLICT, "cannot run this here", "w.wf", NO_SPAN)
        return TargetOutput(diagnostics=(finding,))


def test_a_machine_the_target_refuses_is_unsupported_not_a_crash() -> None:
    machine = machine_of(EXAMPLES / "order_fulfilment.wf")
    outcome = TemporalEngine(Refusing()).run(machine, Scenario())
    assert isinstance(outcome, Unsupported) and outcome.step == 0
    assert "wrote no module" in outcome.reason and "cannot run this here" in outcome.reason


TWIN = """
workflow Twin {
  version 1
  initial parallel Both {
    region A {
      initial saga SA {
        step a1 compensate ua1
        step a2
        done -> ADone
        compensated -> ADone
        compensation_failed -> ADone
      }
      final state ADone
    }
    region B {
      initial saga SB {
        step b1 compensate ub1
        step b2
        done -> BDone
        compensated -> BDone
        compensation_failed -> BDone
      }
      final state BDone
    }
    done -> End
  }
  final state End { outcome success }
}
"""


def test_sagas_in_parallel_regions_compensate_side_by_side(temporal_address: str) -> None:
    """Each saga's compensations run one at a time; two sagas' compensations may finish in either order."""
    machine = compile_text(TWIN, "twin.wf").machine
    assert machine is not None
    failing = (WorkDone("SA.a1"), WorkDone("SB.b1"), WorkDone("SA.a2", "X"), WorkDone("SB.b2", "X"))
    engine = TemporalEngine()
    try:
        for last in ((WorkDone("SB.ub1"), WorkDone("SA.ua1")), (WorkDone("SA.ua1"), WorkDone("SB.ub1"))):
            scenario = Scenario((), failing + last)
            assert engine.run(machine, scenario) == PythonEngine().run(machine, scenario)
    finally:
        engine.close()
