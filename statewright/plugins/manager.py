"""A typed facade over pluggy: find plugins, call their hooks, and never let one crash the run.

Built-in plugins are modules named in `BUILTIN_PLUGINS`; they are imported and
passed to `pluggy.PluginManager.register`, exactly as a third-party plugin is.
Third-party plugins are loaded from the entry-point group `statewright`, one
entry point at a time (pluggy's `load_setuptools_entrypoints` stops at the first
plugin that fails to import; loading each on its own keeps one broken package
from hiding the others). Entry points are loaded in name order, so the result
does not depend on the order of `sys.path`.

Every problem with a plugin — it fails to import, its hook raises, it returns
something that is not a target, rule or engine, two plugins claim the same name —
becomes a warning `Diagnostic` in `PluginManager.diagnostics`, never a traceback.
When two plugins provide the same target, rule or engine name, the first registered
wins: built-ins are registered first, so a third-party package cannot silently
replace one.
"""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pluggy

from statewright import __version__
from statewright.diagnostics import Code, Diagnostic
from statewright.diagnostics.catalog.command import PLUGIN_CONFLICT, PLUGIN_FAILED
from statewright.diagnostics.catalog.command import UNKNOWN_TARGET as UNKNOWN_TARGET
from statewright.plugins import hookspecs
from statewright.plugins.api import EngineSpec, Rule, Target
from statewright.source import NO_SPAN

BUILTIN_PLUGINS: tuple[str, ...] = (
    "statewright.targets.ir_target",
    "statewright.targets.table",
    "statewright.targets.diagrams",
    "statewright.targets.python",
    "statewright.testing.pytest_target",
    "statewright.targets.asl",
    "statewright.targets.bpmn",
    "statewright.targets.report",
    "statewright.targets.temporal",
    "statewright.compiler.verify.rules.structure",
    "statewright.compiler.verify.rules.emits",
    "statewright.compiler.verify.rules.guards",
    "statewright.compiler.verify.rules.invariants",
    "statewright.compiler.verify.rules.sagas",
    "statewright.compiler.verify.rules.waits",
    "statewright.compiler.verify.rules.approvals",
    "statewright.compiler.verify.rules.retries",
    "statewright.compiler.verify.rules.parallel",
    "statewright.testing.engines",
)
"""Modules registered before any entry point, through the same `register` call."""

ENTRY_POINT_GROUP = hookspecs.PROJECT
"""The entry-point group third-party packages use: `[project.entry-points.statewright]`."""

RESERVED_TARGET_NAMES = frozenset({"all"})
"""Names a target may not take because the command line gives them a meaning."""

TARGET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
"""A target name is also a directory name under `--out`, so it is kept simple."""


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """Where a target or rule came from: the registered plugin name and its distribution."""

    name: str
    distribution: str


class UnknownEngineError(LookupError):
    """Raised by `PluginManager.engine` for a name no plugin provides a scenario engine for."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        self.name = name
        self.known = tuple(known)
        listing = ", ".join(self.known) if self.known else "none are registered"
        super().__init__(f"unknown engine `{name}`; known engines: {listing}")


class UnknownTargetError(LookupError):
    """Raised by `PluginManager.target` for a name no plugin provides."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        self.name = name
        self.known = tuple(known)
        listing = ", ".join(self.known) if self.known else "none are registered"
        super().__init__(f"unknown target `{name}`; known targets: {listing}")

    @property
    def diagnostic(self) -> Diagnostic:
        """Return this error as a located finding (SW901) for reporters."""
        return Diagnostic.of(UNKNOWN_TARGET, str(self), "<command line>", NO_SPAN)


def _plugin_file(name: str) -> str:
    return f"<plugin {name}>"


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


