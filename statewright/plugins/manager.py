"""A typed facade over pluggy: find plugins, call their hooks, and never let one crash the run.

Built-in plugins are modules named in `BUILTIN_PLUGINS`; they are passed to
`pluggy.PluginManager.register`, exactly as a third-party plugin is. The target
modules among them and the scenario engines' module are not imported to do so
(`plugins.builtin`): each is registered under its own name as a stand-in that
describes its targets (`TargetSpec`) or imports the module when its hook is
first called, so finding the plugins imports no target and `check` imports only
what checking needs. A target described by a `TargetSpec`, built-in or
third-party, is loaded when it is first asked for (`target`, `targets`); one
that fails to load is reported then (SW904) and stands in as a target that
cannot run and says why.
Third-party plugins are loaded from the entry-point group `statewright`
(`importlib.metadata.entry_points(group=...)`, which reads no distribution's
metadata but the entry points), one entry point at a time (pluggy's
`load_setuptools_entrypoints` stops at the first plugin that fails to import;
loading each on its own keeps one broken package from hiding the others). Entry
points are loaded in name order, so the result does not depend on the order of
`sys.path`.

Every problem with a plugin — it fails to import, its hook raises, it returns
something that is not a target, rule or engine, two plugins claim the same name —
becomes a warning `Diagnostic` in `PluginManager.diagnostics`, never a traceback.
When two plugins provide the same target, rule or engine name, the first registered
wins: built-ins are registered first, so a third-party package cannot silently
replace one. `diagnostics` holds the warnings of loading, of the target and rule
hooks, and of the engine hook once the engines were asked for.
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
from statewright.plugins import builtin, hookspecs
from statewright.plugins.api import EngineSpec, Rule, Target, TargetOptions, TargetOutput, TargetSpec
from statewright.source import NO_SPAN

BUILTIN_PLUGINS: tuple[str, ...] = builtin.PLUGINS
"""Modules registered before any entry point, through the same `register` call (`plugins.builtin`)."""

ENTRY_POINT_GROUP = hookspecs.PROJECT
"""The entry-point group third-party packages use: `[project.entry-points.statewright]`."""

_BUILTIN = f"statewright {__version__}"
"""The distribution named as the built-in plugins' origin."""

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


class _DescribedTargets:
    """A built-in target module registered under its own name, not imported: its targets as `TargetSpec`s."""

    def __init__(self, module: str, targets: Sequence[tuple[str, str]]) -> None:
        self.module = module
        self.specs = tuple(
            TargetSpec(name, description, functools.partial(self.provided, name))
            for name, description in targets
        )
        self._provided: tuple[object, ...] | None = None

    @hookspecs.hookimpl
    def statewright_targets(self) -> list[Target | TargetSpec]:
        """The module's targets, described (`plugins.builtin.TARGET_MODULES`)."""
        return list(self.specs)

    def provided(self, name: str) -> Target:
        """Import the module and return its target `name`, from its own hook (called once per module)."""
        if self._provided is None:
            self._provided = tuple(importlib.import_module(self.module).statewright_targets())
        for target in self._provided:
            if isinstance(target, Target) and target.name == name:
                return target
        raise LookupError(f"`{self.module}` provides no target `{name}`")


class _DeferredEngines:
    """A built-in engine module registered under its own name, imported when the engines are asked for."""

    def __init__(self, module: str) -> None:
        self.module = module

    @hookspecs.hookimpl
    def statewright_engines(self) -> list[EngineSpec]:
        """The module's own `statewright_engines`, imported now."""
        engines: list[EngineSpec] = importlib.import_module(self.module).statewright_engines()
        return engines


