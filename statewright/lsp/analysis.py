"""One editor buffer analysed: the same front end and rules as `statewright check`, as pure steps.

`analyze` runs read-equivalent checks (size, NULs, bad code points), parse and
lower on the buffer's text; `verify_findings` runs the registered rules on the
machine, which is the slow part and runs off the server's event loop; `report`
applies the file's `[tool.statewright]` configuration and inline suppressions as
`check` does. All return values; none raises for any text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from statewright.compiler.verify import verify
from statewright.config import DEFAULT, Config, apply, find_config, load_config, suppressions_of
from statewright.diagnostics import CODES, Diagnostic, codes, has_errors
from statewright.diagnostics.catalog.command import INTERNAL_ERROR
from statewright.lsp.index import Index, build_index
from statewright.lsp.positions import Encoding, LineIndex
from statewright.pipeline import CompileResult, compile_source, decode_source
from statewright.plugins.api import SMT_TIMEOUT_SETTING, Rule, RuleContext
from statewright.source import NO_SPAN, SourceText

MAX_CHARS = 4 * 1024 * 1024
"""Buffers longer than this are not analysed as you type (SW004 on the buffer instead)."""

LSP_SMT_TIMEOUT_MS = 2000
"""The solver's per-query limit while typing: a slow proof must not hold the next keystroke's findings."""


@dataclass(frozen=True)
class Analysis:
    """What the front end made of one version of a buffer, with the means to place its findings."""

    name: str
    text: str
    lines: LineIndex
    source: SourceText | None
    result: CompileResult | None
    front: tuple[Diagnostic, ...]
    index: Index | None
    """Names and places from this version's AST (None when it did not parse)."""

    @property
    def verifiable(self) -> bool:
        """True when a machine was produced without front-end errors, so the rules can run."""
        return self.result is not None and self.result.machine is not None and not has_errors(self.front)


def analyze(name: str, text: str, encoding: Encoding = "utf-16", max_chars: int = MAX_CHARS) -> Analysis:
    """Check, parse and lower one buffer's text; every problem is a located diagnostic."""
    lines = LineIndex(text, encoding)
    if len(text) > max_chars:
        message = f"the buffer holds {len(text)} characters, over the editor limit of {max_chars}"
        too_large = Diagnostic.of(
            codes.FILE_TOO_LARGE, message, name, NO_SPAN, help="run `statewright check` on the file instead"
        )
        return Analysis(name, text, lines, None, None, (too_large,), None)
    decoded = decode_source(name, text.encode("utf-8", "surrogatepass"))
    if isinstance(decoded, Diagnostic):
        return Analysis(name, text, lines, None, None, (decoded,), None)
    result = compile_source(decoded)
    index = None if result.workflow is None else build_index(result.workflow, decoded)
    return Analysis(name, text, lines, decoded, result, result.diagnostics, index)


def verify_findings(
    analysis: Analysis, rules: Sequence[Rule], strict: bool = False, smt_timeout_ms: int = LSP_SMT_TIMEOUT_MS
) -> tuple[Diagnostic, ...]:
    """Run the verification rules on the buffer's machine, as `statewright check` does."""
    machine = None if analysis.result is None else analysis.result.machine
    if machine is None or not analysis.verifiable:
        return ()
    context = RuleContext(strict=strict, settings={SMT_TIMEOUT_SETTING: str(smt_timeout_ms)})
    return tuple(verify(machine, rules, replace(context, run=context.run_for(machine))))


def configuration(name: str) -> Config:
    """The `[tool.statewright]` governing a buffer saved at path `name` (the defaults for unsaved ones).

    What is wrong with that configuration is `check`'s to report (it names `pyproject.toml`,
    not the buffer), so it is not returned here.
    """
    path = Path(name)
    if not path.is_absolute():
        return DEFAULT
    found = find_config(path)
    return DEFAULT if found is None else load_config(found, CODES.keys())[0]


def report(analysis: Analysis, rules: Sequence[Rule], config: Config = DEFAULT) -> tuple[Diagnostic, ...]:
    """Every finding `statewright check` gives the buffer: front end and rules, configured and suppressed."""
    later = verify_findings(analysis, rules, strict=config.strict)
    table, malformed = ((), ()) if analysis.source is None else suppressions_of(analysis.source)
    kept = apply(
        config,
        table,
        analysis.name,
        (*analysis.front, *later),
        known=CODES.keys(),
        malformed=malformed,
        complete=analysis.verifiable,
    )
    return tuple(sorted(kept, key=lambda d: (*d.sort_key(), d.severity.rank)))


def checked(
    name: str, text: str, rules: Sequence[Rule], encoding: Encoding = "utf-16"
) -> tuple[Analysis, tuple[Diagnostic, ...]]:
    """Analyse and report one buffer; an unexpected failure is one SW909 finding, never an exception.

    This is what runs on every (debounced) keystroke, so a bug anywhere below must not
    leave the editor with stale findings or stop the server.
    """
    try:
        analysis = analyze(name, text, encoding)
        return analysis, report(analysis, rules, configuration(name))
    except Exception as exc:  # a bug in statewright: say so in the editor, keep serving
        message = f"statewright failed on this buffer: {type(exc).__name__}: {exc}"
        crash = Diagnostic.of(INTERNAL_ERROR, message, name, NO_SPAN)
        return Analysis(name, text, LineIndex(text, encoding), None, None, (crash,), None), (crash,)
