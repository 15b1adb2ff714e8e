"""Sub-commands imported when used: the root group names every command as data.

Each command's module (and what it imports: the targets, the testing stack,
the language server, the runtime) is imported only when that command runs,
its own `--help` is shown, or a completion needs it. The root `--help` lists
every command with its one-line summary from `COMMANDS` without importing any
of them; `tests/cli/test_lazy_commands.py` checks that the listing, each
command's own help and the suggestions for a mistyped name are exactly those of
a group that registers every command up front.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

import typer
import typer.main
from typer import _click
from typer.core import TyperCommand, TyperGroup

TYPER_SETTINGS: dict[str, Any] = {
    "add_completion": False,
    "pretty_exceptions_enable": False,
    "rich_markup_mode": None,  # click's plain help: flags shown as flags, not `<bool>`
}
"""The settings the root app and every sub-command are built with (help and error style)."""


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One sub-command, described without importing it."""

    name: str
    """What users type: `statewright NAME`."""
    module: str
    """The module that defines it."""
    attribute: str
    """The command function, or a `typer.Typer` for a group (`run`), in that module."""
    summary: str
    """The first paragraph of its help (the function's docstring): the root `--help` line."""

    def load(self) -> _click.Command:
        """Import the command's module and build its click command, as registering it on the root would."""
        value = getattr(importlib.import_module(self.module), self.attribute)
        holder = typer.Typer(**TYPER_SETTINGS)
        if isinstance(value, typer.Typer):
            holder.add_typer(value, name=self.name)
        else:
            holder.command(name=self.name)(value)
        return typer.main.get_group(holder).commands[self.name]


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(
        "check",
        "statewright.cli.check",
        "check",
        "Parse, lower and verify workflows; report every finding and a validation summary per file.",
    ),
    CommandSpec(
        "build",
        "statewright.cli.build",
        "build",
        "Compile and verify workflows, then write each target's files under DIR/<target>/ (default: build/).",
    ),
    CommandSpec(
        "fmt",
        "statewright.cli.fmt",
        "fmt",
        "Rewrite workflows in the canonical layout (comments kept); files that fail to parse are left alone.",
    ),
    CommandSpec(
        "diff",
        "statewright.cli.diff",
        "diff",
        "Report, for every state of OLD, whether an instance waiting there can move to NEW.",
    ),
    CommandSpec(
        "targets",
        "statewright.cli.targets",
        "targets",
        "List the registered code-generation targets and the plugins that provide them.",
    ),
    CommandSpec(
        "test",
        "statewright.cli.testing",
        "test",
        "Property-test workflows on their generated code and check that every target behaves alike.",
    ),
    CommandSpec(
        "explain",
        "statewright.cli.explain",
        "explain",
        "Explain a diagnostic code: its name, what it means, an example, and how to fix it.",
    ),
    CommandSpec(
        "lsp",
        "statewright.cli.lsp",
        "lsp",
        "Run the language server over stdio: findings as you type, hover, navigation, rename, formatting.",
    ),
    CommandSpec(
        "run",
        "statewright.cli.run",
        "app",
        "Run workflow instances on a SQLite store: start, send events, approve, report work, tick the clock, "
        "pause/resume/cancel, and read status and the audit log. Form: statewright run SUBCOMMAND SPEC "
        "--db FILE ...; exit 0 done, 1 refused by the workflow, 2 usage or input error.",
    ),
)
"""Every sub-command in `--help` order (the order they were registered in before they were lazy)."""


class LazyCommands(MutableMapping[str, _click.Command]):
    """A group's commands by name: the names are known up front, each command is built on first lookup."""

    def __init__(self, specs: Sequence[CommandSpec]) -> None:
        """Name every command of `specs`; build none yet."""
        self._specs = {spec.name: spec for spec in specs}
        self._built: dict[str, _click.Command] = {}

    def __getitem__(self, name: str) -> _click.Command:
        """Return the command `name`, importing its module the first time."""
        if name not in self._built:
            self._built[name] = self._specs[name].load()
        return self._built[name]

    def __setitem__(self, name: str, command: _click.Command) -> None:
        """Add a command built elsewhere (click's `add_command`)."""
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        """Forget a command, declared or added."""
        if name not in self._specs and name not in self._built:
            raise KeyError(name)
        self._specs.pop(name, None)
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        """The names: declared ones in order, then any added."""
        yield from self._specs
        yield from (name for name in self._built if name not in self._specs)

    def __len__(self) -> int:
        """How many commands the group has."""
        return len(self._specs.keys() | self._built.keys())

    def __contains__(self, name: object) -> bool:
        """True for a declared or added name, without building it."""
        return name in self._specs or name in self._built

    def summary(self, name: str) -> str:
        """The one-line help of `name`: its declared summary, or the help of an added command."""
        spec = self._specs.get(name)
        if spec is not None and name not in self._built:
            return spec.summary
        return self[name].help or ""


class Interrupted(BaseException):
    """Ctrl-C while the root group parsed, loaded or ran a command; `cli.main` reports it (exit 130).

    typer turns a KeyboardInterrupt that reaches it into a silent exit 130; a
    command's module is now imported inside the group, so an interrupt there is
    passed on as this instead, to be reported as every other interrupt is.
    """


class LazyGroup(TyperGroup):
    """The root group: the sub-commands of `COMMANDS`, each imported when it is used."""

    def __init__(self, *, commands: Any = None, **attrs: Any) -> None:
        """Build the group; commands registered on the app itself are kept beside the lazy ones."""
        super().__init__(**attrs)
        lazy = LazyCommands(COMMANDS)
        registered: MutableMapping[str, _click.Command] = dict(commands or {})
        for name, command in registered.items():
            lazy[name] = command
        self.commands = lazy

    def make_context(
        self, info_name: str | None, args: list[str], parent: _click.Context | None = None, **extra: Any
    ) -> _click.Context:
        """Parse the root options; Ctrl-C meanwhile is `Interrupted`."""
        try:
            return super().make_context(info_name, args, parent, **extra)
        except KeyboardInterrupt as interrupt:
            raise Interrupted from interrupt

    def invoke(self, ctx: _click.Context) -> Any:
        """Load, parse and run the sub-command; Ctrl-C meanwhile is `Interrupted`."""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as interrupt:
            raise Interrupted from interrupt

    def list_commands(self, ctx: _click.Context) -> list[str]:
        """The command names in `--help` order, none imported."""
        return list(self.commands)

    def format_commands(self, ctx: _click.Context, formatter: _click.HelpFormatter) -> None:
        """The `Commands:` section from the declared summaries, laid out as click lays out commands."""
        commands = self.commands
        summaries = commands.summary if isinstance(commands, LazyCommands) else None
        described: dict[str, _click.Command] = {
            name: TyperCommand(name, help=summaries(name) if summaries else commands[name].help)
            for name in self.list_commands(ctx)
        }
        TyperGroup(name=self.name, commands=described).format_commands(ctx, formatter)
