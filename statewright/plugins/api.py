"""The types a plugin implements: targets that generate files, rules that check the IR, scenario engines.

A target may also be handed over as a `TargetSpec` (its name, description and a
loader), so that it is imported only when it is used.

A third-party package provides these through the hooks in `hookspecs.py`, exactly
as the built-in targets, rules and engines do.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from statewright.diagnostics import Diagnostic
from statewright.ir import Machine
from statewright.plugins.run import DEFAULT_SMT_TIMEOUT_MS, Verification, VerificationRun


@dataclass(frozen=True, slots=True)
class Artifact:
    """One generated file: a path relative to the output directory and its content."""

    path: str
    content: str


@dataclass(frozen=True, slots=True)
class TargetOptions:
    """Options every target receives; `extra` holds target-specific `--option key=value` pairs.

    `verification` is what verification proved about the machine (None when the
    target runs on an unverified machine, e.g. from a library call); a target that
    presents proofs reads them here, never from the verifier.
    """

    source_name: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)
    verification: Verification | None = None


@dataclass(frozen=True, slots=True)
class TargetOutput:
    """What a target returns: files to write and findings about the translation."""

    artifacts: tuple[Artifact, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()

    @classmethod
    def collect(cls, items: Iterable[Artifact | Diagnostic]) -> TargetOutput:
        """Gather a streaming target's items (see `StreamingTarget`) into one output: its `generate`."""
        artifacts: list[Artifact] = []
        diagnostics: list[Diagnostic] = []
        for item in map(streamed_item, items):
            if isinstance(item, Artifact):
                artifacts.append(item)
            else:
                diagnostics.append(item)
        return cls(tuple(artifacts), tuple(diagnostics))


def streamed_item(item: object) -> Artifact | Diagnostic:
    """An item a streaming target yielded; anything but an `Artifact` or a `Diagnostic` is a `TypeError`.

    `build` and `TargetOutput.collect` (a streaming target's `generate`, `Spec.build`)
    sort items alike, so a malformed stream fails the same way (SW907) everywhere.
    """
    if isinstance(item, Artifact | Diagnostic):
        return item
    raise TypeError(f"stream() yielded {type(item).__name__}, not an Artifact or a Diagnostic")


@runtime_checkable
class Target(Protocol):
    """A code generator: reads only the IR, never the source or the AST.

    A target that needs an outside tool may also define `unavailable() -> str | None`
    (a reason, or None when it can run); `--target all` then skips it with a note
    instead of failing, while naming the target explicitly still reports the problem.
    """

    @property
    def name(self) -> str:
        """The name users pass to `--target`."""
        ...

    @property
    def description(self) -> str:
        """One line shown by `statewright targets`."""
        ...

    def generate(self, machine: Machine, options: TargetOptions) -> TargetOutput:
        """Translate one verified machine into artifacts."""
        ...


@runtime_checkable
class StreamingTarget(Target, Protocol):
    """A target that can also hand over its files one by one, as it makes them (optional).

    `build` prefers `stream` when a target has it: each file is written to a
    temporary file (in a staging directory under the output directory) as it
    comes and dropped from memory, and the files are moved into place only when
    the stream ended without an error finding (as with `generate`, a target with
    an error, a crash or a bad path writes nothing). `generate` stays the
    whole-output form (the API's `Spec.build`, tests): `TargetOutput.collect(self.stream(...))`.
    """

    def stream(self, machine: Machine, options: TargetOptions) -> Iterable[Artifact | Diagnostic]:
        """Yield the target's files and findings, in any order, each file as soon as it is made."""
        ...


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """A target described without importing it: what `statewright_targets` may return instead of a `Target`.

    Listing the targets, checking a configuration's target names and `check`
    need only `name` and `description`; the plugin manager calls `load` the
    first time the target itself is asked for (to generate, or to ask whether it
    can run here), so a plugin's generator and its dependencies load only when
    used. `load` must return a `Target` of the same name.

    Whatever the plugin must do before any target is used (register its
    diagnostic codes, for `explain`, configuration checks and SARIF rules)
    belongs in the entry-point module, not in the module `load` imports.
    """

    name: str
    """The name users pass to `--target`."""
    description: str
    """One line shown by `statewright targets` (the loaded target's own description is shown)."""
    load: Callable[[], Target]
    """Import the target's module and return the target (its dependencies are imported here, not before)."""


