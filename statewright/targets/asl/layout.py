"""What a generated definition means in IR terms: the map an engine driver reads histories with."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Layout:
    """ASL state names by role, so an execution history can be read back as IR states and steps."""

    markers: dict[str, str] = field(default_factory=dict)
    """IR leaf state -> the ASL state whose entry means the leaf was entered."""
    refusals: set[str] = field(default_factory=set)
    """ASL states passed when an event is refused: rejected, or no guard holds (nothing changes)."""
    unhandled: set[str] = field(default_factory=set)
    """ASL states passed when no level of the leaf mentions the event (nothing changes)."""
    ignored: set[str] = field(default_factory=set)
    """ASL states passed when the event is ignored (taken, nothing changes)."""
    neutral: set[str] = field(default_factory=set)
    """Waits, decide Choices and evaluator calls: passing them alone means nothing happened yet."""
    waits: dict[str, str] = field(default_factory=dict)
    """ASL callback Task (wait or work) -> the IR leaf it serves."""
    parallels: dict[str, str] = field(default_factory=dict)
    """ASL Parallel state -> the IR parallel state."""

    entries: set[tuple[str, str]] = field(default_factory=set)
    """Edges into a wait that make progress (entering the leaf, its work finishing); the rest go back."""

    def forward(self, source: str, target: str) -> bool:
        """False for an edge back into a leaf's wait (a refused or counted event, a targetless transition)."""
        return target not in self.waits or (source, target) in self.entries

    def leaf_of(self) -> dict[str, str]:
        """ASL marker name -> IR leaf."""
        return {asl: leaf for leaf, asl in self.markers.items()}
