"""Design reports of the examples as `statewright build` makes them: verified, reviewed, rendered."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from statewright.cli.invocation import compile_input
from statewright.ir import Machine
from statewright.pipeline import DEFAULT_MAX_BYTES
from statewright.plugins.api import TargetOptions
from statewright.plugins.manager import PluginManager
from statewright.plugins.review import Review
from statewright.report.review import reviewed_verification
from statewright.targets.report import ReportTarget


@dataclass(frozen=True)
class Built:
    """One example's machine, its review and its report page."""

    machine: Machine
    review: Review
    page: str


def build_report(path: Path) -> Built:
    """Compile and verify `path` with every built-in rule, then run the `report` target as `build` does."""
    rules = PluginManager(entry_points=False).rules()
    report, machine = compile_input(path, rules, DEFAULT_MAX_BYTES, False)
    assert machine is not None and report.run is not None, report.diagnostics
    verification = reviewed_verification(report.run, rules, report.diagnostics, report.name)
    assert verification.review is not None
    output = ReportTarget().generate(
        machine, TargetOptions(source_name=report.name, verification=verification)
    )
    assert not output.diagnostics, output.diagnostics
    (artifact,) = output.artifacts
    return Built(machine, verification.review, artifact.content)
