"""One verification run of one machine, made explicit, and the result targets are handed.

A run is what the rules of one `check` or `build` share about one machine: its
settings (strictness, the solver's time limit) and the values derived from the
machine once and read by many rules — the leaf graph, the dispatch tables, the
SMT analysis with its ledger of proofs. `VerificationRun.derive` builds each
value on first use and keeps it on the run object, never in a module-level
cache: a value is keyed by the function that builds it and its arguments, so
two runs, or two time limits, never see each other's results, whatever the
order they run in.

Targets never see the run (they may not import the verifier or z3); when one
presents what verification proved, it is handed a `Verification`, plain data
computed from the run, in its options.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from statewright.ir import Machine
from statewright.plugins.review import Review

T = TypeVar("T")
P = ParamSpec("P")

DEFAULT_SMT_TIMEOUT_MS = 2_000
"""The solver's time limit per query unless a run asks for another (`--smt-timeout`)."""


class VerificationRun:
    """The settings of one verification of `machine` and the values its rules derive from it, built once."""

    def __init__(
        self,
        machine: Machine,
        *,
        strict: bool = False,
        smt_timeout_ms: int = DEFAULT_SMT_TIMEOUT_MS,
    ) -> None:
        """Start a run of `machine` with its settings; nothing is derived until asked for."""
        self.machine = machine
        self.strict = strict
        self.smt_timeout_ms = smt_timeout_ms
        self._derived: dict[Hashable, object] = {}

    def derive(self, build: Callable[Concatenate[Machine, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`build(machine, *args, **kwargs)`, computed on the first call and shared by the later ones."""
        key = (build, args, tuple(sorted(kwargs.items())))
        if key not in self._derived:
            self._derived[key] = build(self.machine, *args, **kwargs)
        return cast(T, self._derived[key])

    def peek(
        self, build: Callable[Concatenate[Machine, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T | None:
        """What `derive` returns if something in the run already derived it, else None (builds nothing)."""
        return cast("T | None", self._derived.get((build, args, tuple(sorted(kwargs.items())))))


@dataclass(frozen=True, slots=True)
class Verification:
    """What a run proved about one machine that a target may present (plain data, no solver).

    `exhaustive` holds the (state, event) levels written only with guards whose
    guards the solver proved always cover the declared domain: such a level
    decides the event whenever it is reached, so a table need not show what the
    states further out would do.
    """

    exhaustive: frozenset[tuple[str, str]] = frozenset()
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Room for facts a third-party rule wants to hand its own target."""
    review: Review | None = None
    """The validation summary, known risks and findings (`statewright build` fills it, for `report`)."""
