"""The LALR parser's tables, built from the grammar once and shipped with the package.

Building lark's LALR tables from `statewright.lark` costs about 0.1 s of CPU in
every process that parses (more than checking a typical spec), so the tables
are built ahead of time and stored next to the grammar (`TABLES`, lark's own
serialised form, as its `cache=` option writes it). A process loads them in a
few milliseconds.

The stored tables carry a key: the SHA-256 of the grammar text, lark's version
and the parser options, and the SHA-256 of the stored tables themselves. When
the key does not match (the grammar was edited, another lark is installed, the
file was cut short or damaged) or the tables do not load, they are ignored and
built from the grammar, so a stale or broken file costs time, never a wrong
parse or a failed one; `tests/dsl/test_tables.py`
fails until the file is rewritten with `python -m statewright.dsl.tables`.
Nothing is written at run time. A rebuilt file's bytes differ from the last
one's (lark numbers its states in set order); its key and every parse do not.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import lark
from lark import Lark, Token, Transformer

TABLES = "statewright.lark.tables"
"""The stored tables' file name in the `statewright.grammar` package."""

OPTIONS: Mapping[str, Any] = {
    "parser": "lalr",
    "lexer": "contextual",
    "keep_all_tokens": True,
    "maybe_placeholders": False,
}
"""The options the tables are built with (the grammar actions and lexer callbacks are added when loaded)."""

_PER_PROCESS = ("transformer", "lexer_callbacks")
"""Options that are code, not tables: left out of the stored form, given when it is loaded."""


def grammar_text() -> str:
    """Return the grammar shipped with the package."""
    return resources.files("statewright.grammar").joinpath("statewright.lark").read_text("utf-8")


def tables_key(grammar: str) -> bytes:
    """The key that ties stored tables to `grammar`, the installed lark and `OPTIONS`."""
    options = "".join(f"{name}={value!r};" for name, value in sorted(OPTIONS.items()))
    text = f"{grammar}\0{lark.__version__}\0{options}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest().encode("ascii")


def serialise(grammar: str) -> bytes:
    """Build the tables from `grammar`: a key line (grammar key, digest of the tables), then the tables."""
    built = Lark(grammar, **OPTIONS)
    stored = io.BytesIO()
    built.save(stored, exclude_options=_PER_PROCESS)
    body = stored.getvalue()
    return tables_key(grammar) + b" " + _digest(body) + b"\n" + body


def _digest(body: bytes) -> bytes:
    return hashlib.sha256(body).hexdigest().encode("ascii")


def stored_body(data: bytes, grammar: str) -> bytes | None:
    """The serialised parser in a stored tables file, if it is `grammar`'s and arrived whole, else None."""
    line, _, body = data.partition(b"\n")
    key, _, digest = line.partition(b" ")
    return body if key == tables_key(grammar) and digest == _digest(body) else None


def _stored(grammar: str) -> bytes | None:
    """The shipped tables' serialised parser when it is `grammar`'s and whole, else None."""
    try:
        data = resources.files("statewright.grammar").joinpath(TABLES).read_bytes()
    except OSError:
        return None
    return stored_body(data, grammar)


def make_parser(
    transformer: Transformer[Token, Any], lexer_callbacks: Mapping[str, Callable[[Token], Any]]
) -> Lark:
    """The grammar's LALR parser with `transformer` as its grammar actions.

    From the shipped tables when they are the grammar's; built from the grammar
    otherwise. Either way the same parser: the same tables, options and actions.
    """
    grammar = grammar_text()
    body = _stored(grammar)
    callbacks = dict(lexer_callbacks)
    if body is not None:
        loaded = Lark.__new__(Lark)
        try:
            # `Lark.load` takes no per-process options; `_load` is what lark's own cache calls
            # with them. The key pins lark's version, so this is only reached with the lark that
            # wrote it; the digest makes a damaged file unlikely to get here at all.
            return loaded._load(pickle.loads(body), transformer=transformer, lexer_callbacks=callbacks)
        except Exception:  # tables that do not load are no tables: build them, as for a stale file
            pass
    return Lark(grammar, **OPTIONS, transformer=transformer, lexer_callbacks=callbacks)


def write(path: Path | None = None) -> Path:
    """Rebuild the tables from the grammar and store them (next to the grammar unless `path`)."""
    target = path or Path(str(resources.files("statewright.grammar").joinpath(TABLES)))
    staged = target.with_name(f".{target.name}.tmp")
    staged.write_bytes(serialise(grammar_text()))
    os.replace(staged, target)  # whole or not at all: an interrupted write leaves the old file
    return target


if __name__ == "__main__":
    print(f"wrote {write()}")
