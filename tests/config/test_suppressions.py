"""Inline suppressions: reading `# statewright: ignore[...]` comments and applying them with the config."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from statewright.config import DEFAULT, Config, apply, suppressions_of
from statewright.config.suppressions import comments
from statewright.diagnostics import BUILTIN_CODES, Diagnostic, Severity, lookup
from statewright.source import NO_SPAN, SourceText, Span

KNOWN = BUILTIN_CODES.keys()


def finding(code: str, line: int, file: str = "x.wf") -> Diagnostic:
    """A finding of `code` at the start of `line`."""
    return Diagnostic.of(lookup(code), f"{code} here", file, Span(line, 3, line, 9))


def applied(text: str, found: list[Diagnostic], config: Config = DEFAULT, complete: bool = True) -> list[str]:
    """Apply the text's suppressions and `config`: `CODE@line severity` of what is left."""
    table, malformed = suppressions_of(SourceText("x.wf", text))
    kept = apply(config, table, "x.wf", found, known=KNOWN, malformed=malformed, complete=complete)
    return sorted(f"{d.code}@{d.span.line} {d.severity.value}" for d in kept)


TEXT = (
    "workflow W {\n"
    "  state Review {   # statewright: ignore[SW601] the caller's own deadline bounds it\n"
    "    on go -> Done  # statewright: ignore[SW310, SW304] both are intended\n"
    "    on x -> Done   # statewright: ignore[SW302]\n"
    '    doc "# statewright: ignore[SW301] inside a string is text"\n'
    "  }\n"
    "}\n"
)


def test_a_suppression_silences_its_code_on_its_line_only() -> None:
    found = [finding("SW601", 2), finding("SW601", 3), finding("SW310", 3), finding("SW301", 5)]
    assert applied(TEXT, found) == [
        "SW065@3 warning",  # SW304 suppressed nothing on line 3
        "SW065@4 warning",  # SW302 suppressed nothing on line 4
        "SW066@4 warning",  # and gave no reason
        "SW301@5 error",  # the `#` in a string is not a comment
        "SW601@3 error",  # line 2's suppression does not reach line 3
    ]


def test_unused_is_not_reported_for_a_file_that_did_not_verify() -> None:
    assert applied(TEXT, [], complete=False) == ["SW066@4 warning"]


def test_unused_is_not_reported_for_codes_that_depend_on_the_command() -> None:
    text = "state A { # statewright: ignore[SW921, SW983] the evaluator is deployed\n"
    assert applied(text, []) == []


def test_malformed_suppressions_are_findings() -> None:
    text = (
        "a # statewright: ignore\n"
        "b # statewright: ignore[] why\n"
        "c # statewright: ignore[SW999, nonsense] why\n"
        "d #statewright:ignore[SW601]because\n"
    )
    assert applied(text, [finding("SW601", 4)]) == [
        "SW067@1 warning",
        "SW067@2 warning",
        "SW067@3 warning",
        "SW067@3 warning",
    ]


def test_config_selects_ignores_and_sets_severities_of_every_finding() -> None:
    config = Config(ignore=("SW3", "SW066"), severity=(("SW065", Severity.ERROR), ("SW601", Severity.INFO)))
    found = [finding("SW601", 3), finding("SW310", 3), finding("SW705", 1)]
    assert applied(TEXT, found, config) == [
        "SW065@2 error",  # no SW601 on line 2 (SW066 is ignored, the config's severity applies)
        "SW065@3 error",
        "SW065@3 error",  # SW310 is ignored by the config, so line 3's SW310 suppression is unused too
        "SW065@4 error",
        "SW601@3 info",
        "SW705@1 info",
    ]


def test_front_end_errors_are_never_hidden_or_downgraded() -> None:
    config = Config(select=("SW6",), severity=(("SW010", Severity.INFO),))
    syntax = finding("SW010", 1)
    assert applied("x # statewright: ignore[SW010] no\n", [syntax], config) == ["SW010@1 error"]


