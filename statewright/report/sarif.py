"""Findings as SARIF 2.1.0, the format code-scanning tools read (GitHub code scanning, VS Code, Azure DevOps).

One log, one run. `tool.driver` names statewright and lists a reporting
descriptor (`rules`) for every code that occurs among the results, with its
title, help and default level. Each finding about a `.wf` file is a result
with a physical location: the file's URI relative to the working directory
(`uriBaseId` `%SRCROOT%`, declared in `originalUriBaseIds`), or an absolute
`file:` URI for a file outside it, and a region with 1-based lines and columns.
Columns count Unicode code points, as statewright's spans do, and the run says
so (`columnKind` `unicodeCodePoints`); `endColumn` is exclusive in both.

A counterexample (the shortest event sequence to the problem) becomes a code
flow with one thread-flow location per event, and is repeated as a plain list
in the result's `properties.counterexample`; a witness (a concrete context) is
`properties.witness`.

Every result carries `partialFingerprints` (`report/fingerprints.py`: the code, the
file and the names the finding is about, never its line), so code scanning keeps one
alert per finding across runs and unrelated edits.

Findings that concern no source file — a plugin that failed to load, an
unknown target on the command line — are not code-scanning results: they are
reported as tool configuration or execution notifications of the invocation.

The output validates against the official SARIF 2.1.0 JSON schema
(tests/report/sarif-schema-2.1.0.json).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from statewright import __version__
from statewright.diagnostics import CODES, Code, Diagnostic, Severity
from statewright.report.fingerprints import FINGERPRINT_KEY, fingerprints
from statewright.source import NO_SPAN, Span

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
DEFAULT_INFORMATION_URI = "https://pypi.org/project/statewright/"
"""Used when the installed distribution declares no homepage (pyproject `[project.urls]`)."""

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_CONFIGURATION_CODES = frozenset({"SW900", "SW904"})
"""Codes about plugins: reported as tool configuration notifications when they concern no file."""

_FAMILIES = (
    ("SW0", "input"),
    ("SW1", "names"),
    ("SW2", "types"),
    ("SW3", "structure"),
    ("SW4", "guards"),
    ("SW5", "sagas"),
    ("SW6", "waits"),
    ("SW7", "retries"),
    ("SW81", "recommendation"),
    ("SW8", "parallel"),
    ("SW90", "tool"),
    ("SW9", "targets"),
)


def information_uri() -> str:
    """Return the project's homepage from the installed metadata, or the package index page."""
    try:
        metadata = importlib.metadata.metadata("statewright")
    except importlib.metadata.PackageNotFoundError:
        return DEFAULT_INFORMATION_URI
    for entry in metadata.get_all("Project-URL") or ():
        label, _, url = entry.partition(",")
        if label.strip().lower() in ("homepage", "home", "source", "repository") and url.strip():
            return str(url.strip())
    for home in metadata.get_all("Home-page") or ():
        if str(home).strip():
            return str(home).strip()
    return DEFAULT_INFORMATION_URI


def _family(code: str) -> str | None:
    for prefix, name in _FAMILIES:
        if code.startswith(prefix):
            return name
    return None


def _descriptor(code: str, severity: Severity) -> dict[str, Any]:
    """Return the reporting descriptor of a code (a minimal one for a code nobody registered)."""
    known: Code | None = CODES.get(code)
    descriptor: dict[str, Any] = {"id": code}
    if known is None:
        descriptor["shortDescription"] = {"text": f"{code} (not a registered statewright code)"}
        descriptor["defaultConfiguration"] = {"level": _LEVELS[severity]}
        return descriptor
    descriptor["name"] = known.name
    descriptor["shortDescription"] = {"text": known.title}
    descriptor["help"] = {"text": known.help or known.title}
    descriptor["defaultConfiguration"] = {"level": _LEVELS[known.severity]}
    family = _family(code)
    if family is not None:
        descriptor["properties"] = {"tags": ["statewright", family]}
    return descriptor


def is_source_file(name: str) -> bool:
    """False for the pseudo-files findings use for the command line and plugins (`<command line>`)."""
    return bool(name) and not (name.startswith("<") and name.endswith(">"))


def artifact_location(file: str, root: Path) -> dict[str, Any]:
    """Return the artifact location of `file`: relative to `root` when inside it, else an absolute URI."""
    path = Path(file)
    absolute = Path(os.path.normpath(path if path.is_absolute() else root / path))
    try:
        relative = absolute.relative_to(Path(os.path.normpath(root)))
    except ValueError:
        return {"uri": absolute.as_uri()}
    return {"uri": quote(PurePosixPath(*relative.parts).as_posix(), safe="/"), "uriBaseId": SRCROOT}


