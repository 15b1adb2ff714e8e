"""The VS Code extension (editors/vscode/) packages into a `.vsix` with `@vscode/vsce`, grammar included.

`make tools` installs vsce under `.tools/node` and the extension's own dependency
(vscode-languageclient) under `editors/vscode/node_modules`; a missing one fails the test.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

from statewright.dsl.expect import keywords
from tests.tools import ROOT, node_tool

EXTENSION = ROOT / "editors" / "vscode"
GRAMMAR = EXTENSION / "syntaxes" / "statewright.tmLanguage.json"


def test_vsix_is_built_and_holds_the_grammar_and_the_client(tmp_path: Path) -> None:
    client = EXTENSION / "node_modules" / "vscode-languageclient" / "package.json"
    assert client.exists(), "vscode-languageclient is not installed: run `make tools`"
    out = tmp_path / "statewright.vsix"
    done = subprocess.run(
        [
            str(node_tool("vsce")),
            "package",
            "--allow-missing-repository",
            "--skip-license",
            "--out",
            str(out),
        ],
        cwd=EXTENSION,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert out.exists()
    with zipfile.ZipFile(out) as vsix:
        names = set(vsix.namelist())
        assert "extension/syntaxes/statewright.tmLanguage.json" in names
        assert "extension/language-configuration.json" in names
        assert "extension/extension.js" in names
        assert "extension/node_modules/vscode-languageclient/package.json" in names
        manifest = json.loads(vsix.read("extension/package.json"))
    assert manifest["contributes"]["languages"][0]["extensions"] == [".wf"]


def test_manifest_points_at_files_that_exist_and_starts_statewright_lsp() -> None:
    manifest = json.loads((EXTENSION / "package.json").read_text("utf-8"))
    assert (EXTENSION / manifest["main"]).exists()
    node = shutil.which("node")
    assert node is not None, "node is not installed (see .ci/run)"
    checked = subprocess.run(
        [node, "--check", manifest["main"]], cwd=EXTENSION, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    for grammar in manifest["contributes"]["grammars"]:
        assert (EXTENSION / grammar["path"]).exists()
    for language in manifest["contributes"]["languages"]:
        assert (EXTENSION / language["configuration"]).exists()
    command = manifest["contributes"]["configuration"]["properties"]["statewright.server.command"]
    assert command["default"] == ["statewright", "lsp"]


def _patterns(node: object) -> list[str]:
    """Every `match` regex in the grammar."""
    if isinstance(node, dict):
        own = [node["match"]] if isinstance(node.get("match"), str) else []
        return own + [p for value in node.values() for p in _patterns(value)]
    if isinstance(node, list):
        return [p for value in node for p in _patterns(value)]
    return []


def test_grammar_highlights_every_keyword_of_the_language() -> None:
    patterns = [re.compile(p) for p in _patterns(json.loads(GRAMMAR.read_text("utf-8")))]
    missing = [word for word in sorted(keywords()) if not any(p.fullmatch(word) for p in patterns)]
    assert missing == [], f"keywords the TextMate grammar does not highlight: {missing}"