SMT_TIMEOUT_SETTING = "smt_timeout_ms"
"""The `RuleContext.settings` key of the per-query solver time limit, in milliseconds."""


@dataclass(frozen=True, slots=True)
class RuleContext:
    """What a rule may consult besides the machine: settings from the command line, and the run.

    `run` is the verification run of the machine being checked, whose derived
    values (leaf graph, dispatch tables, SMT analysis) every rule of the run
    shares; `verify` supplies it. Read it through `run_for`.
    """

    strict: bool = False
    settings: Mapping[str, str] = field(default_factory=dict)
    run: VerificationRun | None = None

    def run_for(self, machine: Machine) -> VerificationRun:
        """The run of `machine`: the context's own, or a fresh one with the context's settings."""
        if self.run is not None and self.run.machine is machine:
            return self.run
        return VerificationRun(machine, strict=self.strict, smt_timeout_ms=self.smt_timeout_ms)

    @property
    def smt_timeout_ms(self) -> int:
        """The per-query solver time limit the settings ask for (the default when absent or unreadable)."""
        raw = self.settings.get(SMT_TIMEOUT_SETTING)
        try:
            return max(1, int(raw)) if raw is not None else DEFAULT_SMT_TIMEOUT_MS
        except ValueError:
            return DEFAULT_SMT_TIMEOUT_MS


@runtime_checkable
class Rule(Protocol):
    """A verification rule: a family name, the codes it may report, and a check."""

    @property
    def name(self) -> str:
        """A short, unique name for the rule."""
        ...

    @property
    def family(self) -> str:
        """The check family it belongs to (structure, guards, sagas, ...)."""
        ...

    @property
    def codes(self) -> tuple[str, ...]:
        """The diagnostic codes this rule may report."""
        ...

    def check(self, machine: Machine, context: RuleContext) -> Iterable[Diagnostic]:
        """Return the findings of this rule on one machine."""
        ...


@dataclass(frozen=True, slots=True)
class EngineSpec:
    """A scenario engine `statewright test --targets NAME` can run, described without importing it.

    An engine runs what one target generates (`target`, a registered target name)
    and reports observations the testing layer compares with the Python runtime's
    (the `Engine` protocol of `statewright.testing.engine`). `load` builds it from
    that target's plugin object, so the engine drives the target's public
    `generate`; it is called only when the engine is asked for, which keeps an
    executor such as moto or SpiffWorkflow out of every other command. Like a
    target's `unavailable()`, `unavailable()` says why the engine cannot run here
    (a module in `requires` is not installed), or None.
    """

    name: str
    """The name users pass to `statewright test --targets`."""
    target: str
    """The registered target whose artifacts the engine executes."""
    description: str
    """One line saying what executes the artifacts."""
    load: Callable[[Target], object]
    """Build the engine for the target's plugin object (import its executor here, not at module level)."""
    requires: tuple[str, ...] = ()
    """Top-level modules the engine imports when it runs: its optional dependencies."""
    install: str = ""
    """How to get `requires` (`pip install ...`), shown when one is missing."""

    def unavailable(self) -> str | None:
        """Say why this engine cannot run here (a required module is missing), or None when it can."""
        missing = [name for name in self.requires if not _importable(name)]
        if not missing:
            return None
        needed = ", ".join(f"`{name}`" for name in missing)
        hint = f" ({self.install})" if self.install else ""
        return f"the `{self.name}` engine needs {needed}, which is not installed{hint}"


def _importable(module: str) -> bool:
    """True when `module` can be imported, found without importing it (or its parents)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
