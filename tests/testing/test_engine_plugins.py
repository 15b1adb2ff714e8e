"""Scenario engines come from the plugin registry (`statewright_engines`), built-in and third-party alike."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import statewright.testing
from statewright import ir
from statewright.plugins.api import EngineSpec, Target, TargetOptions
from statewright.plugins.hookspecs import hookimpl
from statewright.plugins.manager import PluginManager, UnknownEngineError
from statewright.testing.engine import Engine, EngineUnavailableError, load_engine
from statewright.testing.python_engine import PythonEngine
from statewright.testing.scenario import Observation, Scenario, Unsupported
from statewright.testing.suite import TestOptions, test_machine
from tests.plugins.test_manager import FakeTarget, Provides, _machine


@dataclass
class Replay:
    """A third-party engine: asks its target for the artifacts, then runs the Python runtime."""

    target: Target
    name: str = "replay"
    generated: list[str] = field(default_factory=list)

    def run(self, machine: ir.Machine, scenario: Scenario) -> Sequence[Observation] | Unsupported:
        """The reference's observations, after generating through the target it was built for."""
        output = self.target.generate(machine, TargetOptions())
        self.generated.extend(artifact.path for artifact in output.artifacts)
        return PythonEngine().run(machine, scenario)


class Engines:
    """A plugin object providing scenario engines (and the targets they run) through the public hooks."""

    def __init__(self, *engines: object, targets: Sequence[object] = ()) -> None:
        self.engines = engines
        self.targets = targets
        self.built: list[Replay] = []

    @hookimpl
    def statewright_targets(self) -> list[object]:
        """Return the targets given to the constructor."""
        return list(self.targets)

    @hookimpl
    def statewright_engines(self) -> list[object]:
        """Return the engines given to the constructor."""
        return list(self.engines)

    def replay(self, target: Target) -> Replay:
        """Build a `Replay` engine for `target` and remember it."""
        engine = Replay(target)
        self.built.append(engine)
        return engine


def _manager(*plugins: object) -> PluginManager:
    return PluginManager(plugins=plugins, entry_points=False)


def test_builtin_engines_are_registered_through_the_public_hook() -> None:
    """The built-in engines come from `statewright.testing.engines`, each with its target."""
    manager = PluginManager(entry_points=False)
    engines = manager.engines()
    assert list(engines) == ["asl", "bpmn", "bpmn-engine", "python", "temporal"]
    assert {name: spec.target for name, spec in engines.items()} == {
        "asl": "asl",
        "bpmn": "bpmn",
        "bpmn-engine": "bpmn-javascript",
        "python": "python",
        "temporal": "temporal",
    }
    assert manager.engine_provider("asl").name == "statewright.testing.engines"
    assert all(spec.unavailable() is None for spec in engines.values())  # the dev extras are installed
    assert isinstance(load_engine(manager, "python"), PythonEngine)


def test_registering_engines_imports_no_executor() -> None:
    """Listing the engines (every command does) imports neither moto nor SpiffWorkflow; loading one does."""
    code = (
        "import sys\n"
        "from statewright.plugins.manager import PluginManager\n"
        "from statewright.testing.engine import load_engine\n"
        "manager = PluginManager(entry_points=False)\n"
        "assert sorted(manager.engines()) == ['asl', 'bpmn', 'bpmn-engine', 'python', 'temporal']\n"
        "print(sorted(m for m in ('moto', 'boto3', 'SpiffWorkflow', 'temporalio') if m in sys.modules))\n"
        "load_engine(manager, 'bpmn').run\n"
        "print('statewright.testing.bpmn_engine' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[]", "True"]


def test_a_third_party_engine_is_run_by_statewright_test() -> None:
    """An engine a plugin registers is found by name, built for its target and compared with python."""
    plugin = Engines(targets=[FakeTarget("hello")])
    plugin.engines = (EngineSpec("replay", "hello", "the runtime, again", plugin.replay),)
    manager = _manager(plugin)
    outcome = test_machine(
        _machine(), "w.wf", TestOptions(("python", "replay"), 5, 5, drawn=3), manager=manager
    )
    assert outcome.passed, outcome.diagnostics
    (result,) = outcome.engines
    assert result.target == "replay" and result.passed and result.agreed > 0
    (engine,) = plugin.built
    assert engine.target is manager.target("hello")
    assert engine.generated and set(engine.generated) == {"W.txt"}


