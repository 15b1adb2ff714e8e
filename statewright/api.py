"""The public Python API: load a spec, check it, build it, and run its generated machine.

`statewright.load(...)` returns a `Spec`: the compiled IR (when the front end
succeeded), the front end's findings, and methods that do what the command line
does, in process and without touching the file system:

    spec = statewright.load("examples/order_fulfilment.wf")
    report = spec.check()                  # every finding of `statewright check`
    if report.ok:
        built = spec.build("asl")          # artifacts (path, content) and the target's findings
        Order = spec.machine_class()       # the generated in-memory machine class
        order = Order(amount=Decimal("120.00"))

Nothing here raises for a bad spec: findings are data. `Spec.ir`,
`machine_class()` and `workflow_class()` raise `SpecError` (carrying the
findings) when there is no IR to give. Each call is a pure function of the spec
text and its arguments: no state is cached across `Spec` objects, and a `Spec`
caches only what it computed itself (its verification run). What is stable is
listed in docs/API.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from statewright import ir
from statewright.diagnostics import Diagnostic, Severity, has_errors
from statewright.diagnostics.render import render_concise
from statewright.pipeline import CompileResult, compile_path, compile_text
from statewright.plugins.api import Artifact, RuleContext, TargetOptions, TargetOutput
from statewright.plugins.manager import PluginManager, get_plugin_manager
from statewright.plugins.run import VerificationRun
from statewright.runtime.machine import Machine
from statewright.runtime.migrate import Outcome
from statewright.runtime.store import Store
from statewright.runtime.workflow import Workflow

if TYPE_CHECKING:  # the analysis imports z3: loaded by `Spec.diff` only
    from statewright.compiler.migration import Migration

_T = TypeVar("_T")

__all__ = ["BuildResult", "CheckResult", "Spec", "SpecError", "load", "load_path", "load_text"]


class SpecError(Exception):
    """The spec has no IR (its front end reported errors); `diagnostics` says why."""

    def __init__(self, name: str, diagnostics: tuple[Diagnostic, ...]) -> None:
        self.diagnostics = diagnostics
        shown = "\n".join(render_concise(d) for d in diagnostics if d.severity is Severity.ERROR)
        super().__init__(f"{name} does not compile:\n{shown}")


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What `statewright check` reports for one spec: every finding, sorted, and whether it passes."""

    diagnostics: tuple[Diagnostic, ...]
    strict: bool = False

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """The findings that fail the check (warnings too when strict)."""
        failing = {Severity.ERROR, Severity.WARNING} if self.strict else {Severity.ERROR}
        return tuple(d for d in self.diagnostics if d.severity in failing)

    @property
    def ok(self) -> bool:
        """True when nothing fails the check: `statewright check` would exit 0."""
        return not self.errors


@dataclass(frozen=True, slots=True)
class BuildResult:
    """One target's output for one spec: the files it would write and its findings."""

    target: str
    artifacts: tuple[Artifact, ...]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def ok(self) -> bool:
        """True when the target reported no error (its artifacts are then complete)."""
        return not has_errors(self.diagnostics)

    def write(self, directory: str | os.PathLike[str]) -> tuple[Path, ...]:
        """Write the artifacts under `directory` (created when missing); the paths written, in order."""
        root = Path(directory)
        written: list[Path] = []
        for artifact in self.artifacts:
            path = root / artifact.path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(artifact.content, encoding="utf-8", newline="")
            written.append(path)
        return tuple(written)


