"""Completion: the keywords the grammar accepts at the cursor, and the names that fit there.

Keywords come from the parser itself (`dsl.expect`), so they are exactly what may
follow; names come from the last buffer version that parsed, chosen by the token
before the cursor: states after `->`, events after `on`/`reject`/`ignore`/`emit`,
context fields after `set` and inside guards.
"""

from __future__ import annotations

from lsprotocol import types

from statewright.dsl.expect import expected_at
from statewright.lsp.index import Index, Kind

_NAMES_AFTER: dict[str, Kind] = {
    "->": "state",
    "on": "event",
    "reject": "event",
    "ignore": "event",
    "emit": "event",
    "set": "field",
}
_EXPRESSION = frozenset(
    {
        "when",
        "and",
        "or",
        "not",
        "(",
        "==",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "+",
        "-",
        "*",
        "/",
        "%",
        "invariant",
        "=",
    }
)
_ITEM_KIND = {
    "state": types.CompletionItemKind.Class,
    "event": types.CompletionItemKind.Event,
    "field": types.CompletionItemKind.Field,
}


def complete(text: str, offset: int, index: Index | None) -> types.CompletionList:
    """Return the keywords and names that may be written at `offset`."""
    expected = expected_at(text, offset)
    items = [
        types.CompletionItem(label=word, kind=types.CompletionItemKind.Keyword) for word in expected.keywords
    ]
    kind = _NAMES_AFTER.get(expected.previous or "")
    if kind is None and expected.previous in _EXPRESSION:
        kind = "field"
    if expected.name and kind is not None and index is not None:
        items.extend(
            types.CompletionItem(label=name, kind=_ITEM_KIND[kind], detail=kind) for name in index.names(kind)
        )
    return types.CompletionList(is_incomplete=False, items=items)
