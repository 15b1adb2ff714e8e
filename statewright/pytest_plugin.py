"""The pytest plugin (entry point `pytest11: statewright`): `.wf` files as test items, opt-in.

With `pytest --statewright`, or `statewright_collect = true` in the pytest ini options,
every collected `*.wf` file yields two items:

- `check`: what `statewright check FILE` reports, `[tool.statewright]` and inline
  suppressions applied; it fails on errors (and on warnings with `strict = true` or
  `--statewright-strict`), with the rendered findings as the failure text;
- `design`: what `statewright test FILE` runs on the Python runtime (the design's
  property test and the path-covering scenarios), bounded by `statewright_max_examples`
  (default 25), `statewright_steps` (10), `statewright_depth` (12) and `statewright_seed`
  (0); it fails when the generated code breaks the design, with the findings as the text.

Without the flag or the ini option nothing changes: `.wf` files are not collected, and
nothing of statewright's but this module is imported (the plugin loads in every pytest run).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from statewright.cli.invocation import FileReport
    from statewright.diagnostics import Diagnostic

_SETTINGS = {
    "statewright_max_examples": ("25", "Hypothesis runs of the design state machine per `.wf` file."),
    "statewright_steps": ("10", "Steps per run of the design state machine."),
    "statewright_depth": ("12", "Longest path-covering scenario."),
    "statewright_seed": ("0", "Seed of the design test: the same seed repeats the same runs."),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add `--statewright` (and `--statewright-strict`) and the `statewright_*` ini options."""
    group = parser.getgroup("statewright", "statewright workflow specs (.wf)")
    group.addoption(
        "--statewright",
        action="store_true",
        default=False,
        help="Collect *.wf files: a `check` and a `design` (property test) item per file.",
    )
    group.addoption(
        "--statewright-strict",
        action="store_true",
        default=False,
        help="The `check` items fail on warnings too (as `statewright check --strict`).",
    )
    parser.addini(
        "statewright_collect", "Collect *.wf files as with --statewright.", type="bool", default=False
    )
    for name, (default, help_text) in _SETTINGS.items():
        parser.addini(name, f"{help_text} (default {default})", default=default)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    """Collect a `.wf` file when the plugin is switched on."""
    config = parent.config
    if file_path.suffix != ".wf":
        return None
    if not (config.getoption("statewright") or config.getini("statewright_collect")):
        return None
    workflow: WorkflowFile = WorkflowFile.from_parent(parent, path=file_path)
    return workflow


class WorkflowFile(pytest.File):
    """One `.wf` file: its `check` item and its `design` item."""

    def collect(self) -> Iterator[pytest.Item]:
        """Yield the file's two items."""
        yield CheckItem.from_parent(self, name="check")
        yield DesignItem.from_parent(self, name="design")


class WorkflowFailedError(Exception):
    """An item's failure, carrying the text pytest shows (the rendered findings)."""


class _WorkflowItem(pytest.Item):
    """What both items share: compiling the file and showing findings as the failure."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # No fixtures; the attribute is there for plugins that read every item's `funcargs`
        # (pytest-lsp's runtest wrapper stops without yielding on an item lacking it).
        self.funcargs: dict[str, object] = {}

    def compiled(self) -> tuple[FileReport, Any]:
        """Compile and verify the file as `statewright check` does (configuration applied)."""
        from statewright.cli.invocation import compile_input
        from statewright.pipeline import DEFAULT_MAX_BYTES
        from statewright.plugins.manager import get_plugin_manager

        manager = get_plugin_manager()
        strict = bool(self.config.getoption("statewright_strict"))
        return compile_input(_shown_path(self.path), manager.rules(), DEFAULT_MAX_BYTES, strict)

    def fail_with(self, report: FileReport, findings: tuple[Diagnostic, ...], headline: str) -> None:
        """Raise the failure: a headline, then every finding rendered with its source line."""
        from statewright.cli.invocation import Invocation
        from statewright.diagnostics.render import render_full

        invocation = Invocation(reports=[report])
        lookup = invocation.lookup()
        rendered = "\n\n".join(render_full(d, lookup) for d in findings)
        raise WorkflowFailedError(f"{headline}\n\n{rendered}" if rendered else headline)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str:
        """Show a workflow failure as its findings, not as a Python traceback."""
        if isinstance(excinfo.value, WorkflowFailedError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """Name the item after the file and the command it stands for."""
        return self.path, None, f"statewright {self.name} {self.path.name}"


class CheckItem(_WorkflowItem):
    """`statewright check FILE`: fails on errors (on warnings too when strict)."""

    def runtest(self) -> None:
        """Compile, verify and judge the file as `statewright check` would."""
        from statewright.cli.invocation import Invocation

        report, _machine = self.compiled()
        strict = bool(self.config.getoption("statewright_strict"))
        invocation = Invocation(reports=[report], strict=strict)
        findings = invocation.all()
        if invocation.exit_code() != 0:
            self.fail_with(report, findings, f"statewright check {report.name}: {_counts(findings)}")


class DesignItem(_WorkflowItem):
    """`statewright test FILE` on the Python runtime, with the ini options' bounds."""

    def runtest(self) -> None:
        """Run the design property test and the path scenarios; fail when the generated code breaks it."""
        from statewright.diagnostics import Severity
        from statewright.plugins.manager import get_plugin_manager
        from statewright.testing.suite import TestOptions, test_machine

        report, machine = self.compiled()
        errors = tuple(d for d in report.diagnostics if d.severity is Severity.ERROR)
        if machine is None or errors:
            self.fail_with(
                report, errors, f"statewright test {report.name}: the spec has errors, nothing to test"
            )
        options = TestOptions(
            ("python",),
            max_examples=_setting(self.config, "statewright_max_examples"),
            steps=_setting(self.config, "statewright_steps"),
            seed=_setting(self.config, "statewright_seed", minimum=0),
            depth=_setting(self.config, "statewright_depth"),
            drawn=0,
        )
        outcome = test_machine(machine, report.name, options, manager=get_plugin_manager())
        report.later.extend(outcome.diagnostics)
        failed = tuple(d for d in report.diagnostics if d.severity is Severity.ERROR)
        if failed:
            self.fail_with(report, failed, f"statewright test {report.name}: the design test failed")


def _shown_path(path: Path) -> Path:
    """`path` relative to the working directory when below it (as a user would type it), else as is."""
    relative = os.path.relpath(path)
    return Path(relative) if not relative.startswith("..") else path


def _setting(config: pytest.Config, name: str, minimum: int = 1) -> int:
    """An integer ini option; a value that is not one is a usage error naming the option."""
    raw = str(config.getini(name)).strip()
    try:
        value = int(raw)
    except ValueError:
        raise pytest.UsageError(f"ini option {name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise pytest.UsageError(f"ini option {name} must be at least {minimum}, got {value}")
    return value


def _counts(findings: tuple[Diagnostic, ...]) -> str:
    """`2 errors, 1 warning` for a failure's headline."""
    from statewright.diagnostics import Severity

    errors = sum(1 for d in findings if d.severity is Severity.ERROR)
    warnings = sum(1 for d in findings if d.severity is Severity.WARNING)
    return f"{errors} error{'' if errors == 1 else 's'}, {warnings} warning{'' if warnings == 1 else 's'}"