@dataclass(frozen=True, slots=True)
class _Unloadable:
    """What stands in for a described target that failed to load: it cannot run and says why."""

    name: str
    description: str
    reason: str

    def unavailable(self) -> str:
        """Why the target cannot run (`--target all` skips it with this note)."""
        return self.reason

    def generate(self, machine: object, options: TargetOptions) -> TargetOutput:
        """Fail as a crashing target does, so `build` reports it (SW907)."""
        raise RuntimeError(self.reason)


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
        self._targets: dict[str, Target | TargetSpec] | None = None
        self._loaded: dict[str, Target] = {}
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
        """Return the warnings about plugins, in a stable order.

        Loading, the target and rule hooks (no target is loaded for it), the engine
        hook once `engines` was called, and each target that failed to load when asked for.
        """
        self._target_table()
        self.rules()
        return tuple(sorted(self._diagnostics, key=Diagnostic.sort_key))

    def _warn(self, code: Code, plugin: str, message: str) -> None:
        self._diagnostics.append(Diagnostic.of(code, message, _plugin_file(plugin), NO_SPAN))

    def _register_builtin(self, module_name: str) -> None:
        described = builtin.TARGET_MODULES.get(module_name)
        if described is not None:
            self._register(_DescribedTargets(module_name, described), module_name, _BUILTIN)
            return
        if module_name in builtin.ENGINE_MODULES:
            self._register(_DeferredEngines(module_name), module_name, _BUILTIN)
            return
        try:
            module = importlib.import_module(module_name)
        except Exception as exc:
            self._warn(
                PLUGIN_FAILED,
                module_name,
                f"built-in plugin `{module_name}` failed to import: {_describe(exc)}",
            )
            return
        self._register(module, None, _BUILTIN)

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
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = ep.dist
            dist_name = "?" if dist is None else f"{dist.metadata['Name'] or '?'} {dist.version}"
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

    def _target_table(self) -> dict[str, Target | TargetSpec]:
        """Every registered target or its description by name, sorted (collected once, none loaded)."""
        if self._targets is None:
            chosen, providers = self._collect(
                "statewright_targets", "target", _is_target_or_spec, _target_name_problem
            )
            self._targets = {name: chosen[name] for name in sorted(chosen)}
            self._target_providers = providers
        return self._targets

    def target_names(self) -> tuple[str, ...]:
        """Return every registered target's name, sorted, without loading any target."""
        return tuple(self._target_table())

    def targets(self) -> dict[str, Target]:
        """Return every registered target by name, sorted by name, each loaded (once) if it was described."""
        return {name: self._load_target(name) for name in self._target_table()}

    def _load_target(self, name: str) -> Target:
        """The target registered as `name`: the one handed over, or its `TargetSpec` loaded (once)."""
        loaded = self._loaded.get(name)
        if loaded is None:
            entry = self._target_table()[name]
            loaded = self._load_spec(entry) if isinstance(entry, TargetSpec) else entry
            self._loaded[name] = loaded
        return loaded

    def _load_spec(self, spec: TargetSpec) -> Target:
        """Load a described target; a failure is a warning and a stand-in that cannot run."""
        plugin = self._target_providers[spec.name].name
        try:
            loaded: object = spec.load()
        except Exception as exc:
            reason = f"target `{spec.name}` failed to load: {_describe(exc)}"
            self._warn(PLUGIN_FAILED, plugin, f"plugin `{plugin}`: {reason}")
            return _Unloadable(spec.name, spec.description, reason)
        if not _is_target(loaded) or getattr(loaded, "name", None) != spec.name:
            reason = f"target `{spec.name}` loaded {loaded!r}, which is not a target of that name"
            self._warn(PLUGIN_CONFLICT, plugin, f"plugin `{plugin}`: {reason}")
            return _Unloadable(spec.name, spec.description, reason)
        assert isinstance(loaded, Target)
        return loaded

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
        """Return the target called `name` (loading only it), or raise `UnknownTargetError`."""
        table = self._target_table()
        if name not in table:
            raise UnknownTargetError(name, list(table))
        return self._load_target(name)

    def target_provider(self, name: str) -> PluginInfo:
        """Return the plugin that provides target `name`."""
        self._target_table()
        return self._target_providers[name]

    def rule_provider(self, name: str) -> PluginInfo:
        """Return the plugin that provides rule `name`."""
        self.rules()
        return self._rule_providers[name]


def _is_target(item: object) -> bool:
    return isinstance(item, Target) and isinstance(getattr(item, "name", None), str)


def _is_target_or_spec(item: object) -> bool:
    if isinstance(item, TargetSpec):
        return isinstance(item.name, str) and isinstance(item.description, str) and callable(item.load)
    return _is_target(item)


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