def region(span: Span) -> dict[str, int] | None:
    """Return the SARIF region of a span (None for the no-position span)."""
    if span == NO_SPAN:
        return None
    end_line = max(span.end_line, span.line)
    end_column = span.end_column if end_line > span.line else max(span.end_column, span.column)
    return {
        "startLine": span.line,
        "startColumn": span.column,
        "endLine": end_line,
        "endColumn": max(1, end_column),
    }


def _physical(file: str, span: Span, root: Path) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": artifact_location(file, root)}
    found = region(span)
    if found is not None:
        physical["region"] = found
    return physical


def _code_flow(counterexample: Sequence[str]) -> dict[str, Any]:
    steps = list(counterexample) or ["(initial state)"]
    return {
        "message": {"text": "shortest event sequence from the initial state: " + " -> ".join(steps)},
        "threadFlows": [
            {
                "locations": [
                    {"location": {"message": {"text": step}}, "executionOrder": index}
                    for index, step in enumerate(steps, start=1)
                ]
            }
        ],
    }


def _result(finding: Diagnostic, rule_index: int, root: Path) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": _LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": _physical(finding.file, finding.span, root)}],
    }
    if finding.related:
        result["relatedLocations"] = [
            {"id": index, "physicalLocation": _physical(r.file, r.span, root), "message": {"text": r.message}}
            for index, r in enumerate(finding.related)
            if is_source_file(r.file)
        ]
        if not result["relatedLocations"]:
            del result["relatedLocations"]
    properties: dict[str, Any] = {}
    if finding.counterexample is not None:
        result["codeFlows"] = [_code_flow(finding.counterexample)]
        properties["counterexample"] = list(finding.counterexample)
    if finding.witness is not None:
        properties["witness"] = {name: value for name, value in finding.witness}
    known = CODES.get(finding.code)
    if finding.help and (known is None or finding.help != known.help):
        properties["help"] = finding.help
    if finding.label:
        properties["label"] = finding.label
    if properties:
        result["properties"] = properties
    return result


def _notification(finding: Diagnostic, index: int) -> dict[str, Any]:
    text = finding.message if not finding.help else f"{finding.message} (help: {finding.help})"
    return {
        "descriptor": {"id": finding.code, "index": index},
        "level": _LEVELS[finding.severity],
        "message": {"text": text},
    }


def sarif_log(
    findings: Sequence[Diagnostic],
    *,
    root: Path | None = None,
    exit_code: int | None = None,
    run_properties: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the SARIF 2.1.0 log of one statewright run (findings in the order given)."""
    root = Path(os.path.abspath(root if root is not None else Path.cwd()))
    on_files = [f for f in findings if is_source_file(f.file)]
    elsewhere = [f for f in findings if not is_source_file(f.file)]
    rule_ids = sorted({f.code: f.severity for f in on_files}.items())
    rules = [_descriptor(code, severity) for code, severity in rule_ids]
    rule_index = {code: index for index, (code, _severity) in enumerate(rule_ids)}
    notice_ids = sorted({f.code: f.severity for f in elsewhere}.items())
    notices = [_descriptor(code, severity) for code, severity in notice_ids]
    notice_index = {code: index for index, (code, _severity) in enumerate(notice_ids)}
    driver: dict[str, Any] = {
        "name": "statewright",
        "version": __version__,
        "semanticVersion": __version__,
        "informationUri": information_uri(),
        "rules": rules,
    }
    if notices:
        driver["notifications"] = notices
    invocation: dict[str, Any] = {"executionSuccessful": exit_code in (None, 0, 1)}
    if exit_code is not None:
        invocation["exitCode"] = exit_code
    configuration = [
        _notification(f, notice_index[f.code]) for f in elsewhere if f.code in _CONFIGURATION_CODES
    ]
    execution = [
        _notification(f, notice_index[f.code]) for f in elsewhere if f.code not in _CONFIGURATION_CODES
    ]
    if configuration:
        invocation["toolConfigurationNotifications"] = configuration
    if execution:
        invocation["toolExecutionNotifications"] = execution
    results = [_result(f, rule_index[f.code], root) for f in on_files]
    uris = [artifact_location(f.file, root)["uri"] for f in on_files]
    for result, key in zip(results, fingerprints(zip(on_files, uris, strict=True)), strict=True):
        result["partialFingerprints"] = {FINGERPRINT_KEY: key}
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "invocations": [invocation],
        "originalUriBaseIds": {SRCROOT: {"uri": root.as_uri().rstrip("/") + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    if run_properties:
        run["properties"] = dict(run_properties)
    return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": [run]}


def dumps(log: Mapping[str, Any]) -> str:
    """Return a SARIF log as indented JSON text (UTF-8 characters kept as they are)."""
    return json.dumps(log, indent=2, ensure_ascii=False)
