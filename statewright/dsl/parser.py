"""parse(): `.wf` source text to an AST, with friendly, located syntax errors.

The grammar lives in statewright/grammar/statewright.lark.  Syntax errors are
named by replaying a table of labelled bad inputs (syntax_errors.py) through
lark's `match_examples`, the way lark names errors in its own grammar loader.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lark import Token, UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

from statewright.diagnostics import Diagnostic, codes
from statewright.diagnostics.model import Related
from statewright.dsl import ast
from statewright.dsl.braces import unclosed_brace
from statewright.dsl.builder import MAX_DEPTH, Builder, DepthExceededError, Sink
from statewright.dsl.syntax_errors import SYNTAX_ERRORS, SyntaxErrorLabel
from statewright.dsl.tables import grammar_text as grammar_text
from statewright.dsl.tables import make_parser
from statewright.source import SourceText, Span

MAX_LEXICAL_ERRORS = 20


@dataclass(frozen=True)
class ParseResult:
    """What parsing one source gives: the workflow (None on a syntax error) and findings."""

    source: SourceText
    workflow: ast.Workflow | None
    diagnostics: tuple[Diagnostic, ...]


class _Parser:
    """A lark LALR parser bound to one Builder; `parse` is serialised by a lock."""

    def __init__(self) -> None:
        self.builder = Builder()
        self.comments: list[Token] = []
        self.lark = make_parser(
            self.builder, {"COMMENT": self.comments.append, "NAME": self.builder.name_token}
        )
        self.lock = threading.Lock()
        self._terminals = {t.name: t for t in self.lark.terminals}
        self._signatures: dict[Signature | None, str] | None = None

    def signatures(self, parse_example: Callable[[str], Any]) -> dict[Signature | None, str]:
        """Each labelled mistake's signature (`_signature`), from its examples, computed on first use.

        `match_examples` compares whole parser states, so a labelled mistake is
        only recognised where the surrounding text leaves the parser exactly as
        the example did (`initial state A {` is not `state A {`). The signature
        recognises the same mistake anywhere: the same unexpected token where the
        parser accepts the same terminals. A signature two labels share names
        neither.
        """
        if self._signatures is None:
            found: dict[Signature | None, str] = {}
            shared: set[Signature | None] = set()
            for label in SYNTAX_ERRORS:
                for example in label.examples:
                    try:
                        parse_example(example)
                    except UnexpectedInput as error:
                        signature = _signature(error)
                        if found.setdefault(signature, label.key) != label.key:
                            shared.add(signature)
            self._signatures = {k: v for k, v in found.items() if k is not None and k not in shared}
        return self._signatures

    def describe_terminal(self, name: str) -> str:
        """Return how a terminal reads in an error message (`->`, a name, ...)."""
        readable = {
            "NAME": "a name",
            "STRING": 'a "string"',
            "INT": "a whole number",
            "DECIMAL": "a decimal number",
            "DURATION": "a duration such as 30s",
            "COMP_OP": "a comparison",
            "$END": "end of file",
        }
        if name in readable:
            return readable[name]
        terminal = self._terminals.get(name)
        if terminal is None:
            return name.lower()
        if terminal.pattern.type == "str":
            return f"`{terminal.pattern.value}`"
        return name.lower().replace("_", " ")


@lru_cache(maxsize=1)
def _parser() -> _Parser:
    return _Parser()


def parse(source: SourceText) -> ParseResult:
    """Parse one `.wf` source into a Workflow; syntax errors become diagnostics."""
    if not _has_content(source.text):
        span = source.span(0, len(source.text))
        diag = Diagnostic.of(codes.EMPTY_INPUT, "file holds no workflow", source.name, span)
        return ParseResult(source, None, (diag,))
    parser = _parser()
    sink = Sink(source)
    lexical: list[UnexpectedCharacters] = []

    def on_error(error: UnexpectedInput) -> bool:
        if isinstance(error, UnexpectedCharacters) and len(lexical) < MAX_LEXICAL_ERRORS:
            lexical.append(error)
            _skip_unterminated_string(error, source.text)
            return True
        return False

    with parser.lock:
        parser.builder.reset(sink)
        parser.comments.clear()
        try:
            parsed: Any = parser.lark.parse(source.text, on_error=on_error)
            workflows: list[ast.Workflow] | None = parsed
            failure: Diagnostic | None = None
        except DepthExceededError as exc:
            workflows, failure = None, _too_deep(source, exc.span)
        except UnexpectedInput as exc:
            workflows, failure = None, _syntax_diagnostic(parser, source, exc)
        except RecursionError:  # pragma: no cover - MAX_DEPTH keeps recursion shallow
            workflows, failure = None, _too_deep(source, source.span(0, 0))
        finally:
            comments = tuple(
                ast.Comment(str(c), source.span(c.start_pos or 0, c.end_pos or 0)) for c in parser.comments
            )
            parser.builder.reset(None)
            parser.comments.clear()
    diagnostics = [_lexical_diagnostic(source, e) for e in lexical] + sink.diagnostics
    if failure is not None and not _follows_bad_string(failure, lexical, source.text):
        diagnostics.append(failure)
    workflow = None
    if workflows:
        workflow = _with_comments(workflows[0], comments)
        for extra in workflows[1:]:
            diagnostics.append(
                Diagnostic.of(
                    codes.MULTIPLE_WORKFLOWS,
                    f"second workflow `{extra.name}` in one file",
                    source.name,
                    extra.name_span,
                )
            )
    if lexical:
        workflow = None
    return ParseResult(source, workflow, tuple(diagnostics))


def _skip_unterminated_string(error: UnexpectedCharacters, text: str) -> None:
    """After a stray `"`, resume lexing at the end of its line instead of inside the text."""
    start = error.pos_in_stream or 0
    if text[start : start + 1] != '"':
        return
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    state = error.interactive_parser.lexer_thread.state
    if state is not None and state.line_ctr.char_pos == start:
        state.line_ctr.feed(text[start:end])


def _follows_bad_string(failure: Diagnostic, lexical: list[UnexpectedCharacters], text: str) -> bool:
    """True when a syntax error is only the echo of an unterminated string just before it."""
    for error in lexical:
        start = error.pos_in_stream or 0
        if text[start : start + 1] == '"':
            end = text.find("\n", start)
            if end >= 0 and not text[end : failure.span.offset].strip():
                return True
    return False


def _has_content(text: str) -> bool:
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return True
    return False


def _with_comments(workflow: ast.Workflow, comments: tuple[ast.Comment, ...]) -> ast.Workflow:
    inside = tuple(c for c in comments if c.span.offset >= 0)
    return ast.Workflow(workflow.name, workflow.items, inside, workflow.span, workflow.name_span)


def _too_deep(source: SourceText, span: Span) -> Diagnostic:
    return Diagnostic.of(
        codes.TOO_DEEP,
        f"nesting is deeper than {MAX_DEPTH} levels",
        source.name,
        span,
        label="too deep",
    )


def _lexical_diagnostic(source: SourceText, error: UnexpectedCharacters) -> Diagnostic:
    start = error.pos_in_stream or 0
    char = source.text[start : start + 1]
    if char == '"':
        end = source.text.find("\n", start)
        end = len(source.text) if end < 0 else end
        return Diagnostic.of(
            codes.UNTERMINATED_STRING,
            "string is not closed before the end of the line",
            source.name,
            source.span(start, end),
            label="string starts here",
        )
    shown = char if char.isprintable() else f"U+{ord(char):04X}" if char else "end of file"
    return Diagnostic.of(
        codes.UNEXPECTED_CHAR,
        f"unexpected character `{shown}`",
        source.name,
        source.span(start, start + 1),
        label="not allowed here",
        help=_character_help(char),
    )


def _character_help(char: str) -> str:
    """Say what the writer probably meant by a character the language does not use."""
    if char == ".":
        return "numbers have a digit before the point (`0.5`); ranges are written `1..5`"
    if char in ";,":
        return "statements need no separator: put each on its own line, or separate them with spaces"
    if char == "'":
        return 'strings use double quotes: "text"'
    if char.isalpha():
        return 'names use ASCII letters, digits and `_`; put other text in "quotes"'
    return "remove it; it has no meaning here"


def _syntax_diagnostic(parser: _Parser, source: SourceText, error: UnexpectedInput) -> Diagnostic:
    if isinstance(error, UnexpectedCharacters):
        return _lexical_diagnostic(source, error)
    token: Token | None = getattr(error, "token", None)
    at_end = isinstance(error, UnexpectedEOF) or (token is not None and token.type == "$END")
    expected = sorted(getattr(error, "expected", set()) or getattr(error, "accepts", set()) or ())
    wanted = ", ".join(parser.describe_terminal(name) for name in expected[:8])
    if len(expected) > 8:
        wanted += ", ..."
    if at_end:
        end = len(source.text.rstrip())
        closing = "RBRACE" in expected
        opening = unclosed_brace(source.text) if closing else None
        if opening is not None:
            return Diagnostic.of(
                codes.UNEXPECTED_EOF,
                "this `{` is never closed: the file ends before its `}`",
                source.name,
                source.span(opening, opening + 1),
                label="opened here",
                help="add the `}` that ends this block (by the indentation, it is this one that is missing)",
                related=(Related(source.name, source.span(end, end), "the file ends here"),),
            )
        return Diagnostic.of(
            codes.UNEXPECTED_EOF,
            "file ends before the workflow is complete" + (": a `}` is missing" if closing else ""),
            source.name,
            source.span(end, end),
            label="expected `}`" if closing else (f"expected {wanted}" if wanted else ""),
        )
    assert token is not None
    start = token.start_pos or 0
    span = source.span(start, token.end_pos or start + 1)
    label = _label(parser, source, error)
    shown = str(token) if len(str(token)) <= 40 else str(token)[:37] + "..."
    if label is not None:
        message, help_text = label.message, label.help
    else:
        message = f"unexpected `{shown}`"
        help_text = f"expected {wanted}" if wanted else ""
    return Diagnostic.of(
        codes.SYNTAX,
        message,
        source.name,
        span,
        help=help_text,
        label=f"unexpected `{shown}`" + (f"; expected {wanted}" if wanted and label else ""),
    )


def _label(parser: _Parser, source: SourceText, error: UnexpectedInput) -> SyntaxErrorLabel | None:
    """Name the error by replaying the labelled bad inputs through the same parser."""

    def parse_example(text: str) -> Any:
        # The examples run through the live builder; its sink only collects.
        parser.builder.reset(Sink(SourceText("<example>", text)))
        return parser.lark.parse(text)

    labels = {label.key: label for label in SYNTAX_ERRORS}
    examples = {label.key: list(label.examples) for label in SYNTAX_ERRORS}
    try:
        key = error.match_examples(parse_example, examples, token_type_match_fallback=True, use_accepts=True)
    except DepthExceededError:  # pragma: no cover - examples are shallow
        key = None
    except TypeError:
        # lark 1.3 formats an error raised by the contextual lexer (whose state is a
        # ParserState, not a number) with `%d` when comparing accepts: match again
        # without the accepts comparison, which never reaches that line.
        key = error.match_examples(parse_example, examples, token_type_match_fallback=True, use_accepts=False)
    if not isinstance(key, str):
        key = parser.signatures(parse_example).get(_signature(error))
    return labels.get(key) if isinstance(key, str) else None


Signature = tuple[str, frozenset[str]]
"""A syntax error's kind: the unexpected token's type and the terminals the parser would accept there."""


def _signature(error: UnexpectedInput) -> Signature | None:
    """What kind of mistake `error` is, independent of what surrounds it (None for a lexical error)."""
    token: Token | None = getattr(error, "token", None)
    accepts = getattr(error, "accepts", None) or getattr(error, "expected", None)
    if token is None or not accepts:
        return None
    return (token.type, frozenset(accepts))
