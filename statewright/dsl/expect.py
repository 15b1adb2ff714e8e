"""What the grammar allows next at a place in a half-written file (for editor completion).

The language server offers keywords and names while a file is being typed, so the
file is usually broken. This module feeds the text before the cursor to lark's
interactive LALR parser (a parser of its own, without the AST builder, so it never
touches `parse()`'s state) and asks it which terminals it would accept there.
Nothing outside `statewright/dsl/` imports lark, so the question is answered here.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lark import Lark, Token, UnexpectedCharacters, UnexpectedToken
from lark.lexer import PatternRE, PatternStr

from statewright.dsl.parser import grammar_text

MAX_SKIPS = 200
"""Unexpected tokens skipped (panic-mode recovery) before the cursor; past that, nothing is offered."""

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ALTERNATIVES = re.compile(r"^\(\?:([A-Za-z_|]+)\)$")


@dataclass(frozen=True)
class Expected:
    """What may come next: keywords, whether a name may, and the token just before the place."""

    keywords: tuple[str, ...]
    name: bool
    previous: str | None
    """The text of the last complete token before the place (`->`, `on`, `set`, ...), if any."""


class _Interactive:
    """One transformer-free LALR parser over the language's grammar; used under a lock."""

    def __init__(self) -> None:
        self.lark = Lark(grammar_text(), parser="lalr", lexer="contextual", maybe_placeholders=False)
        self.lock = threading.Lock()
        self.words: dict[str, tuple[str, ...]] = {}
        for terminal in self.lark.terminals:
            pattern = terminal.pattern
            if isinstance(pattern, PatternStr) and _WORD.fullmatch(pattern.value):
                self.words[terminal.name] = (pattern.value,)
            elif isinstance(pattern, PatternRE) and terminal.name != "NAME":
                match = _ALTERNATIVES.match(pattern.value)
                if match and all(_WORD.fullmatch(w) for w in match.group(1).split("|")):
                    self.words[terminal.name] = tuple(match.group(1).split("|"))


@lru_cache(maxsize=1)
def _interactive() -> _Interactive:
    return _Interactive()


def keywords() -> frozenset[str]:
    """Every word the grammar reserves somewhere (`state`, `on`, `success`, ...): not usable as a new name."""
    return frozenset(word for words in _interactive().words.values() for word in words)


def expected_at(text: str, offset: int) -> Expected:
    """Say what the grammar accepts at `offset` of `text`, ignoring a word being typed there.

    A syntax error before `offset` is recovered from (a missing name is assumed, else the
    offending token is dropped, as an LALR parser's panic mode does), so a half-written
    line above does not silence completion below it.
    """
    offset = max(0, min(offset, len(text)))
    start = offset
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    prefix = text[:start]
    parser = _interactive()
    previous: str | None = None
    accepts: set[str] = set()
    with parser.lock:
        interactive = parser.lark.parse_interactive(prefix)
        for _ in range(MAX_SKIPS):
            try:
                for token in interactive.iter_parse():
                    previous = str(token) if isinstance(token, Token) else previous
                accepts = interactive.accepts()  # type: ignore[no-untyped-call]
                break
            except (UnexpectedCharacters, UnexpectedToken) as error:
                interactive = getattr(error, "interactive_parser", None) or interactive
                previous = None
                if isinstance(error, UnexpectedToken) and _insert_name(interactive, error):
                    previous = str(error.token)
                    continue
                state = interactive.lexer_thread.state
                if state is None:
                    break
                at = state.line_ctr.char_pos
                if at <= (error.pos_in_stream or 0):  # the lexer did not move past it: skip one character
                    state.line_ctr.feed(prefix[at : at + 1])
            except Exception:  # a state lark cannot continue from: offer nothing
                break
    found = sorted({word for name in accepts for word in parser.words.get(name, ())})
    return Expected(tuple(found), "NAME" in accepts, previous)


def _insert_name(interactive: Any, error: UnexpectedToken) -> bool:
    """Where a name is missing (`on go -> }`), pretend it was written and feed the token again."""
    token = error.token
    if token.type in ("NAME", "$END") or "NAME" not in (error.expected or ()):
        return False
    try:
        interactive.feed_token(Token("NAME", "_"))
        interactive.feed_token(token)
    except UnexpectedToken:
        return False  # the token is dropped: parse on from here
    return True