class PluginManager:
    """Loads statewright plugins and exposes their targets and rules as typed values."""

    def __init__(
        self,
        builtins: Iterable[str] = BUILTIN_PLUGINS,
        *,
        plugins: Iterable[object] = (),
        entry_points: bool = True,
    ) -> None:
        """Register built-ins, then `plugins` (tests, embedding), then entry points."""
        self._pm = pluggy.PluginManager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs)
        self._diagnostics: list[Diagnostic] = []
        self._info: dict[str, PluginInfo] = {}
        self._targets: dict[str, Target] | None = None
        self._target_providers: dict[str, PluginInfo] = {}
        self._rules: list[Rule] | None = None
        self._rule_providers: dict[str, PluginInfo] = {}
        self._engines: dict[str, EngineSpec] | None = None
        self._engine_providers: dict[str, PluginInfo] = {}
        for module_name in builtins:
            self._register_builtin(module_name)
        for plugin in plugins:
            self._register(plugin, None, "<registered directly>")
        if entry_points:
            self._load_entry_points()
        self._check_pending()

    # ------------------------------------------------------------------ loading

    @property
    def pluggy(self) -> pluggy.PluginManager:
        """Return the underlying pluggy manager (for introspection and tests)."""
        return self._pm

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """Return every warning about plugins (loading and every hook), in a stable order."""
        self.targets()
        self.rules()
        self.engines()
        return tuple(sorted(self._diagnostics, key=Diagnostic.sort_key))

    def _warn(self, code: Code, plugin: str, message: str) -> None:
        self._diagnostics.append(Diagnostic.of(code, message, _plugin_file(plugin), NO_SPAN))

    def _register_builtin(self, module_name: str) -> None:
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            self._warn(
                PLUGIN_FAILED,
                module_name,
                f"built-in plugin `{module_name}` failed to import: {_describe(exc)}",
            )
            return
        self._register(module, None, f"statewright {__version__}")

    def _register(self, plugin: object, name: str | None, distribution: str) -> None:
        label = name or self._pm.get_canonical_name(plugin)
        if self._pm.is_registered(plugin):
            return
        try:
            registered = self._pm.register(plugin, name=name)
        except Exception as exc:
            self._warn(PLUGIN_FAILED, label, f"plugin `{label}` could not be registered: {_describe(exc)}")
            return
        if registered is not None:
            self._info[registered] = PluginInfo(registered, distribution)

    def _load_entry_points(self) -> None:
        found: list[tuple[str, str, importlib.metadata.EntryPoint]] = []
        for dist in importlib.metadata.distributions():
            dist_name = f"{dist.metadata['Name'] or '?'} {dist.version}"
            for ep in dist.entry_points:
                if ep.group == ENTRY_POINT_GROUP:
                    found.append((ep.name, dist_name, ep))
        for ep_name, dist_name, ep in sorted(found, key=lambda item: (item[0], item[1])):
            if self._pm.has_plugin(ep_name) or self._pm.is_blocked(ep_name):
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                self._warn(
                    PLUGIN_FAILED,
                    ep_name,
                    f"plugin `{ep_name}` ({ep.value}, from {dist_name}) failed to load: {_describe(exc)}",
                )
                continue
            self._register(plugin, ep_name, dist_name)

    def _check_pending(self) -> None:
        try:
            self._pm.check_pending()
        except pluggy.PluginValidationError as exc:
            plugin = self._pm.get_name(exc.plugin) or "?"
            self._warn(
                PLUGIN_FAILED, plugin, f"plugin `{plugin}` implements an unknown hook: {_describe(exc)}"
            )

    def info(self, plugin_name: str) -> PluginInfo:
        """Return where a registered plugin came from (its distribution)."""
        return self._info.get(plugin_name, PluginInfo(plugin_name, "?"))

    # ------------------------------------------------------------------ calling hooks

    def _call_each(self, hook_name: str) -> list[tuple[PluginInfo, list[Any]]]:
        """Call one hook on every plugin separately so that one failure skips only that plugin."""
        caller = getattr(self._pm.hook, hook_name)
        results: list[tuple[PluginInfo, list[Any]]] = []
        for impl in caller.get_hookimpls():
            if impl.hookwrapper or impl.wrapper:
                continue
            info = self.info(impl.plugin_name)
            try:
                value = impl.function()
            except Exception as exc:
                self._warn(
                    PLUGIN_FAILED,
                    impl.plugin_name,
                    f"plugin `{impl.plugin_name}` raised in `{hook_name}`: {_describe(exc)}",
                )
                continue
            if value is None:
                continue
            if isinstance(value, str | bytes) or not isinstance(value, Iterable):
                self._warn(
                    PLUGIN_CONFLICT,
                    impl.plugin_name,
                    f"plugin `{impl.plugin_name}` returned {value!r} from `{hook_name}`, expected a list",
                )
                continue
            results.append((info, list(value)))
        return results

    def _collect(
        self,
        hook_name: str,
        kind: str,
        valid: Callable[[object], bool],
        name_ok: Callable[[str], str | None],
    ) -> tuple[dict[str, Any], dict[str, PluginInfo]]:
        chosen: dict[str, Any] = {}
        providers: dict[str, PluginInfo] = {}
        for info, items in self._call_each(hook_name):
            for item in items:
                if not valid(item):
                    self._warn(
                        PLUGIN_CONFLICT,
                        info.name,
                        f"plugin `{info.name}` returned {item!r}, which is not a {kind}",
                    )
                    continue
                name = item.name
                problem = name_ok(name)
                if problem is not None:
                    self._warn(
                        PLUGIN_CONFLICT, info.name, f"plugin `{info.name}` provides a {kind} {problem}"
                    )
                    continue
                if name in chosen:
                    first = providers[name].name
                    self._warn(
                        PLUGIN_CONFLICT,
                        info.name,
                        f"{kind} `{name}` from plugin `{info.name}` is ignored: "
                        f"plugin `{first}` already provides a {kind} of that name",
                    )
                    continue
                chosen[name] = item
                providers[name] = info
        return chosen, providers

    def targets(self) -> dict[str, Target]:
        """Return every registered target by name, sorted by name (computed once)."""
        if self._targets is None:
            chosen, providers = self._collect(
                "statewright_targets", "target", _is_target, _target_name_problem
            )
            self._targets = {name: chosen[name] for name in sorted(chosen)}
            self._target_providers = providers
        return dict(self._targets)

    def rules(self) -> list[Rule]:
        """Return every registered verification rule, sorted by family then name (computed once)."""
        if self._rules is None:
            chosen, providers = self._collect("statewright_rules", "rule", _is_rule, _rule_name_problem)
            self._rules = sorted(chosen.values(), key=lambda rule: (rule.family, rule.name))
            self._rule_providers = providers
        return list(self._rules)

    def engines(self) -> dict[str, EngineSpec]:
        """Return every registered scenario engine by name, sorted by name (computed once)."""
        if self._engines is None:
            chosen, providers = self._collect(
                "statewright_engines", "scenario engine", _is_engine, _engine_name_problem
            )
            self._engines = {name: chosen[name] for name in sorted(chosen)}
            self._engine_providers = providers
        return dict(self._engines)

    def engine(self, name: str) -> EngineSpec:
        """Return the engine called `name`, or raise `UnknownEngineError` listing the known ones."""
        engines = self.engines()
        if name not in engines:
            raise UnknownEngineError(name, list(engines))
        return engines[name]

    def engine_provider(self, name: str) -> PluginInfo:
        """Return the plugin that provides engine `name`."""
        self.engines()
        return self._engine_providers[name]

    def target(self, name: str) -> Target:
        """Return the target called `name`, or raise `UnknownTargetError` listing the known ones."""
        targets = self.targets()
        if name not in targets:
            raise UnknownTargetError(name, list(targets))
        return targets[name]

    def target_provider(self, name: str) -> PluginInfo:
        """Return the plugin that provides target `name`."""
        self.targets()
        return self._target_providers[name]

    def rule_provider(self, name: str) -> PluginInfo:
        """Return the plugin that provides rule `name`."""
        self.rules()
        return self._rule_providers[name]


def _is_target(item: object) -> bool:
    return isinstance(item, Target) and isinstance(getattr(item, "name", None), str)


def _is_rule(item: object) -> bool:
    return isinstance(item, Rule) and isinstance(getattr(item, "name", None), str)


def _is_engine(item: object) -> bool:
    return (
        isinstance(item, EngineSpec)
        and isinstance(item.name, str)
        and isinstance(item.target, str)
        and callable(item.load)
    )


def _engine_name_problem(name: str) -> str | None:
    if not TARGET_NAME.fullmatch(name):
        return f"with the invalid name {name!r} (use letters, digits, `_`, `.` and `-`)"
    return None


def _target_name_problem(name: str) -> str | None:
    if name in RESERVED_TARGET_NAMES:
        return f"named `{name}`, which is reserved by the command line"
    if not TARGET_NAME.fullmatch(name):
        return f"with the invalid name {name!r} (use letters, digits, `_`, `.` and `-`)"
    return None


def _rule_name_problem(name: str) -> str | None:
    return None if name else "with an empty name"


@functools.cache
def get_plugin_manager() -> PluginManager:
    """Return the process-wide plugin manager (built-ins plus installed entry points), built once."""
    return PluginManager()