def test_an_unknown_engine_names_the_known_ones() -> None:
    """The manager, the loader and `statewright test` all say which engines exist."""
    manager = _manager(Engines(EngineSpec("b", "ir", "", Replay), EngineSpec("a", "ir", "", Replay)))
    with pytest.raises(UnknownEngineError) as caught:
        manager.engine("flink")
    known = "known engines: a, asl, b, bpmn, bpmn-engine, python, temporal"
    assert str(caught.value) == f"unknown engine `flink`; {known}"
    with pytest.raises(EngineUnavailableError, match=f"unknown engine `flink`; {known}"):
        load_engine(manager, "flink")
    outcome = test_machine(_machine(), "w.wf", TestOptions(("python", "flink"), 5, 5), manager=manager)
    (finding,) = [d for d in outcome.diagnostics if d.code == "SW982"]
    assert "known engines: a, asl, b, bpmn, bpmn-engine, python, temporal" in finding.message
    assert outcome.engines == []


def test_an_engine_missing_its_dependencies_is_unavailable_and_never_loaded() -> None:
    """`unavailable()` names the missing module and how to install it; `load` is not called."""
    plugin = Engines(targets=[FakeTarget("hello")])
    spec = EngineSpec(
        "exotic",
        "hello",
        "needs a module nobody has",
        plugin.replay,
        requires=("sys", "statewright_no_such_module"),
        install="pip install statewright-no-such-module",
    )
    plugin.engines = (spec,)
    reason = spec.unavailable()
    assert reason == (
        "the `exotic` engine needs `statewright_no_such_module`, which is not installed "
        "(pip install statewright-no-such-module)"
    )
    with pytest.raises(EngineUnavailableError) as caught:
        load_engine(_manager(plugin), "exotic")
    assert str(caught.value) == reason
    assert plugin.built == []


def test_an_engine_for_an_unregistered_target_is_unavailable() -> None:
    """The target an engine runs must be registered: the engine drives its public `generate`."""
    manager = _manager(Engines(EngineSpec("orphan", "nowhere", "", Replay)))
    with pytest.raises(EngineUnavailableError, match="runs the `nowhere` target, which is not registered"):
        load_engine(manager, "orphan")


def _broken(_target: Target) -> object:
    raise RuntimeError("loader bug")


def _not_an_engine(_target: Target) -> object:
    return 42


def test_a_broken_loader_is_a_finding_not_a_traceback() -> None:
    """A loader that raises, or returns something that is not an engine, makes the engine unavailable."""
    manager = _manager(
        Engines(EngineSpec("broken", "ir", "", _broken), EngineSpec("odd", "ir", "", _not_an_engine))
    )
    with pytest.raises(EngineUnavailableError, match="cannot be loaded: RuntimeError: loader bug"):
        load_engine(manager, "broken")
    with pytest.raises(EngineUnavailableError, match="returned 42, which is not a scenario engine"):
        load_engine(manager, "odd")


def test_invalid_and_clashing_engines_are_warnings() -> None:
    """Not an EngineSpec, a name `--targets` cannot carry, or a built-in's name: SW904, first one wins."""
    imposter = EngineSpec("asl", "ir", "an imposter", Replay)
    manager = PluginManager(
        plugins=[Engines("not a spec", EngineSpec("a,b", "ir", "", Replay), imposter)], entry_points=False
    )
    engines = manager.engines()
    assert engines["asl"] is not imposter
    assert "a,b" not in engines
    messages = [d.message for d in manager.diagnostics if d.code == "SW904"]
    assert any("'not a spec', which is not a scenario engine" in m for m in messages)
    assert any("invalid name 'a,b'" in m for m in messages)
    assert any("scenario engine `asl`" in m and "already provides" in m for m in messages)


def test_engines_satisfy_the_engine_protocol() -> None:
    """What each built-in spec loads is a scenario engine named as the spec is."""
    manager = PluginManager(entry_points=False)
    for name in manager.engines():
        engine = load_engine(manager, name)
        assert isinstance(engine, Engine)
        assert engine.name == name


def test_plugins_providing_only_targets_provide_no_engines() -> None:
    """A plugin without the engine hook is fine: the hook is optional."""
    manager = PluginManager(builtins=(), plugins=[Provides(FakeTarget("a"))], entry_points=False)
    assert manager.engines() == {}
    assert manager.diagnostics == ()


def test_engines_read_only_the_targets_public_contract() -> None:
    """The engine modules import a target package or its `protocol` module, never a builder module."""
    folder = Path(statewright.testing.__file__).parent
    public = {
        f"statewright.targets.{name}{suffix}" for name in ("asl", "bpmn") for suffix in ("", ".protocol")
    }
    found: dict[str, set[str]] = {}
    for path in sorted(folder.glob("*.py")):
        if not (path.stem.endswith("_engine") or path.stem == "asl_moto"):
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            for name in names:
                if name.startswith("statewright.targets"):
                    found.setdefault(path.stem, set()).add(name)
    assert set(found) == {"asl_engine", "bpmn_engine", "bpmn_node_engine"}
    assert set().union(*found.values()) <= public, found
