"""`[tool.statewright]`: finding it upward, reading it, and every bad value as a located finding."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statewright.config import DEFAULT, Config, find_config, load_config
from statewright.config.settings import KeyLines
from statewright.diagnostics import BUILTIN_CODES, Severity

KNOWN = BUILTIN_CODES.keys()


def load(tmp_path: Path, text: str | bytes) -> tuple[Config, list[tuple[str, int, str]]]:
    """Write a pyproject.toml and read it: the config and its findings as (code, line, message)."""
    path = tmp_path / "pyproject.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, "utf-8")
    config, problems = load_config(path, KNOWN)
    for problem in problems:
        assert problem.file.endswith("pyproject.toml")
    return config, [(p.code, p.span.line, p.message) for p in problems]


def test_a_full_table_is_read(tmp_path: Path) -> None:
    config, problems = load(
        tmp_path,
        '[tool.statewright]\nselect = ["SW3", "SW6"]\nignore = ["SW305"]\nstrict = true\n'
        'severity = { SW705 = "warning" }\n[tool.statewright.options.python]\npython_form = "table"\n'
        "flag = true\ncount = 3\n",
    )
    assert problems == []
    assert config.select == ("SW3", "SW6") and config.ignore == ("SW305",) and config.strict
    assert config.severity_of("SW705", Severity.INFO) is Severity.WARNING
    assert config.severity_of("SW301", Severity.ERROR) is Severity.ERROR
    assert config.target_options("python") == {"python_form": "table", "flag": "true", "count": "3"}
    assert config.target_options("asl") == {}


def test_select_and_ignore_work_like_ruff_prefixes() -> None:
    config = Config(select=("SW3", "SW601"), ignore=("SW30", "SW6"))
    assert config.enabled("SW310")  # SW3 selects; SW30 does not cover SW310
    assert not config.enabled("SW301")  # SW30 is longer than SW3
    assert config.enabled("SW601")  # SW601 is longer than SW6
    assert not config.enabled("SW602")
    assert not config.enabled("SW701")  # not selected at all
    assert DEFAULT.enabled("SW701") and DEFAULT.enabled("ACME001")
    assert not Config(select=("SW6",), ignore=("SW6",)).enabled("SW601")  # a tie: ignore wins


@given(st.lists(st.sampled_from(["SW", "SW3", "SW30", "SW301", "SW6", "SW601"]), max_size=4), st.data())
def test_the_longest_prefix_decides(select: list[str], data: st.DataObject) -> None:
    ignore = data.draw(st.lists(st.sampled_from(["SW", "SW3", "SW30", "SW301", "SW6", "SW601"]), max_size=4))
    config = Config(select=tuple(select), ignore=tuple(ignore))
    for code in ("SW301", "SW310", "SW601", "SW701"):
        longest_select = max((len(p) for p in select if code.startswith(p)), default=-1)
        longest_ignore = max((len(p) for p in ignore if code.startswith(p)), default=-1)
        assert config.enabled(code) == (longest_select > longest_ignore)


BAD_CONFIG = [
    ('[tool.statewright]\nselect = ["SW6"\n', "SW060", 2),
    ("[tool.statewright]\ncolour = 1\n", "SW061", 2),
    ('[tool.statewright]\nselect = "SW6"\n', "SW062", 2),
    ("[tool.statewright]\nselect = [6]\n", "SW062", 2),
    ('[tool.statewright]\nstrict = "yes"\n', "SW062", 2),
    ('[tool.statewright]\nseverity = "error"\n', "SW062", 2),
    ('[tool.statewright]\nseverity = { SW301 = "fatal" }\n', "SW062", 2),
    ("[tool.statewright]\n\n[tool.statewright.severity]\nSW301 = 1\n", "SW062", 4),
    ('[tool.statewright]\noptions = "python_form=table"\n', "SW062", 2),
    ('[tool.statewright]\n[tool.statewright.options]\npython = "table"\n', "SW062", 3),
    ("[tool.statewright.options.python]\npython_form = [1, 2]\n", "SW062", 2),
    ('[tool.statewright]\nignore = [\n  "SW301",\n  "SW999",\n]\n', "SW063", 4),
    ('[tool.statewright]\nselect = [""]\n', "SW063", 2),
    ('[tool.statewright]\nseverity = { SW3 = "error" }\n', "SW063", 2),
    ('[tool]\nstatewright = "on"\n', "SW062", 2),
    (b'[tool.statewright]\nselect = ["\xff"]\n', "SW060", 1),
]


@pytest.mark.parametrize(("text", "code", "line"), BAD_CONFIG)
def test_bad_configuration_is_a_finding_at_its_line(
    tmp_path: Path, text: str | bytes, code: str, line: int
) -> None:
    config, problems = load(tmp_path, text)
    assert [(c, n) for c, n, _ in problems] == [(code, line)], problems
    assert all("tool.statewright" in m or "pyproject.toml" in m for _, _, m in problems)
    assert isinstance(config, Config)


def test_a_bad_key_keeps_the_others(tmp_path: Path) -> None:
    config, problems = load(tmp_path, '[tool.statewright]\nstrict = 3\nignore = ["SW305", "SW3050"]\n')
    assert [c for c, _, _ in problems] == ["SW062", "SW063"]
    assert config.ignore == ("SW305",) and not config.strict


HOSTILE = [
    "[tool.statewright]\n" + "x = 1\n" * 2000,
    '[tool.statewright]\nselect = ["' + "S" * 10_000 + '"]\n',
    '[tool.statewright]\nselect = ["SW\\u0000\\u001b[31m"]\n',
    "[tool.statewright]\nseverity = { " + ", ".join(f'"k{i}" = "x"' for i in range(300)) + " }\n",
    "[[tool.statewright]]\nselect = []\n",
    "[tool.statewright]\n" + "a = [" * 200 + "]" * 200 + "\n",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_configuration_never_raises(tmp_path: Path, text: str) -> None:
    config, problems = load(tmp_path, text)
    assert isinstance(config, Config)
    assert problems  # each is refused, located and short
    for _, line, message in problems:
        assert line >= 1 and len(message) < 300 and "\x1b" not in message and "\x00" not in message


def test_a_huge_file_is_refused(tmp_path: Path) -> None:
    _, problems = load(tmp_path, "[tool.statewright]\n#" + "x" * 1_100_000 + "\n")
    assert [c for c, _, _ in problems] == ["SW060"]


def test_the_nearest_file_with_the_table_wins(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.statewright]\nignore = ["SW3"]\n', "utf-8")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    (tmp_path / "a" / "pyproject.toml").write_text('[project]\nname = "no table here"\n', "utf-8")
    spec = deep / "x.wf"
    spec.write_text("", "utf-8")
    assert find_config(spec) == tmp_path / "pyproject.toml"
    (deep / "pyproject.toml").write_text("[tool.statewright]\nstrict = true\n", "utf-8")
    assert find_config(spec) == deep / "pyproject.toml"
    assert find_config(deep) == deep / "pyproject.toml"


def test_a_directory_named_pyproject_is_passed_over(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").mkdir()
    assert (
        find_config(tmp_path / "x.wf") is None
        or find_config(tmp_path / "x.wf") != tmp_path / "pyproject.toml"
    )


def test_key_lines_know_headers_dotted_and_inline_keys() -> None:
    lines = KeyLines(
        '[tool.statewright]\nstrict = true\nseverity = { SW301 = "info", "SW302" = "info" }\n'
        '[tool.statewright.options."bpmn-zeebe"]\nflavor = "x"\ntool.other = 1\n'
    )
    assert lines.line(("tool", "statewright", "strict")) == 2
    assert lines.line(("tool", "statewright", "severity", "SW302")) == 3
    assert lines.line(("tool", "statewright", "options", "bpmn-zeebe", "flavor")) == 5
    assert lines.line(("tool", "statewright", "options", "bpmn-zeebe", "missing")) == 4
    assert lines.line(("nowhere",)) == 1


def test_options_for_a_target_that_is_not_registered_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text('[tool.statewright.options.pyhton]\npython_form = "table"\n', "utf-8")
    config, problems = load_config(path, KNOWN, targets=["python", "asl"])
    assert [(p.code, p.span.line) for p in problems] == [("SW061", 1)]
    assert "names no registered target (known: asl, python)" in problems[0].message
    assert config.target_options("pyhton") == {}