@dataclass(frozen=True)
class Spec:
    """A loaded `.wf` spec: its name, its text, the front end's result and what can be done with it."""

    name: str
    compiled: CompileResult = field(repr=False)
    plugins: PluginManager = field(repr=False, compare=False)

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """The front end's findings (syntax, names, types); `check()` adds verification's."""
        return tuple(self.compiled.diagnostics)

    @property
    def ir(self) -> ir.Machine:
        """The compiled IR (`statewright.ir.Machine`); `SpecError` when the front end failed."""
        machine = self.compiled.machine
        if machine is None or has_errors(self.compiled.diagnostics):
            raise SpecError(self.name, self.diagnostics)
        return machine

    @cached_property
    def _run(self) -> VerificationRun:
        return RuleContext().run_for(self.ir)

    def check(self, *, strict: bool = False) -> CheckResult:
        """Verify the spec with every registered rule, as `statewright check` does."""
        from statewright.compiler.verify import verify

        found = list(self.diagnostics)
        if self.compiled.machine is not None and not has_errors(found):
            context = RuleContext(strict=strict)
            found.extend(verify(self.ir, self.plugins.rules(), replace(context, run=self._run)))
        ordered = tuple(sorted(found, key=lambda d: (*d.sort_key(), d.severity.rank)))
        return CheckResult(ordered, strict)

    def build(self, target: str, options: Mapping[str, str] | None = None) -> BuildResult:
        """Generate one target's artifacts in memory, as `statewright build --target TARGET` would write them.

        Raises `SpecError` without an IR and `statewright.plugins.manager.UnknownTargetError`
        for a target no plugin registers.
        """
        from statewright.compiler.collector import collector_paused
        from statewright.compiler.verify.result import verification_of

        generator = self.plugins.target(target)
        settings = TargetOptions(
            source_name=self.name, extra=dict(options or {}), verification=verification_of(self._run)
        )
        with collector_paused():  # as `statewright build`: a target builds one large structure
            output: TargetOutput = generator.generate(self.ir, settings)
        return BuildResult(target, tuple(output.artifacts), tuple(output.diagnostics))

    def machine_class(self) -> type[Machine]:
        """The generated module's in-memory machine class (`<Name>Machine`), imported from memory."""
        return _generated(self, Machine)

    def workflow_class(self) -> type[Workflow]:
        """The generated module's durable workflow class (`<Name>`: instances on a store)."""
        return _generated(self, Workflow)

    def diff(self, new: Spec) -> Migration:
        """Whether an instance in each of this spec's states can move to `new`, as `statewright diff` reports.

        Raises `SpecError` when either spec has no IR; input problems (another workflow,
        no greater version, a bad `migrate` map) are the result's `diagnostics`.
        """
        from statewright.compiler.migration import analyse

        return analyse(self.ir, new.ir, self.name, new.name)

    def migrate(
        self, store: Store, new: Spec, *, now_ms: int, actor: str | None = None, dry_run: bool = False
    ) -> tuple[Outcome, ...]:
        """Move this spec's running instances on `store` to `new`, as `statewright run migrate` does.

        Each instance moves in one store transaction or is refused (`outcome` "refused",
        with why) and left unchanged. Raises `SpecError` when the specs do not compare.
        """
        from statewright.runtime.definition import Definition
        from statewright.runtime.migrate import Plan, migrate_instance

        migration = self.diff(new)
        if has_errors(migration.diagnostics):
            raise SpecError(new.name, migration.diagnostics)
        old_definition, new_definition = Definition(self.ir), Definition(new.ir)
        plan = Plan.of(migration.rows(), migration.transitions)
        found = (
            migrate_instance(
                store, old_definition, new_definition, plan, i.id, now_ms, actor=actor, dry_run=dry_run
            )
            for i in store.instances()
        )
        return tuple(outcome for outcome in found if outcome is not None)


def _generated(spec: Spec, base: type[_T]) -> type[_T]:
    """The one subclass of `base` in the spec's generated `python` module."""
    from statewright.targets.python import render_module
    from statewright.testing.generated import import_source

    module = import_source(render_module(spec.ir, spec.name), spec.ir.name.lower())
    (found,) = (
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, base) and value is not base
    )
    return found


def load_path(path: str | os.PathLike[str], *, plugins: PluginManager | None = None) -> Spec:
    """Load a `.wf` file (read as `statewright check` reads it: UTF-8, size and encoding checked)."""
    compiled = compile_path(Path(path))
    return Spec(compiled.name, compiled, plugins or get_plugin_manager())


def load_text(text: str, name: str = "inline.wf", *, plugins: PluginManager | None = None) -> Spec:
    """Load spec text held in memory; `name` is what findings cite as the file."""
    return Spec(name, compile_text(text, name), plugins or get_plugin_manager())


def load(source: str | os.PathLike[str], *, plugins: PluginManager | None = None) -> Spec:
    """Load a spec from a path or from its text.

    A `pathlib.Path` (any `os.PathLike`) is a file. A string is a file when it is
    one line ending in `.wf` or names an existing file, and spec text otherwise;
    `load_path` and `load_text` say which explicitly.
    """
    if not isinstance(source, str):
        return load_path(source, plugins=plugins)
    one_line = "\n" not in source and len(source) < 4096
    if one_line and (source.endswith(".wf") or Path(source).is_file()):
        return load_path(source, plugins=plugins)
    return load_text(source, plugins=plugins)
