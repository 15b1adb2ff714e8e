"""Where an IR state lives in the definition: the top level, or a branch of a Parallel state.

Each region of a parallel state becomes one branch; a state belongs to the
innermost region above it (or is itself one). Transitions that leave a
branch end it with a `Fail` whose error the Parallel state catches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from statewright.semantics.hierarchy import Hierarchy

Step = tuple[str, str | None, Any]
"""(phase, owning IR state, action): phase is exit, act or entry."""


def within(h: Hierarchy, inner: str | None, outer: str | None) -> bool:
    """True when region `inner` is `outer` or nested inside it (None is the whole machine)."""
    if outer is None:
        return True
    return inner is not None and (inner == outer or outer in h.ancestors(inner))


@dataclass
class Exit:
    """A way out of a branch: the Fail error and what runs after the Parallel state catches it."""

    error: str
    base: tuple[str, ...]
    steps: list[Step]
    target: str


@dataclass
class Scope:
    """The states of the top level or of one branch, with the leaves still to generate."""

    region: str | None
    states: dict[str, dict[str, Any]] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)
    queued: set[str] = field(default_factory=set)
    exits: list[Exit] = field(default_factory=list)

    def queue(self, leaf: str) -> None:
        """Generate `leaf`'s states in this scope (once)."""
        if leaf not in self.queued:
            self.queued.add(leaf)
            self.pending.append(leaf)
