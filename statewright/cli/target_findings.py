"""A build's target findings, each said once and naming the targets it is about.

Several targets often report the same thing (the three BPMN flavours each say
that BPMN has no retry jitter); printed once per target, without saying which,
the report repeats itself and cannot be read. Findings equal but for the target
that reported them are merged into one that names every such target.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from statewright.diagnostics import Diagnostic


def merged(outputs: Iterable[tuple[str, Sequence[Diagnostic]]]) -> list[Diagnostic]:
    """One finding per distinct (finding) over every target, in first-seen order, naming its targets."""
    targets: dict[Diagnostic, list[str]] = {}
    for target, diagnostics in outputs:
        for diagnostic in diagnostics:
            named = targets.setdefault(diagnostic, [])
            if target not in named:
                named.append(target)
    return [_naming(diagnostic, names) for diagnostic, names in targets.items()]


def _naming(diagnostic: Diagnostic, targets: Sequence[str]) -> Diagnostic:
    """The finding with the targets that reported it at the end of its message."""
    if len(targets) == 1:
        said = f"target `{targets[0]}`"
    else:
        said = "targets " + ", ".join(f"`{t}`" for t in targets)
    return replace(diagnostic, message=f"{diagnostic.message} ({said})")
