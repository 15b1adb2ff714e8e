"""Go to definition, find references and rename for states, events and context fields."""

from __future__ import annotations

import re

from lsprotocol import types

from statewright.dsl import ast
from statewright.dsl.expect import keywords
from statewright.lsp.index import Index
from statewright.lsp.positions import LineIndex

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BUILTIN_EVENTS = frozenset({"error"})


class RefusedError(Exception):
    """An edit the server will not make (a bad or colliding name, a file that does not parse)."""


def definition(index: Index, lines: LineIndex, uri: str, offset: int) -> types.Location | None:
    """Return where the name at `offset` is declared; None when nothing (declared) is there."""
    use = index.at(offset)
    found = None if use is None else index.definition(use.kind, use.name)
    if found is None:
        return None
    return types.Location(uri, lines.range(found.span.offset, found.span.end_offset))


def references(
    index: Index, lines: LineIndex, uri: str, offset: int, include_declaration: bool
) -> list[types.Location]:
    """Return every occurrence of the name at `offset` (with its declaration when asked)."""
    use = index.at(offset)
    if use is None:
        return []
    return [
        types.Location(uri, lines.range(u.span.offset, u.span.end_offset))
        for u in index.occurrences(use.kind, use.name)
        if include_declaration or not u.is_definition
    ]


def prepare_rename(index: Index, lines: LineIndex, offset: int) -> types.Range | None:
    """Return the range of a renameable name at `offset` (a declared state, event or field)."""
    use = index.at(offset)
    if use is None or index.definition(use.kind, use.name) is None:
        return None
    return lines.range(use.span.offset, use.span.end_offset)


def rename(index: Index, lines: LineIndex, uri: str, offset: int, new_name: str) -> types.WorkspaceEdit:
    """Rename the name at `offset` everywhere, or raise `RefusedError` saying why it cannot be done."""
    use = index.at(offset)
    if use is None or index.definition(use.kind, use.name) is None:
        raise RefusedError("there is no declared state, event or context field here to rename")
    if not _NAME.fullmatch(new_name):
        raise RefusedError(
            f"`{new_name}` is not a name: use ASCII letters, digits and `_`, not starting with a digit"
        )
    if new_name in keywords() or (use.kind == "event" and new_name in _BUILTIN_EVENTS):
        raise RefusedError(f"`{new_name}` is a keyword of the language and cannot name a {use.kind}")
    if new_name != use.name and index.definition(use.kind, new_name) is not None:
        raise RefusedError(f"a {use.kind} named `{new_name}` already exists")
    if use.kind == "field" and new_name in _enum_members(index):
        raise RefusedError(f"`{new_name}` is an enum value: in a guard it would stop meaning that value")
    edits = [
        types.TextEdit(range=lines.range(u.span.offset, u.span.end_offset), new_text=new_name)
        for u in index.occurrences(use.kind, use.name)
    ]
    return types.WorkspaceEdit(changes={uri: edits})


def _enum_members(index: Index) -> frozenset[str]:
    """Every value the context's enum fields declare (a bare name in a guard may mean one)."""
    return frozenset(
        member
        for found in index.definitions
        if isinstance(found.node, ast.Field) and isinstance(found.node.type, ast.EnumType)
        for member in found.node.type.members
    )
