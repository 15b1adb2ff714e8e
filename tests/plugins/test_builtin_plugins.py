"""Built-in targets are described, not imported, until used (`plugins.builtin`, `TargetSpec`)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import pytest

from statewright.diagnostics import Severity
from statewright.ir import Machine
from statewright.plugins import builtin
from statewright.plugins.api import Target, TargetOptions, TargetOutput, TargetSpec
from statewright.plugins.hookspecs import hookimpl
from statewright.plugins.manager import BUILTIN_PLUGINS, PluginManager


@pytest.mark.parametrize("module", sorted(builtin.TARGET_MODULES))
def test_each_description_is_what_the_module_provides(module: str) -> None:
    """Names, order and descriptions in the table are exactly those of the module's own hook."""
    provided = importlib.import_module(module).statewright_targets()
    assert builtin.TARGET_MODULES[module] == tuple((t.name, t.description) for t in provided)


def test_every_described_or_deferred_module_is_a_builtin() -> None:
    assert set(builtin.TARGET_MODULES) | set(builtin.ENGINE_MODULES) <= set(BUILTIN_PLUGINS)


def test_loaded_targets_are_the_modules_own_objects_with_their_providers() -> None:
    """`targets()` gives what registering the modules themselves gave: same classes, names, plugins."""
    described = PluginManager(entry_points=False)
    for module, targets in builtin.TARGET_MODULES.items():
        provided = {t.name: t for t in importlib.import_module(module).statewright_targets()}
        for name, _description in targets:
            target = described.target(name)
            assert type(target) is type(provided[name])
            assert described.target_provider(name).name == module
    assert described.diagnostics == ()


