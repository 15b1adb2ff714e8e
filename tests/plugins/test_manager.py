"""The plugin manager: built-ins through the public hook, and broken plugins as warnings."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass

import pytest

from statewright.compiler.verify import verify
from statewright.diagnostics import Diagnostic, Severity
from statewright.ir import Machine
from statewright.pipeline import compile_text
from statewright.plugins.api import Artifact, Rule, RuleContext, Target, TargetOptions, TargetOutput
from statewright.plugins.hookspecs import hookimpl
from statewright.plugins.manager import (
    BUILTIN_PLUGINS,
    PluginManager,
    UnknownTargetError,
    get_plugin_manager,
)
from statewright.source import NO_SPAN

SPEC = "workflow W {\n  events { go }\n  initial state A { on go -> B }\n  final state B\n}\n"


@dataclass
class FakeTarget:
    """A target that writes one small file."""

    name: str
    description: str = "a fake target"

    def generate(self, machine: Machine, options: TargetOptions) -> TargetOutput:
        """Return one artifact named after the machine."""
        return TargetOutput(artifacts=(Artifact(f"{machine.name}.txt", self.description),))


@dataclass
class FakeRule:
    """A rule that reports one finding per machine, or raises when told to."""

    name: str
    family: str = "structure"
    codes: tuple[str, ...] = ("SW301",)
    severity: Severity = Severity.WARNING
    crash: bool = False

    def check(self, machine: Machine, context: RuleContext) -> Iterable[Diagnostic]:
        """Yield one finding at the workflow header (or crash after it)."""
        yield Diagnostic(
            "SW301", self.severity, f"{self.name} saw {machine.name}", machine.source, machine.span
        )
        if self.crash:
            raise RuntimeError("rule bug")


class Provides:
    """A plugin object providing the given targets and rules."""

    def __init__(self, *items: object) -> None:
        self.items = items

    @hookimpl
    def statewright_targets(self) -> list[object]:
        """Return the targets given to the constructor."""
        return [item for item in self.items if not isinstance(item, FakeRule)]

    @hookimpl
    def statewright_rules(self) -> list[object]:
        """Return the rules given to the constructor."""
        return [item for item in self.items if isinstance(item, FakeRule)]


class Raises:
    """A plugin whose target hook raises."""

    @hookimpl
    def statewright_targets(self) -> list[Target]:
        """Fail the way a buggy plugin would."""
        raise RuntimeError("plugin bug")


class UnknownHook:
    """A plugin implementing a hook statewright does not define."""

    @hookimpl
    def statewright_bogus(self) -> None:
        """Do nothing; the name is the problem."""


def _codes(manager: PluginManager) -> list[str]:
    return [d.code for d in manager.diagnostics]


def _machine() -> Machine:
    result = compile_text(SPEC, "w.wf")
    assert result.machine is not None, result.diagnostics
    return result.machine


# --------------------------------------------------------------------------- built-ins


def test_builtins_are_registered_through_the_public_hook() -> None:
    manager = PluginManager(entry_points=False)
    assert "statewright.targets.ir_target" in BUILTIN_PLUGINS
    module = importlib.import_module("statewright.targets.ir_target")
    assert manager.pluggy.get_plugin("statewright.targets.ir_target") is not None  # described, not imported
    assert isinstance(manager.target("ir"), module.IRTarget)  # the module's own hook provides it when used
    impls = manager.pluggy.hook.statewright_targets.get_hookimpls()
    assert "statewright.targets.ir_target" in [impl.plugin_name for impl in impls]
    assert "ir" in manager.targets()
    assert manager.target_provider("ir").name == "statewright.targets.ir_target"
    assert manager.target_provider("ir").distribution.startswith("statewright ")
    assert manager.diagnostics == ()


def test_targets_are_sorted_by_name() -> None:
    manager = PluginManager(builtins=(), plugins=[Provides(FakeTarget("zeta"), FakeTarget("alpha"))])
    assert list(manager.targets()) == ["alpha", "zeta"]


def test_global_manager_is_cached() -> None:
    assert get_plugin_manager() is get_plugin_manager()


def test_unknown_target_lists_known_names() -> None:
    manager = PluginManager(builtins=(), plugins=[Provides(FakeTarget("b"), FakeTarget("a"))])
    with pytest.raises(UnknownTargetError) as caught:
        manager.target("nope")
    assert "unknown target `nope`; known targets: a, b" in str(caught.value)
    assert caught.value.diagnostic.code == "SW901"
    assert manager.target("a").name == "a"


# --------------------------------------------------------------------------- broken and clashing plugins


def test_duplicate_target_name_warns_and_first_wins() -> None:
    first = FakeTarget("dup", "first")
    manager = PluginManager(builtins=(), plugins=[Provides(first), Provides(FakeTarget("dup", "second"))])
    assert list(manager.targets()) == ["dup"]
    assert manager.targets()["dup"] is first
    (warning,) = manager.diagnostics
    assert warning.code == "SW904"
    assert warning.severity is Severity.WARNING
    assert "already provides a target of that name" in warning.message


def test_third_party_cannot_shadow_a_builtin() -> None:
    manager = PluginManager(plugins=[Provides(FakeTarget("ir", "impostor"))], entry_points=False)
    assert manager.targets()["ir"].description != "impostor"
    assert _codes(manager) == ["SW904"]


def test_plugin_raising_in_its_hook_becomes_a_diagnostic() -> None:
    manager = PluginManager(builtins=(), plugins=[Raises(), Provides(FakeTarget("ok"))])
    assert list(manager.targets()) == ["ok"]
    (warning,) = manager.diagnostics
    assert warning.code == "SW900"
    assert "raised in `statewright_targets`: RuntimeError: plugin bug" in warning.message


def test_builtin_that_fails_to_import_becomes_a_diagnostic() -> None:
    manager = PluginManager(builtins=("statewright.no_such_plugin",), entry_points=False)
    assert manager.targets() == {}
    (warning,) = manager.diagnostics
    assert warning.code == "SW900"
    assert "statewright.no_such_plugin" in warning.message


def test_invalid_items_and_reserved_names_are_skipped() -> None:
    manager = PluginManager(
        builtins=(),
        plugins=[Provides(FakeTarget("all"), FakeTarget("a/b"), "not a target", FakeTarget("ok"))],
    )
    assert list(manager.targets()) == ["ok"]
    assert _codes(manager) == ["SW904", "SW904", "SW904"]


def test_hook_returning_a_non_list_is_a_diagnostic() -> None:
    class Single:
        @hookimpl
        def statewright_targets(self) -> object:
            return FakeTarget("single")

    manager = PluginManager(builtins=(), plugins=[Single()])
    assert manager.targets() == {}
    assert "expected a list" in manager.diagnostics[0].message


def test_unknown_hook_is_a_diagnostic() -> None:
    manager = PluginManager(builtins=(), plugins=[UnknownHook()])
    assert _codes(manager) == ["SW900"]
    assert "unknown hook" in manager.diagnostics[0].message


def test_registering_the_same_plugin_twice_is_harmless() -> None:
    plugin = Provides(FakeTarget("once"))
    manager = PluginManager(builtins=(), plugins=[plugin, plugin])
    assert list(manager.targets()) == ["once"]
    assert manager.diagnostics == ()


# --------------------------------------------------------------------------- rules and the runner


def test_rules_are_sorted_and_duplicates_warn() -> None:
    rules = [FakeRule("b", "saga"), FakeRule("a", "structure"), FakeRule("z", "guards"), FakeRule("a")]
    manager = PluginManager(builtins=(), plugins=[Provides(*rules)])
    assert [(r.family, r.name) for r in manager.rules()] == [
        ("guards", "z"),
        ("saga", "b"),
        ("structure", "a"),
    ]
    assert _codes(manager) == ["SW904"]
    assert manager.rule_provider("a").name == manager.rule_provider("b").name


def test_verify_collects_findings_in_order() -> None:
    machine = _machine()
    found = verify(machine, [FakeRule("second"), FakeRule("first", severity=Severity.ERROR)])
    assert [d.message for d in found] == ["first saw W", "second saw W"]


def test_verify_turns_a_crashing_rule_into_sw092() -> None:
    machine = _machine()
    found = verify(machine, [FakeRule("boom", crash=True), FakeRule("fine")], RuleContext(strict=True))
    codes = sorted(d.code for d in found)
    assert codes == ["SW301", "SW301", "SW902"]
    (crash,) = [d for d in found if d.code == "SW902"]
    assert crash.severity is Severity.ERROR
    assert "`boom` raised RuntimeError: rule bug" in crash.message
    assert crash.file == "w.wf"


def test_verify_rejects_a_rule_yielding_non_diagnostics() -> None:
    class Bad:
        name = "bad"
        family = "structure"
        codes: tuple[str, ...] = ("SW301",)

        def check(self, machine: Machine, context: RuleContext) -> Iterable[Diagnostic]:
            return ["oops"]  # type: ignore[list-item]

    rule: Rule = Bad()
    (finding,) = verify(_machine(), [rule])
    assert finding.code == "SW902"
    assert "not a Diagnostic" in finding.message


def test_verify_without_rules_is_clean() -> None:
    assert verify(_machine(), []) == ()


def test_plugin_diagnostics_have_a_place() -> None:
    manager = PluginManager(builtins=(), plugins=[Raises()])
    (warning,) = manager.diagnostics
    assert warning.file.startswith("<plugin ")
    assert warning.span == NO_SPAN
