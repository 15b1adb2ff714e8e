"""A real language client (pytest-lsp) talking to `statewright lsp` over stdio, and helpers to drive it."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

SERVER = [sys.executable, "-m", "statewright", "lsp", "--stdio"]  # as VS Code starts it


@pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=SERVER))  # type: ignore[untyped-decorator]
async def client(lsp_client: LanguageClient) -> AsyncIterator[None]:
    """A client that has initialised the server (one server per test module); shut down at the end."""
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=types.ClientCapabilities(
                text_document=types.TextDocumentClientCapabilities(
                    publish_diagnostics=types.PublishDiagnosticsClientCapabilities(related_information=True),
                    document_symbol=types.DocumentSymbolClientCapabilities(
                        hierarchical_document_symbol_support=True
                    ),
                    rename=types.RenameClientCapabilities(prepare_support=True),
                )
            ),
        )
    )
    yield
    await lsp_client.shutdown_session()


def uri_of(name: str) -> str:
    """A file URI for a buffer that need not exist on disk."""
    return (Path("/tmp/statewright-lsp-tests") / name).as_uri()


async def open_document(client: LanguageClient, uri: str, text: str) -> list[types.Diagnostic]:
    """Open a buffer and return the diagnostics the server publishes for it."""
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="statewright", version=1, text=text)
        )
    )
    return await diagnostics_for(client, uri)


async def diagnostics_for(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    """Wait until the server publishes diagnostics for `uri`; return them."""
    while True:
        params = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        if params.uri == uri:
            return list(params.diagnostics)


async def replace_text(client: LanguageClient, uri: str, version: int, text: str) -> list[types.Diagnostic]:
    """Send a whole-buffer change and return the diagnostics published for it."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    return await diagnostics_for(client, uri)


def position_of(text: str, needle: str, occurrence: int = 0, delta: int = 0) -> types.Position:
    """The protocol position (UTF-16 columns) of the `occurrence`-th `needle` in `text`, plus `delta`."""
    at = -1
    for _ in range(occurrence + 1):
        at = text.index(needle, at + 1)
    at += delta
    line = text.count("\n", 0, at)
    start = text.rfind("\n", 0, at) + 1
    return types.Position(line=line, character=len(text[start:at].encode("utf-16-le")) // 2)
