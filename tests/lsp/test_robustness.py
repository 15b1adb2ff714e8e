"""Hostile input never stops the server: huge, binary and badly encoded buffers, unknown methods."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcMethodNotFound
from pytest_lsp import LanguageClient

from statewright.lsp.analysis import MAX_CHARS
from tests.lsp.conftest import open_document, uri_of

pytestmark = pytest.mark.asyncio(loop_scope="module")

SMALL = "workflow W {\n  initial state A {\n    on go -> B\n  }\n  final state B\n  events { go }\n}\n"


async def still_serving(client: LanguageClient) -> None:
    """The server process is alive and answers requests."""
    server = client._server
    assert server is not None and server.returncode is None
    uri = uri_of("alive.wf")
    await open_document(client, uri, SMALL)
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert symbols


async def test_a_huge_buffer_gets_one_diagnostic(client: LanguageClient) -> None:
    uri = uri_of("huge.wf")
    found = await open_document(client, uri, "#" * (MAX_CHARS + 1))
    assert [d.code for d in found] == ["SW004"]
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(0, 5))
    )
    assert hover is None
    await still_serving(client)


async def test_binary_and_badly_encoded_buffers(client: LanguageClient) -> None:
    binary = await open_document(client, uri_of("binary.wf"), "workflow W {\x00\x01\x02 }")
    assert [d.code for d in binary] == ["SW008"]
    assert binary[0].range.start == types.Position(line=0, character=12)
    lone = await open_document(client, uri_of("surrogate.wf"), "workflow W {\n  \ud800\n}\n")
    assert [d.code for d in lone] == ["SW003"]
    assert lone[0].range.start.line == 1
    await still_serving(client)


async def test_bad_buffers_refuse_edits_with_an_error(client: LanguageClient) -> None:
    uri = uri_of("binary_format.wf")
    await open_document(client, uri, "workflow W {\x00}")
    with pytest.raises(JsonRpcException, match="NUL"):
        await client.text_document_formatting_async(
            types.DocumentFormattingParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                options=types.FormattingOptions(tab_size=2, insert_spaces=True),
            )
        )
    await still_serving(client)


async def test_unknown_methods_and_unknown_documents(client: LanguageClient) -> None:
    with pytest.raises(JsonRpcMethodNotFound):
        await client.protocol.send_request_async("statewright/noSuchMethod", {"x": 1})  # type: ignore[no-untyped-call]
    client.protocol.notify("statewright/noSuchNotification", {"x": 1})
    with pytest.raises(JsonRpcException):
        await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri="file:///no/such/file.wf"),
                position=types.Position(0, 0),
            )
        )
    far = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri_of("alive.wf")),
            position=types.Position(line=10_000, character=10_000),
        )
    )
    assert far is None
    await still_serving(client)


async def test_bytes_that_are_not_utf8_on_the_wire(client: LanguageClient) -> None:
    server = client._server
    assert server is not None and server.stdin is not None
    body = b'{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"x": "\xff\xfe"}}'
    server.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    await server.stdin.drain()
    await asyncio.sleep(0.2)
    await still_serving(client)
