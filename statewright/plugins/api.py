"""The types a plugin implements: targets that generate files, rules that check the IR.

A third-party package provides these through the hooks in `hookspecs.py`, exactly
as the built-in targets and rules do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from statewright.diagnostics import Diagnostic
from statewright.ir import Machine


@dataclass(frozen=True, slots=True)
class Artifact:
    """One generated file: a path relative to the output directory and its content."""

    path: str
    content: str


@dataclass(frozen=True, slots=True)
class TargetOptions:
    """Options every target receives; `extra` holds target-specific `--option key=value` pairs."""

    source_name: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TargetOutput:
    """What a target returns: files to write and findings about the translation."""

    artifacts: tuple[Artifact, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()


@runtime_checkable
class Target(Protocol):
    """A code generator: reads only the IR, never the source or the AST.

    A target that needs an outside tool may also define `unavailable() -> str | None`
    (a reason, or None when it can run); `--target all` then skips it with a note
    instead of failing, while naming the target explicitly still reports the problem.
    """

    @property
    def name(self) -> str:
        """The name users pass to `--target`."""
        ...

    @property
    def description(self) -> str:
        """One line shown by `statewright targets`."""
        ...

    def generate(self, machine: Machine, options: TargetOptions) -> TargetOutput:
        """Translate one verified machine into artifacts."""
        ...


@dataclass(frozen=True, slots=True)
class RuleContext:
    """What a rule may consult besides the machine: settings from the command line."""

    strict: bool = False
    settings: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class Rule(Protocol):
    """A verification rule: a family name, the codes it may report, and a check."""

    @property
    def name(self) -> str:
        """A short, unique name for the rule."""
        ...

    @property
    def family(self) -> str:
        """The check family it belongs to (structure, guards, sagas, ...)."""
        ...

    @property
    def codes(self) -> tuple[str, ...]:
        """The diagnostic codes this rule may report."""
        ...

    def check(self, machine: Machine, context: RuleContext) -> Iterable[Diagnostic]:
        """Return the findings of this rule on one machine."""
        ...
