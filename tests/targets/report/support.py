"""Design reports of the examples as `statewright build` makes them: verified, reviewed, rendered."""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
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


class Page(HTMLParser):
    """Every start tag with its attributes, the scripts' text, and the page's text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if tag == "script":
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data
        else:
            self.text.append(data)


def refers_outside(page: Page) -> list[str]:
    """Every attribute that could make the browser fetch something."""
    found = []
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            if name in ("src", "href", "xlink:href", "action", "srcset", "data") and not (
                value or ""
            ).startswith("#"):
                found.append(f"<{tag} {name}={value!r}>")
    return found
