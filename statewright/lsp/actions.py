"""Code actions for the common fixes a finding names.

- SW311 (a state leaves an event undecided): add an explicit `reject EVENT "..."` to that state.
- SW601 (a wait has no timeout): add `timeout 1d -> FINAL` (the first final state) to that state.
- SW501 (a saga step has no compensation): add `compensate undo_ACTION` to the step.

Each action is one edit computed from the buffer's AST; the finding is read from
the protocol diagnostic the client sends back (its code, message and range).
"""

from __future__ import annotations

import re

from lsprotocol import types

from statewright.dsl import ast
from statewright.lsp.analysis import Analysis
from statewright.lsp.index import STATE_TYPES, Definition

_TICKED = re.compile(r"`([^`]+)`")
_TAKES_TIMEOUT = (ast.State, ast.ParallelState, ast.ApprovalState, ast.CheckpointState)


def code_actions(analysis: Analysis, uri: str, wanted: list[types.Diagnostic]) -> list[types.CodeAction]:
    """Return the quick fixes for the findings the client asks about (those this buffer can fix)."""
    if analysis.index is None or analysis.result is None or analysis.result.workflow is None:
        return []
    found: list[types.CodeAction] = []
    for diagnostic in wanted:
        if diagnostic.code == "SW311":
            found.extend(_rejects(analysis, uri, diagnostic))
        elif diagnostic.code == "SW601":
            found.extend(_timeout(analysis, uri, diagnostic))
        elif diagnostic.code == "SW501":
            found.extend(_compensation(analysis, uri, diagnostic))
    return found


def _state(analysis: Analysis, message: str) -> Definition | None:
    """The state a finding's message names first (`state `A` ...`)."""
    named = _TICKED.search(message)
    if named is None or analysis.index is None:
        return None
    return analysis.index.definition("state", named.group(1).rsplit(".", 1)[-1])


def _rejects(analysis: Analysis, uri: str, diagnostic: types.Diagnostic) -> list[types.CodeAction]:
    """One action per undecided event: `reject EVENT "why it is refused"` in the state."""
    state = _state(analysis, diagnostic.message)
    _, _, tail = diagnostic.message.partition("\n")[0].partition(":")
    if state is None or not tail:
        return []
    events = _TICKED.findall(tail)
    return [
        _action(
            analysis,
            uri,
            diagnostic,
            f"Reject `{event}` in `{state.name}` explicitly",
            *_insert_item(analysis, state, f'reject {event} "why it is refused"'),
        )
        for event in events
    ]


def _timeout(analysis: Analysis, uri: str, diagnostic: types.Diagnostic) -> list[types.CodeAction]:
    """`timeout 1d -> FINAL` in a waiting state, FINAL being the workflow's first final state."""
    state = _state(analysis, diagnostic.message)
    finals = (
        [d.name for d in analysis.index.definitions if isinstance(d.node, ast.FinalState)]
        if analysis.index is not None
        else []
    )
    if state is None or not finals or not isinstance(state.node, _TAKES_TIMEOUT):
        return []
    line = f"timeout 1d -> {finals[0]}"
    return [
        _action(
            analysis, uri, diagnostic, f"Add `{line}` to `{state.name}`", *_insert_item(analysis, state, line)
        )
    ]


def _compensation(analysis: Analysis, uri: str, diagnostic: types.Diagnostic) -> list[types.CodeAction]:
    """`compensate undo_ACTION` right after the step's action name."""
    at = analysis.lines.offset(diagnostic.range.start)
    workflow = analysis.result.workflow if analysis.result is not None else None
    for step in _steps(workflow.items if workflow is not None else ()):
        if step.span.offset <= at < max(step.span.end_offset, step.span.offset + 1):
            name = re.compile(rf"\bstep\s+{re.escape(step.action)}\b").match(analysis.text, step.span.offset)
            if name is None:
                return []
            clause = f" compensate undo_{step.action}"
            return [
                _action(
                    analysis,
                    uri,
                    diagnostic,
                    f"Add `{clause.strip()}` to step `{step.action}`",
                    name.end(),
                    name.end(),
                    clause,
                )
            ]
    return []


def _steps(items: tuple[object, ...]) -> list[ast.Step]:
    """Every saga step in a tree of items."""
    found: list[ast.Step] = []
    for item in items:
        if isinstance(item, ast.Step):
            found.append(item)
        elif isinstance(item, (ast.Region, *STATE_TYPES)):
            found.extend(_steps(item.items))
    return found


def _insert_item(analysis: Analysis, state: Definition, line: str) -> tuple[int, int, str]:
    """Where and what to insert to add one item line at the end of a state's block."""
    node = state.node
    text = analysis.text
    start, end = node.span.offset, node.span.end_offset
    line_start = text.rfind("\n", 0, start) + 1
    indent = re.match(r"[ \t]*", text[line_start:start])
    base = indent.group(0) if indent else ""
    if end > start and text[end - 1] == "}":
        brace = end - 1
        brace_line = text.rfind("\n", 0, brace) + 1
        if not text[brace_line:brace].strip():
            return brace_line, brace_line, f"{base}  {line}\n"
        return brace, brace, f" {line} "
    return end, end, f" {{\n{base}  {line}\n{base}}}"


def _action(
    analysis: Analysis, uri: str, diagnostic: types.Diagnostic, title: str, start: int, end: int, new: str
) -> types.CodeAction:
    """One quick fix: a single edit of this buffer that resolves `diagnostic`."""
    edit = types.TextEdit(range=analysis.lines.range(start, end), new_text=new)
    return types.CodeAction(
        title=title,
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        edit=types.WorkspaceEdit(changes={uri: [edit]}),
    )