def _fresh(code: str) -> list[object]:
    """Run `code` in a fresh interpreter; it prints one JSON document last."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded: list[object] = json.loads(done.stdout.splitlines()[-1])
    return loaded


def test_finding_the_plugins_imports_no_target_and_asking_for_one_imports_only_it() -> None:
    found = _fresh(
        "import sys, json\n"
        "from statewright.plugins.manager import PluginManager\n"
        "m = PluginManager()\n"
        "names = m.target_names(); rules = len(m.rules()); m.diagnostics\n"
        "ours = ('statewright.targets.', 'statewright.testing')\n"
        "before = sorted(k for k in sys.modules if k.startswith(ours))\n"
        "m.target('asl')\n"
        "after = sorted(k for k in sys.modules if k.startswith(ours))\n"
        "print(json.dumps([list(names), rules, before, after]))\n"
    )
    names, rules, before, after = found
    assert isinstance(names, list) and "asl" in names and "pytest" in names
    assert isinstance(rules, int) and rules > 0
    assert before == []
    assert isinstance(after, list)
    assert "statewright.targets.asl" in after
    assert not [m for m in after if m.startswith(("statewright.targets.bpmn", "statewright.testing"))]


def test_the_engines_module_is_imported_when_the_engines_are_asked_for() -> None:
    found = _fresh(
        "import sys, json\n"
        "from statewright.plugins.manager import PluginManager\n"
        "m = PluginManager()\n"
        "m.targets(); m.rules(); m.diagnostics\n"
        "before = 'statewright.testing.engines' in sys.modules\n"
        "engines = sorted(m.engines())\n"
        "print(json.dumps([before, engines, 'statewright.testing.engines' in sys.modules]))\n"
    )
    assert found[0] is False and found[2] is True
    assert found[1] == ["asl", "bpmn", "bpmn-engine", "python", "temporal"]


# --------------------------------------------------------------------------- third-party TargetSpecs


@dataclass(frozen=True)
class Hello:
    name: str = "hello"
    description: str = "says hello"

    def generate(self, machine: Machine, options: TargetOptions) -> TargetOutput:
        return TargetOutput()


class Describes:
    """A plugin handing its target over as a `TargetSpec`."""

    def __init__(self, *specs: TargetSpec) -> None:
        self.specs = specs

    @hookimpl
    def statewright_targets(self) -> list[TargetSpec]:
        return list(self.specs)


def _counting(load: Callable[[], Target], calls: list[int]) -> Callable[[], Target]:
    def counted() -> Target:
        calls.append(1)
        return load()

    return counted


def test_a_third_party_spec_is_loaded_once_when_first_asked_for() -> None:
    calls: list[int] = []
    manager = PluginManager(
        builtins=(), plugins=[Describes(TargetSpec("hello", "says hello", _counting(Hello, calls)))]
    )
    assert manager.target_names() == ("hello",)
    assert manager.diagnostics == ()
    assert calls == []
    assert manager.target("hello") == Hello()
    assert manager.targets() == {"hello": Hello()}
    assert calls == [1]


def _failing() -> Target:
    raise ModuleNotFoundError("No module named 'hello_backend'")


@pytest.mark.parametrize(
    ("load", "code", "said"),
    [
        (_failing, "SW900", "failed to load: ModuleNotFoundError: No module named 'hello_backend'"),
        (lambda: Hello(name="other"), "SW904", "which is not a target of that name"),
        (lambda: 42, "SW904", "loaded 42, which is not a target"),
    ],
)
def test_a_spec_that_fails_to_load_is_a_warning_and_a_target_that_cannot_run(
    load: Callable[[], Target], code: str, said: str
) -> None:
    """Reported when asked for (SW904); the stand-in says why and `generate` fails as a crash does."""
    manager = PluginManager(builtins=(), plugins=[Describes(TargetSpec("hello", "says hello", load))])
    assert manager.diagnostics == ()
    target = manager.target("hello")
    warnings = manager.diagnostics
    assert len(warnings) == 1
    warning = warnings[0]
    assert warning.code == code and warning.severity is Severity.WARNING
    assert said in warning.message
    reason = target.unavailable()
    assert said in reason
    with pytest.raises(RuntimeError, match="hello"):
        target.generate(cast(Machine, None), TargetOptions())


class Provides:
    """A plugin handing a full target over, as plugins always could."""

    @hookimpl
    def statewright_targets(self) -> list[Target]:
        return [Hello(description="handed over")]


def test_a_spec_and_a_target_of_the_same_name_first_registered_wins() -> None:
    """A `TargetSpec` takes part in name clashes as a target does, and a full target still works."""
    manager = PluginManager(
        builtins=(), plugins=[Describes(TargetSpec("hello", "described", Hello)), Provides()]
    )
    assert manager.target("hello") == Hello()
    (warning,) = manager.diagnostics
    assert warning.code == "SW904" and "already provides a target of that name" in warning.message
    alone = PluginManager(builtins=(), plugins=[Provides()])
    assert alone.target("hello") == Hello(description="handed over")


def test_deferred_modules_implement_only_the_hook_their_stand_in_answers() -> None:
    """Each deferred module implements only the hook its stand-in answers.

    A target module's stand-in answers `statewright_targets` alone, an engine
    module's `statewright_engines`: any other hook there would never be called.
    """
    import importlib

    from statewright.plugins import hookspecs
    from statewright.plugins.builtin import ENGINE_MODULES, TARGET_MODULES

    hooks = {name for name in vars(hookspecs) if name.startswith("statewright_")}
    for modules, answered in (
        (tuple(TARGET_MODULES), "statewright_targets"),
        (ENGINE_MODULES, "statewright_engines"),
    ):
        for module in modules:
            implemented = {name for name in hooks if hasattr(importlib.import_module(module), name)}
            assert implemented == {answered}, module


def test_a_target_module_is_asked_for_its_targets_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building several targets of one module (bpmn's four) runs the module's hook once."""
    import importlib

    from statewright.plugins.manager import _DescribedTargets

    calls: list[str] = []
    stand_in = _DescribedTargets("statewright.targets.bpmn", (("bpmn", "d"), ("bpmn-zeebe", "d")))
    module = importlib.import_module("statewright.targets.bpmn")
    original = getattr(module, "statewright_targets")  # noqa: B009 (mypy does not know the hook)

    def counted() -> object:
        calls.append("asked")
        return original()

    monkeypatch.setattr(module, "statewright_targets", counted)
    assert [spec.load().name for spec in stand_in.specs] == ["bpmn", "bpmn-zeebe"]
    assert calls == ["asked"]
