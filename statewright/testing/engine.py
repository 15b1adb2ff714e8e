"""The contract every engine that runs scenarios keeps, and how one is obtained from the plugin registry.

Engines are registered like targets and rules: a plugin's `statewright_engines`
hook returns `EngineSpec`s (see `statewright.testing.engines` for the built-in
ones). `load_engine` turns a name into a running engine: the spec from the
manager, its `unavailable()` check, the registered target it runs, then its
`load`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from statewright import ir
from statewright.plugins.manager import PluginManager, UnknownEngineError, UnknownTargetError
from statewright.testing.scenario import Observation, Scenario, Unsupported


@runtime_checkable
class Engine(Protocol):
    """Runs one scenario of one machine from a fresh instance and reports what it saw."""

    name: str
    """Short name used in reports and on the command line (`python`, `asl`, `bpmn`)."""

    def run(self, machine: ir.Machine, scenario: Scenario) -> Sequence[Observation] | Unsupported:
        """One observation after the start, then one per step; or why the scenario cannot run here."""
        ...


class EngineUnavailableError(Exception):
    """An engine is not registered, its package or executor is not installed, or it failed to load."""


def load_engine(manager: PluginManager, name: str) -> Engine:
    """The scenario engine registered as `name`, built for its target; `EngineUnavailableError` if not."""
    try:
        spec = manager.engine(name)
    except UnknownEngineError as error:
        raise EngineUnavailableError(str(error)) from error
    reason = spec.unavailable()
    if reason is not None:
        raise EngineUnavailableError(reason)
    try:
        target = manager.target(spec.target)
    except UnknownTargetError as error:
        raise EngineUnavailableError(
            f"the `{name}` engine runs the `{spec.target}` target, which is not registered"
        ) from error
    try:
        engine = spec.load(target)
    except Exception as error:  # a plugin's loader: its failure is a finding, not a traceback
        raise EngineUnavailableError(
            f"the `{name}` engine cannot be loaded: {type(error).__name__}: {error}"
        ) from error
    if not isinstance(engine, Engine):
        raise EngineUnavailableError(
            f"the `{name}` engine's loader returned {engine!r}, which is not a scenario engine"
        )
    return engine
