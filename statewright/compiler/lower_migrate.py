"""Lower a `migrate { Old -> New ... }` block: the previous version's states this version renames.

Only the new names can be checked here (they must be states of this workflow,
SW990); the old names are checked against the previous version by the migration
analysis (`compiler/migration.py`). The map must be a plain renaming (SW991):
each old name once, each new name once, and no name both renamed and a rename's
target, so `A -> B, B -> C` (a chain) and `A -> B, B -> A` (a cycle) are refused
instead of being read one way or the other.
"""

from __future__ import annotations

from collections.abc import Collection

from statewright import ir
from statewright.compiler.lowerctx import LoweringContext
from statewright.diagnostics.catalog.migration import MIGRATE_MAP_AMBIGUOUS, MIGRATE_UNKNOWN_STATE
from statewright.dsl import ast
from statewright.source import Span


def lower_migrate(
    ctx: LoweringContext, blocks: list[ast.Migrate], states: Collection[str]
) -> tuple[ir.Rename, ...]:
    """The renames of every `migrate` block, checked against this workflow's `states`.

    An entry with a problem is reported and left out, so the map lowered is always a renaming.
    """
    renames: list[ir.Rename] = []
    olds: dict[str, Span] = {}
    news: dict[str, Span] = {}
    entries = [rename for block in blocks for rename in block.renames]
    old_names = {rename.old for rename in entries}
    new_names = {rename.new for rename in entries}
    for rename in entries:
        if rename.new not in states:
            ctx.report(
                MIGRATE_UNKNOWN_STATE,
                f"`migrate` renames `{rename.old}` to `{rename.new}`, which is not a state of this workflow",
                rename.new_span,
            )
            continue
        problem = _ambiguity(rename, olds, news, old_names, new_names)
        if problem is not None:
            message, first = problem
            related = [] if first is None else [ctx.related(first, "the other entry")]
            ctx.report(MIGRATE_MAP_AMBIGUOUS, message, rename.span, related=related)
            continue
        olds[rename.old] = rename.span
        news[rename.new] = rename.span
        renames.append(ir.Rename(rename.old, rename.new, rename.span))
    return tuple(renames)


def _ambiguity(
    rename: ast.Rename,
    olds: dict[str, Span],
    news: dict[str, Span],
    old_names: set[str],
    new_names: set[str],
) -> tuple[str, Span | None] | None:
    """Why one entry makes the map something other than a plain renaming, with the entry it clashes with."""
    if rename.old == rename.new:
        return f"`migrate` renames `{rename.old}` to itself; a kept state needs no entry", None
    if rename.old in olds:
        return f"`migrate` renames `{rename.old}` twice", olds[rename.old]
    if rename.new in news:
        return f"`migrate` renames two states to `{rename.new}`", news[rename.new]
    if rename.old in new_names or rename.new in old_names:
        name = rename.old if rename.old in new_names else rename.new
        return (
            f"`{name}` is both renamed and a rename's target in `migrate` (a chain or a cycle); "
            "rename in two versions",
            None,
        )
    return None
