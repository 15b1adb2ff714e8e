"""The protocol side of `statewright lsp`: pygls wiring, debounced analysis, and a worker for the rules.

Speed. A keystroke schedules the buffer's analysis after `DEBOUNCE_S` of quiet;
a newer keystroke cancels it. The analysis (front end, then the verification
rules with a short solver limit) runs on one worker thread, so hover,
completion and the rest stay answered while it runs, and its findings are
published only when the buffer has not changed meanwhile. Requests run on
pygls's thread pool, never on the event loop, so a slow request (a large buffer
analysed on demand) does not hold up the others; a request about a position uses
the current text's analysis; completion falls back to the names of the last
version that parsed.

Robustness. No text makes the server fail: oversized, NUL-holding or badly
encoded buffers get one diagnostic (SW004, SW008, SW003); a refused edit
(rename, formatting) is an error response; an unknown method is pygls's
MethodNotFound; any other exception in a handler becomes that request's error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from statewright import __version__
from statewright.lsp import actions, completion, findings, formatting, hover, navigation, outline
from statewright.lsp.analysis import Analysis, analyze, checked
from statewright.lsp.index import Index
from statewright.lsp.navigation import RefusedError
from statewright.lsp.positions import Encoding
from statewright.plugins.manager import get_plugin_manager

DEBOUNCE_S = 0.05
"""Quiet time after a keystroke before the buffer is analysed again."""

REQUEST_FAILED = -32803
"""The protocol's `RequestFailed`: a well-formed request the server refuses (a colliding name, ...)."""

T = TypeVar("T")
log = logging.getLogger("statewright.lsp")


@dataclass
class _Buffer:
    """The server's view of one open document: its newest analysis, findings and pending work."""

    analysis: Analysis | None = None
    last_good: Index | None = None
    pending: asyncio.Task[None] | None = None
    published: int = field(default=-1)


class StatewrightServer(LanguageServer):
    """A language server over `statewright`'s front end, rules, formatter and AST."""

    def __init__(self) -> None:
        super().__init__(
            "statewright", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental
        )
        self.buffers: dict[str, _Buffer] = {}
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="statewright-verify")
        self.rules = get_plugin_manager().rules()

    @property
    def encoding(self) -> Encoding:
        """The negotiated position encoding (UTF-16 unless the client chose another)."""
        chosen = str(self.workspace.position_encoding or "utf-16")
        return "utf-8" if chosen == "utf-8" else "utf-32" if chosen == "utf-32" else "utf-16"

    def current(self, uri: str) -> Analysis:
        """Return the analysis of the buffer's current text, making it now when it is stale."""
        text = self.workspace.get_text_document(uri).source
        buffer = self.buffers.setdefault(uri, _Buffer())
        if buffer.analysis is None or buffer.analysis.text != text:
            self.remember(buffer, analyze(_name(uri), text, self.encoding))
        assert buffer.analysis is not None
        return buffer.analysis

    @staticmethod
    def remember(buffer: _Buffer, analysis: Analysis) -> None:
        """Keep an analysis as the buffer's newest; its index as the last good one when it parsed."""
        buffer.analysis = analysis
        if analysis.index is not None:
            buffer.last_good = analysis.index

    def schedule(self, uri: str, version: int, delay: float) -> None:
        """(Re)start the buffer's analysis after `delay` seconds; an older pending one is dropped."""
        buffer = self.buffers.setdefault(uri, _Buffer())
        if buffer.pending is not None:
            buffer.pending.cancel()
        buffer.pending = asyncio.get_running_loop().create_task(self.refresh(uri, version, delay))

    async def refresh(self, uri: str, version: int, delay: float) -> None:
        """Analyse and verify the buffer off the event loop; publish unless it changed meanwhile."""
        if delay:
            await asyncio.sleep(delay)
        document = self.workspace.text_documents.get(uri)
        if document is None:
            return
        text, encoding, rules = document.source, self.encoding, self.rules

        def work() -> tuple[Analysis, list[types.Diagnostic]]:
            analysis, found = checked(_name(uri), text, rules, encoding)
            return analysis, [findings.to_protocol(analysis, uri, d) for d in found]

        analysis, published = await asyncio.get_running_loop().run_in_executor(self.worker, work)
        document = self.workspace.text_documents.get(uri)
        buffer = self.buffers.get(uri)
        if document is None or buffer is None or document.source != text:
            return  # closed or changed meanwhile: a newer refresh is (or was) scheduled
        self.remember(buffer, analysis)
        buffer.published = version
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, version=version, diagnostics=published)
        )

    def forget(self, uri: str) -> None:
        """Drop a closed buffer and clear its findings in the editor."""
        buffer = self.buffers.pop(uri, None)
        if buffer is not None and buffer.pending is not None:
            buffer.pending.cancel()
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def _name(uri: str) -> str:
    """The file name findings carry: the buffer's path when it has one, else its URI."""
    try:
        return to_fs_path(uri) or uri
    except Exception:  # an unparsable URI names itself
        return uri


