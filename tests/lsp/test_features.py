"""Hover, definition, references, rename, outline, formatting, completion and quick fixes, over stdio."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import LanguageClient

from tests.lsp.conftest import open_document, position_of, uri_of

pytestmark = pytest.mark.asyncio(loop_scope="module")

SPEC = """workflow Orders {
  context {
    amount: decimal 0..1000 = 0
    tries: int >= 0 = 0
  }
  events {
    submit "the customer sends the order"
    approve
    cancel
  }
  initial state Draft {
    doc "being written"
    on submit when amount > 0 -> Review { set tries = tries + 1 }
    reject approve "not submitted yet"
    ignore cancel
  }
  state Review {
    on approve -> Done
    on cancel -> Done
    timeout 1d -> Done
  }
  final state Done
}
"""


def doc(uri: str) -> types.TextDocumentIdentifier:
    """The identifier of an open buffer."""
    return types.TextDocumentIdentifier(uri=uri)


async def test_hover_on_a_state_shows_kind_transitions_and_doc(client: LanguageClient) -> None:
    uri = uri_of("hover.wf")
    await open_document(client, uri, SPEC)
    found = await client.text_document_hover_async(
        types.HoverParams(text_document=doc(uri), position=position_of(SPEC, "Draft", delta=1))
    )
    assert found is not None and isinstance(found.contents, types.MarkupContent)
    text = found.contents.value
    assert "initial state" in text and "`Draft`" in text and "being written" in text
    assert "on submit when amount > 0 -> Review" in text and 'reject approve "not submitted yet"' in text


async def test_hover_on_an_event_lists_its_handlers(client: LanguageClient) -> None:
    uri = uri_of("hover_event.wf")
    await open_document(client, uri, SPEC)
    found = await client.text_document_hover_async(
        types.HoverParams(text_document=doc(uri), position=position_of(SPEC, "on approve", delta=4))
    )
    assert found is not None and isinstance(found.contents, types.MarkupContent)
    assert "**event** `approve`" in found.contents.value
    assert "handled in: `Draft`, `Review`" in found.contents.value
    submit = await client.text_document_hover_async(
        types.HoverParams(text_document=doc(uri), position=position_of(SPEC, 'submit "'))
    )
    assert submit is not None and isinstance(submit.contents, types.MarkupContent)
    assert "the customer sends the order" in submit.contents.value


async def test_hover_on_a_field_shows_type_and_bounds(client: LanguageClient) -> None:
    uri = uri_of("hover_field.wf")
    await open_document(client, uri, SPEC)
    found = await client.text_document_hover_async(
        types.HoverParams(text_document=doc(uri), position=position_of(SPEC, "amount >", delta=2))
    )
    assert found is not None and isinstance(found.contents, types.MarkupContent)
    assert "`amount: decimal 0..1000`" in found.contents.value and "bounds: 0 .. 1000" in found.contents.value
    nothing = await client.text_document_hover_async(
        types.HoverParams(text_document=doc(uri), position=types.Position(line=0, character=0))
    )
    assert nothing is None


async def test_definition_and_references(client: LanguageClient) -> None:
    uri = uri_of("nav.wf")
    await open_document(client, uri, SPEC)
    target = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc(uri), position=position_of(SPEC, "-> Review", delta=4))
    )
    assert isinstance(target, types.Location)
    assert target.range.start == position_of(SPEC, "Review {\n    on approve")
    refs = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=doc(uri),
            position=position_of(SPEC, "Done", delta=1),
            context=types.ReferenceContext(include_declaration=True),
        )
    )
    assert refs is not None and len(refs) == 4  # three uses and the declaration
    fields = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=doc(uri),
            position=position_of(SPEC, "tries:"),
            context=types.ReferenceContext(include_declaration=False),
        )
    )
    assert fields is not None and len(fields) == 2  # `set tries = tries + 1`


async def test_rename_edits_every_occurrence_and_refuses_bad_names(client: LanguageClient) -> None:
    uri = uri_of("rename.wf")
    await open_document(client, uri, SPEC)
    at = position_of(SPEC, "cancel\n  }")
    prepared = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(text_document=doc(uri), position=at)
    )
    assert prepared is not None
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=doc(uri), position=at, new_name="withdraw")
    )
    assert edit is not None and edit.changes is not None
    assert len(edit.changes[uri]) == 3 and all(e.new_text == "withdraw" for e in edit.changes[uri])
    for bad in ("approve", "state", "9lives", "two words"):
        with pytest.raises(JsonRpcException):
            await client.text_document_rename_async(
                types.RenameParams(text_document=doc(uri), position=at, new_name=bad)
            )


async def test_rename_refuses_a_field_name_an_enum_value_already_means(client: LanguageClient) -> None:
    uri = uri_of("rename_enum.wf")
    text = SPEC.replace(
        "    tries: int >= 0 = 0\n", "    tries: int >= 0 = 0\n    tier: enum { gold, silver } = gold\n"
    )
    await open_document(client, uri, text)
    at = position_of(text, "tries:")
    with pytest.raises(JsonRpcException, match="enum value"):
        await client.text_document_rename_async(
            types.RenameParams(text_document=doc(uri), position=at, new_name="gold")
        )


async def test_outline_nests_states(client: LanguageClient) -> None:
    nested = SPEC.replace(
        "  final state Done\n", "  state Outer {\n    initial state Inner\n  }\n  final state Done\n"
    )
    uri = uri_of("outline.wf")
    await open_document(client, uri, nested)
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=doc(uri))
    )
    assert symbols is not None
    (workflow,) = symbols
    assert isinstance(workflow, types.DocumentSymbol) and workflow.name == "Orders"
    names = [child.name for child in workflow.children or []]
    assert names == ["context", "events", "Draft", "Review", "Outer", "Done"]
    outer = (workflow.children or [])[4]
    assert [c.name for c in outer.children or []] == ["Inner"]


async def test_formatting_uses_fmt_and_refuses_syntax_errors(client: LanguageClient) -> None:
    uri = uri_of("format.wf")
    messy = SPEC.replace("  state Review {", "state    Review {")
    await open_document(client, uri, messy)
    options = types.FormattingOptions(tab_size=2, insert_spaces=True)
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(text_document=doc(uri), options=options)
    )
    assert edits is not None and len(edits) == 1 and "  state Review {" in edits[0].new_text
    broken_uri = uri_of("format_broken.wf")
    await open_document(client, broken_uri, SPEC.replace("-> Review", "->"))
    with pytest.raises(JsonRpcException, match="syntax errors"):
        await client.text_document_formatting_async(
            types.DocumentFormattingParams(text_document=doc(broken_uri), options=options)
        )


async def test_completion_offers_keywords_and_names(client: LanguageClient) -> None:
    uri = uri_of("complete.wf")
    await open_document(client, uri, SPEC)
    typing = SPEC.replace("    timeout 1d -> Done\n", "    timeout 1d -> Done\n    on cancel -> \n")
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=typing)],
        )
    )
    after_arrow = position_of(typing, "on cancel -> \n", delta=len("on cancel -> "))
    found = await client.text_document_completion_async(
        types.CompletionParams(text_document=doc(uri), position=after_arrow)
    )
    assert isinstance(found, types.CompletionList)
    labels = {item.label for item in found.items}
    assert {"Draft", "Review", "Done"} <= labels  # names from the last version that parsed
    item_start = position_of(typing, "  final state", delta=2)  # below the half-written line
    keywords = await client.text_document_completion_async(
        types.CompletionParams(text_document=doc(uri), position=item_start)
    )
    assert isinstance(keywords, types.CompletionList)
    assert {"state", "final", "saga", "parallel"} <= {item.label for item in keywords.items}
    in_guard = position_of(typing, "when amount", delta=5)
    fields = await client.text_document_completion_async(
        types.CompletionParams(text_document=doc(uri), position=in_guard)
    )
    assert isinstance(fields, types.CompletionList)
    assert {"amount", "tries", "not"} <= {item.label for item in fields.items}


async def _fix(
    client: LanguageClient, uri: str, found: list[types.Diagnostic], code: str, title: str = ""
) -> types.CodeAction:
    """Ask for the quick fixes of the first finding with `code`; return the first whose title has `title`."""
    wanted = [d for d in found if d.code == code]
    assert wanted, found
    fixes = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=doc(uri),
            range=wanted[0].range,
            context=types.CodeActionContext(diagnostics=wanted[:1]),
        )
    )
    assert fixes, wanted
    fix = next(f for f in fixes if title in f.title)
    assert isinstance(fix, types.CodeAction) and fix.edit is not None and fix.edit.changes is not None
    return fix


def _apply(text: str, edit: types.TextEdit) -> str:
    """Apply one edit (ASCII text) to a buffer."""
    lines = text.splitlines(keepends=True)

    def offset(p: types.Position) -> int:
        return sum(len(line) for line in lines[: p.line]) + p.character

    return text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]


async def test_quick_fix_rejects_an_undecided_event(client: LanguageClient) -> None:
    uri = uri_of("fix_reject.wf")
    text = SPEC.replace("    on cancel -> Done\n", "")
    found = await open_document(client, uri, text)
    fix = await _fix(client, uri, found, "SW311", "`cancel`")
    assert fix.title == "Reject `cancel` in `Review` explicitly"
    assert fix.edit is not None and fix.edit.changes is not None
    fixed = _apply(text, fix.edit.changes[uri][0])
    assert '    reject cancel "why it is refused"\n  }' in fixed
    again = await open_document(client, uri_of("fix_reject_after.wf"), fixed)
    assert not [d for d in again if d.code == "SW311" and "`cancel`" in d.message]


async def test_quick_fix_adds_a_timeout_to_a_wait(client: LanguageClient) -> None:
    uri = uri_of("fix_timeout.wf")
    text = SPEC.replace("    timeout 1d -> Done\n", "")
    found = await open_document(client, uri, text)
    fix = await _fix(client, uri, found, "SW601")
    assert fix.edit is not None and fix.edit.changes is not None
    fixed = _apply(text, fix.edit.changes[uri][0])
    assert "    timeout 1d -> Done\n  }" in fixed
    again = await open_document(client, uri_of("fix_timeout_after.wf"), fixed)
    assert not [d for d in again if d.code == "SW601"]


SAGA = """workflow Pay {
  events { go }
  initial state Start {
    on go -> Paying
  }
  saga Paying {
    step charge key "c-{id}" compensate refund compensate_key "r-{id}"
    step ship key "s-{id}"
    done -> Done
    compensated -> Failed
  }
  final state Done
  final state Failed { outcome failure }
}
"""


async def test_quick_fix_adds_a_compensation_stub(client: LanguageClient) -> None:
    uri = uri_of("fix_saga.wf")
    found = await open_document(client, uri, SAGA)
    fix = await _fix(client, uri, found, "SW501")
    assert fix.edit is not None and fix.edit.changes is not None
    fixed = _apply(SAGA, fix.edit.changes[uri][0])
    assert "step ship compensate undo_ship key" in fixed
    again = await open_document(client, uri_of("fix_saga_after.wf"), fixed)
    assert not [d for d in again if d.code == "SW501"]


async def test_rename_of_a_state_follows_it_into_the_migrate_block(client: LanguageClient) -> None:
    uri = uri_of("rename_migrate.wf")
    text = SPEC.replace("  context {", "  version 2\n  migrate { Checking -> Review }\n  context {")
    await open_document(client, uri, text)
    at = position_of(text, "state Review", delta=len("state "))
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=doc(uri), position=at, new_name="Vetting")
    )
    assert edit is not None and edit.changes is not None
    starts = [e.range.start for e in edit.changes[uri]]
    assert position_of(text, "-> Review }", delta=3) in starts  # the migrate line's new name
    assert position_of(text, "Checking") not in starts  # the old version's name is not this state
