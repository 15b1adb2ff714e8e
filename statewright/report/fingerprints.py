"""SARIF `partialFingerprints`: a finding's identity that survives reruns and unrelated edits.

Code scanning (GitHub, Azure DevOps) matches results across runs by fingerprint, so the
same finding is one alert however often it is reported. The line a finding points at is
no part of it: editing an unrelated part of a file moves lines. A fingerprint is the
SHA-256 of the code, the file's URI (relative to the run's root), and what the finding
is about: the names its message quotes in backticks (states, events, fields, work), in
order; a message quoting none contributes its text with digits and spacing normalised.
Witness values and counterexample paths are left out (an unrelated edit can change
them). Equal keys in one run are told apart by their order (`:2`, `:3`, ...), which
follows the findings' order (by place).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator

from statewright.diagnostics import Diagnostic

FINGERPRINT_KEY = "statewrightFinding/v1"
"""The `partialFingerprints` key; a new version gets a new key, so tools do not mix them."""

_QUOTED = re.compile(r"`([^`\n]*)`")


def basis(finding: Diagnostic, uri: str) -> tuple[str, ...]:
    """Return what a finding's fingerprint is made of: code, file and the names it is about."""
    names = _QUOTED.findall(finding.message)
    if not names:
        names = [re.sub(r"\s+", " ", re.sub(r"[0-9]+", "#", finding.message)).strip()]
    return (finding.code, uri, *names)


def fingerprints(findings: Iterable[tuple[Diagnostic, str]]) -> Iterator[str]:
    """Yield one fingerprint per (finding, file URI), in order; repeats of a key get `:N`."""
    seen: dict[str, int] = {}
    for finding, uri in findings:
        digest = hashlib.sha256("\x1f".join(basis(finding, uri)).encode("utf-8")).hexdigest()[:32]
        count = seen[digest] = seen.get(digest, 0) + 1
        yield digest if count == 1 else f"{digest}:{count}"