def _answer(produce: Callable[[], T]) -> T:
    """Run a request's body; a refusal or an unexpected failure becomes that request's error response."""
    try:
        return produce()
    except RefusedError as refused:
        raise JsonRpcException(str(refused), code=REQUEST_FAILED) from None
    except JsonRpcException:
        raise
    except Exception as exc:
        log.exception("request failed")
        raise JsonRpcException(f"statewright: internal error: {type(exc).__name__}: {exc}") from None


def build_server() -> StatewrightServer:
    """Create the server with every feature registered (a fresh instance: no module-level state)."""
    server = StatewrightServer()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: StatewrightServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, params.text_document.version, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: StatewrightServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, params.text_document.version, DEBOUNCE_S)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: StatewrightServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @server.thread()
    def on_hover(ls: StatewrightServer, params: types.HoverParams) -> types.Hover | None:
        def body() -> types.Hover | None:
            analysis = ls.current(params.text_document.uri)
            if analysis.index is None:
                return None
            return hover.hover(
                analysis.index, analysis.lines, analysis.text, analysis.lines.offset(params.position)
            )

        return _answer(body)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    @server.thread()
    def on_definition(ls: StatewrightServer, params: types.DefinitionParams) -> types.Location | None:
        def body() -> types.Location | None:
            uri = params.text_document.uri
            analysis = ls.current(uri)
            if analysis.index is None:
                return None
            return navigation.definition(
                analysis.index, analysis.lines, uri, analysis.lines.offset(params.position)
            )

        return _answer(body)

    @server.feature(types.TEXT_DOCUMENT_REFERENCES)
    @server.thread()
    def on_references(ls: StatewrightServer, params: types.ReferenceParams) -> list[types.Location]:
        def body() -> list[types.Location]:
            uri = params.text_document.uri
            analysis = ls.current(uri)
            if analysis.index is None:
                return []
            offset = analysis.lines.offset(params.position)
            return navigation.references(
                analysis.index, analysis.lines, uri, offset, params.context.include_declaration
            )

        return _answer(body)

    @server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
    @server.thread()
    def on_prepare_rename(ls: StatewrightServer, params: types.PrepareRenameParams) -> types.Range | None:
        def body() -> types.Range | None:
            analysis = ls.current(params.text_document.uri)
            if analysis.index is None:
                return None
            return navigation.prepare_rename(
                analysis.index, analysis.lines, analysis.lines.offset(params.position)
            )

        return _answer(body)

    @server.feature(types.TEXT_DOCUMENT_RENAME)
    @server.thread()
    def on_rename(ls: StatewrightServer, params: types.RenameParams) -> types.WorkspaceEdit:
        def body() -> types.WorkspaceEdit:
            uri = params.text_document.uri
            analysis = ls.current(uri)
            if analysis.index is None:
                raise RefusedError("not renamed: the file has syntax errors; fix them first")
            offset = analysis.lines.offset(params.position)
            return navigation.rename(analysis.index, analysis.lines, uri, offset, params.new_name)

        return _answer(body)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @server.thread()
    def on_symbols(ls: StatewrightServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        def body() -> list[types.DocumentSymbol]:
            analysis = ls.current(params.text_document.uri)
            workflow = None if analysis.result is None else analysis.result.workflow
            return [] if workflow is None else outline.outline(workflow, analysis.lines)

        return _answer(body)

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    @server.thread()
    def on_format(ls: StatewrightServer, params: types.DocumentFormattingParams) -> list[types.TextEdit]:
        def body() -> list[types.TextEdit]:
            analysis = ls.current(params.text_document.uri)
            if analysis.source is None:
                raise RefusedError(f"not formatted: {analysis.front[0].message}")
            return formatting.format_document(analysis.name, analysis.text, analysis.lines)

        return _answer(body)

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=[">", " "]),
    )
    @server.thread()
    def on_completion(ls: StatewrightServer, params: types.CompletionParams) -> types.CompletionList:
        def body() -> types.CompletionList:
            uri = params.text_document.uri
            analysis = ls.current(uri)
            if analysis.source is None:
                return types.CompletionList(is_incomplete=False, items=[])
            names = analysis.index or ls.buffers.get(uri, _Buffer()).last_good
            return completion.complete(analysis.text, analysis.lines.offset(params.position), names)

        return _answer(body)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    @server.thread()
    def on_code_action(ls: StatewrightServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        def body() -> list[types.CodeAction]:
            uri = params.text_document.uri
            return actions.code_actions(ls.current(uri), uri, list(params.context.diagnostics))

        return _answer(body)

    return server


def serve(stdin: Any = None, stdout: Any = None) -> None:
    """Run the server over stdio until the client says `exit`."""
    build_server().start_io(stdin, stdout)
