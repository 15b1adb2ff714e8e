"""Diagnostics as you type: `statewright check`'s codes, UTF-16 ranges, counterexamples as related places."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.conftest import example_files
from tests.lsp.conftest import diagnostics_for, open_document, replace_text, uri_of

pytestmark = pytest.mark.asyncio(loop_scope="module")

INCOMPLETE = """workflow T {
  events { go, stop }
  initial state A {
    on go -> B
  }
  state B {
    on stop -> Done
    timeout 1h -> Done
  }
  final state Done
}
"""


def check_codes(path: Path) -> list[tuple[str, int, int]]:
    """The codes and 0-based lines/columns `statewright check --format json` reports for a file."""
    done = subprocess.run(
        [sys.executable, "-m", "statewright", "check", "--format", "json", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    found = json.loads(done.stdout)["files"][0]["diagnostics"]
    return sorted((d["code"], d["span"]["line"] - 1, d["span"]["column"] - 1) for d in found)


@pytest.mark.parametrize("path", example_files(), ids=lambda p: p.name)
async def test_examples_get_the_same_codes_as_check(client: LanguageClient, path: Path) -> None:
    found = await open_document(client, path.resolve().as_uri(), path.read_text("utf-8"))
    assert sorted((d.code, d.range.start.line, d.range.start.character) for d in found) == check_codes(path)
    assert all(d.source == "statewright" for d in found)


async def test_counterexample_path_is_related_information(client: LanguageClient) -> None:
    uri = uri_of("incomplete.wf")
    found = await open_document(client, uri, INCOMPLETE)
    undecided = [d for d in found if d.code == "SW311" and "`A`" in d.message]
    assert undecided, found
    related = undecided[0].related_information or []
    steps = [r.message for r in related if r.message.startswith("counterexample step")]
    assert steps == ["counterexample step 1: stop"]
    # the step points at the event's declaration
    assert related[0].location.range.start == types.Position(line=1, character=15)


async def test_typing_updates_findings_and_syntax_errors_are_located(client: LanguageClient) -> None:
    uri = uri_of("typing.wf")
    await open_document(client, uri, INCOMPLETE)
    broken = INCOMPLETE.replace("on go -> B", "on go -> ")
    found = await replace_text(client, uri, 2, broken)
    assert [d.code for d in found] == ["SW010"]
    assert found[0].range.start.line == 4  # the `}` after the missing target
    fixed = await replace_text(
        client, uri, 3, INCOMPLETE.replace("on go -> B", "on go -> B\n    reject stop")
    )
    assert "SW010" not in [d.code for d in fixed]
    assert not [d for d in fixed if d.code == "SW311" and "`A`" in d.message]


async def test_columns_are_utf16_code_units(client: LanguageClient) -> None:
    # `😀` is one character but two UTF-16 units: the unknown target after it starts at unit 31
    text = INCOMPLETE.replace("on go -> B", 'on go -> B\n    reject stop "😀" on x -> Nowhere')
    found = await open_document(client, uri_of("emoji.wf"), text)
    assert found, found
    line = text.splitlines()[4]
    assert line.startswith('    reject stop "😀"')
    target = [d for d in found if d.range.start.line == 4]
    assert target, found
    start = target[0].range.start.character
    assert (
        start == len(line[: line.index("x")].encode("utf-16-le")) // 2
        or start == len(line[: line.index("Nowhere")].encode("utf-16-le")) // 2
    )


async def test_incremental_edits_after_wide_characters_land_where_the_client_means(
    client: LanguageClient,
) -> None:
    uri = uri_of("incremental.wf")
    text = INCOMPLETE.replace("  events { go, stop }", '  doc "😀😀"\n  events { go, stop }')
    await open_document(client, uri, text)
    # insert ` -> Nowhere` style damage right after the emoji string, addressed in UTF-16 units
    line = text.splitlines()[1]
    after_string = len(line.encode("utf-16-le")) // 2
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=1, character=after_string),
                        end=types.Position(line=1, character=after_string),
                    ),
                    text=" ->",
                )
            ],
        )
    )
    found = await diagnostics_for(client, uri)
    assert [d.code for d in found][:1] == ["SW010"], found
    assert found[0].range.start == types.Position(line=1, character=after_string + 1)


async def test_configuration_and_inline_suppressions_apply_as_in_check(
    client: LanguageClient, tmp_path: Path
) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.statewright]\nignore = ["SW311"]\n', "utf-8")
    text = INCOMPLETE.replace("    timeout 1h -> Done\n", "").replace(
        "  state B {", "  state B {  # statewright: ignore[SW601] a person answers, by design"
    )
    path = tmp_path / "configured.wf"
    path.write_text(text, "utf-8")
    found = await open_document(client, path.as_uri(), text)
    codes = [d.code for d in found]
    assert "SW311" not in codes and "SW601" not in codes
    assert sorted((d.code, d.range.start.line, d.range.start.character) for d in found) == check_codes(path)