def test_a_finding_without_a_place_or_in_another_file_is_not_suppressed() -> None:
    nowhere = Diagnostic.of(lookup("SW601"), "m", "x.wf", NO_SPAN)
    other = finding("SW601", 1, file="y.wf")
    assert applied("# statewright: ignore[SW601] r\n", [nowhere, other]) == [
        "SW065@1 warning",
        "SW601@1 error",
        "SW601@1 error",
    ]


HOSTILE = [
    '"unterminated # statewright: ignore[SW601] r\n# statewright: ignore[SW601] r\n',
    "# statewright: ignore[" + "SW601," * 5000 + "] r\n",
    "# statewright: ignore[SW601\n] r\n",
    '"\\" # statewright: ignore[SW601] r\n',
    "\r\n# statewright: ignore[SW601] r\r\n",
    "# statewright: ignore[\x1b[31mSW601\x00] r\n",
    "#" * 10_000 + "\n",
]


@given(st.sampled_from(HOSTILE) | st.text(alphabet='#"\\[] \n,SW601abc:', max_size=200))
def test_hostile_comments_never_raise(text: str) -> None:
    source = SourceText("x.wf", text)
    table, malformed = suppressions_of(source)
    kept = apply(DEFAULT, table, "x.wf", [finding("SW601", 2)], known=KNOWN, malformed=malformed)
    for diagnostic in kept:
        assert "\x1b" not in diagnostic.message and "\x00" not in diagnostic.message
        assert len(diagnostic.message) < 200


@given(st.lists(st.sampled_from(['"a#b"', "x", "# c", '"\\""', " ", "\n"]), max_size=30))
def test_comments_are_the_hashes_outside_strings(parts: list[str]) -> None:
    text = "".join(parts)
    found = [text[start:end] for start, end in comments(SourceText("x.wf", text))]
    expected: list[str] = []
    for line in text.split("\n"):
        rest = line
        while rest:
            if rest.startswith('"\\""'):
                rest = rest[4:]
            elif rest.startswith('"a#b"'):
                rest = rest[5:]
            elif rest.startswith("#"):
                expected.append(rest)
                break
            else:
                rest = rest[1:]
    assert found == expected


CODES_DRAWN = ["SW301", "SW304", "SW601", "SW705"]


@given(
    st.lists(st.tuples(st.sampled_from(CODES_DRAWN), st.integers(1, 4)), max_size=8),
    st.lists(st.tuples(st.integers(1, 4), st.lists(st.sampled_from(CODES_DRAWN), min_size=1, max_size=2))),
    st.lists(st.sampled_from(["SW3", "SW30", "SW601", "SW7"]), max_size=2),
)
def test_apply_keeps_exactly_what_neither_the_config_nor_a_suppression_removes(
    found: list[tuple[str, int]], comments: list[tuple[int, list[str]]], ignore: list[str]
) -> None:
    lines = ["x"] * 4
    for line, named in comments:
        lines[line - 1] = f"x # statewright: ignore[{', '.join(named)}] why"
    config = Config(ignore=tuple(ignore))
    table, malformed = suppressions_of(SourceText("x.wf", "\n".join(lines) + "\n"))
    kept = apply(config, table, "x.wf", [finding(c, n) for c, n in found], known=KNOWN, malformed=malformed)
    expected = sorted(f"{c}@{n}" for c, n in found if config.enabled(c) and c not in _written(lines[n - 1]))
    assert sorted(f"{d.code}@{d.span.line}" for d in kept if d.code != "SW065") == expected
    used = {(n, c) for c, n in found if config.enabled(c)}
    unused = sorted(
        f"{code}@{line}"
        for line in range(1, 5)
        for code in _written(lines[line - 1])
        if (line, code) not in used and config.enabled("SW065")
    )
    assert sorted(f"{d.message.split()[3]}@{d.span.line}" for d in kept if d.code == "SW065") == unused


def _written(line: str) -> list[str]:
    """The codes a line's suppression names, once each."""
    if "[" not in line:
        return []
    return list(dict.fromkeys(c.strip() for c in line.split("[", 1)[1].split("]", 1)[0].split(",")))
