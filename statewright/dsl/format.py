r"""The canonical printer behind `statewright fmt`: an AST back to `.wf` text.

Layout rules (the output re-parses to an equal AST, and formatting is idempotent):

* 2-space indentation, one item per line, `{` on the header line, `}` on its own
  line, items in source order, exactly one trailing newline, no trailing spaces.
* Inside the workflow body a blank line separates two adjacent items whenever
  either of them is a state declaration, so every top-level state stands apart.
  Elsewhere one blank line is kept where the author left one or more (as black
  keeps them), and none is added.
* A block the author wrote on one line, holding one single-line item, stays on
  one line when it fits (`final state Declined { outcome failure "too late" }`);
  every other block prints one item per line.
* A block with no items prints `{}` on its header line; a plain or final state
  with no items prints no braces at all (`state A`, `final state Done`).
* `entry do x` for one action, `entry { ... }` over several lines for more;
  likewise `-> B { do a }` on one line for a single action of a transition,
  timeout, outcome (`done`, `approved`, ...) or `always`, and a multi-line block
  for two or more. A guarded `done`/`always` reads `done when G -> T`, `done else -> T`.
* Clauses follow the grammar's order: step (key, compensate, compensate_key,
  no_compensation, pivot, service, timeout, retry, returns, then), retry (count,
  backoff, jitter, retry_on, dead_letter), invoke (key, service, returns), level
  (approvers, quorum, timeout, escalate); a level prints on one line, as do
  `events` entries (with their payload) and context fields. Actions inside a
  line (`dead_letter -> S { ... }`, a step's `then { ... }`) print on that line,
  two spaces apart; `returns { a: int, b: string }` and payloads separate their
  fields with `, `.
* Durations use the largest units first (`1m30s`, `1s500ms`, `0s`); decimals
  always have a point (`2.0`); strings escape `\\ \" \n \t \r` and print other
  control characters and U+2028/U+2029 as `\u{hex}`; approver names print bare
  when they are names and quoted otherwise.
* Expressions get the fewest parentheses the grammar needs.

Comments are never dropped and keep their order. A comment that follows code on
the same line stays at the end of the line where that code's printed form
ends, two spaces after it (a comment after a block's `{` stays on the header
line); a comment on a line of its own prints, on its own line, before the next
item at that item's indentation (or before the `}` that closes its block).
Comments inside an item printed on one line (the middle of a long `step`, say)
move to their own lines just before it. Only trailing whitespace is dropped.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeAlias

from statewright.diagnostics import Diagnostic, has_errors
from statewright.dsl import ast
from statewright.dsl.parser import parse
from statewright.ir.text import format_duration
from statewright.source import SourceText

_INDENT = "  "
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NEEDS_ESCAPE = re.compile('[\\\\"\x00-\x1f\x7f-\x9f\u2028\u2029]')
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "compare": 4, "+": 5, "-": 5, "*": 6, "/": 6, "%": 6}
_UNARY, _ATOM = 7, 8

Node: TypeAlias = (
    ast.Workflow
    | ast.WorkflowItem
    | ast.StateItem
    | ast.FinalItem
    | ast.ParallelItem
    | ast.SagaItem
    | ast.ApprovalItem
    | ast.CheckpointItem
    | ast.Field
    | ast.EventDecl
    | ast.Requirement
    | ast.Rename
    | ast.Action
)
"""Anything the printer lays out as one item (a line, or a block of lines)."""

Layout: TypeAlias = str | tuple[str, Sequence[Node]]
"""One line of text, or a block: its header and the items inside its braces."""


@dataclass(frozen=True, slots=True)
class FormatResult:
    """What formatting one source gives: the text (None on errors) and the parser's findings."""

    text: str | None
    diagnostics: tuple[Diagnostic, ...]


def format_text(source: SourceText) -> FormatResult:
    """Parse and format one source, so `statewright fmt` can rewrite or check a file."""
    result = parse(source)
    if result.workflow is None or has_errors(result.diagnostics):
        return FormatResult(None, result.diagnostics)
    return FormatResult(format_workflow(result.workflow), result.diagnostics)


def format_workflow(workflow: ast.Workflow) -> str:
    """Return the canonical text of `workflow`, comments included, so every file reads alike."""
    printer = _Printer(workflow.comments)
    printer.item(workflow, 0, None)
    printer.place(printer.take(None), workflow.span.end_line, 0)
    return "\n".join(printer.lines) + "\n"


def format_expr(expr: ast.Expr) -> str:
    """Return a guard expression with the fewest parentheses that re-parse to the same tree."""
    return _render(expr)[0]


def format_string(value: str) -> str:
    """Return `value` as a quoted string literal that re-parses to exactly `value`."""
    return '"' + _NEEDS_ESCAPE.sub(_escape, value) + '"'


def format_decimal(value: Decimal) -> str:
    """Return a decimal in plain notation, always with a point, so it re-lexes as a decimal."""
    text = format(value, "f")
    return text if "." in text else text + ".0"


# --------------------------------------------------------------------------- comments and lines


class _Printer:
    """Collects output lines, placing each comment as its source position dictates."""

    def __init__(self, comments: Sequence[ast.Comment]) -> None:
        self.lines: list[str] = []
        self._comments = sorted(comments, key=lambda c: c.span.offset)
        self._next = 0

    def take(self, before: int | None) -> list[ast.Comment]:
        """Return the unprinted comments that start before offset `before` (all when None)."""
        start = self._next
        while self._next < len(self._comments) and (
            before is None or self._comments[self._next].span.offset < before
        ):
            self._next += 1
        return self._comments[start : self._next]

    def place(
        self, comments: list[ast.Comment], prev_line: int | None, depth: int, blank: bool = False
    ) -> None:
        """Print comments, the first trailing the last line when it sits on source line `prev_line`."""
        if comments and prev_line is not None and self.lines and comments[0].span.line == prev_line:
            self.lines[-1] += _INDENT + comments.pop(0).text.rstrip()
        if blank:
            self.lines.append("")
        for comment in comments:
            self.lines.append(_INDENT * depth + comment.text.rstrip())

    def item(self, node: Node, depth: int, prev_line: int | None, blank: bool = False) -> None:
        """Print one item with the comments before and inside it."""
        self.place(self.take(node.span.offset), prev_line, depth, blank)
        layout = _layout(node)
        if isinstance(layout, str):
            self.place(self.take(node.span.end_offset), None, depth)
            self.lines.extend(_wrap(node, layout, depth))
            return
        header, children = layout
        if _kept_on_one_line(node, children, depth):
            self.place(self.take(node.span.end_offset), None, depth)
            self.lines.append(f"{_INDENT * depth}{header} {{ {_layout(children[0])} }}")
            return
        if isinstance(node, _ARROWS):
            opening = _wrap(dataclasses.replace(node, actions=None), header, depth)
            opening[-1] += " {"
            self.lines.extend(opening)
        else:
            self.lines.append(f"{_INDENT * depth}{header} {{")
        line = node.span.line
        spaced = isinstance(node, ast.Workflow)
        for index, child in enumerate(children):
            apart = index > 0 and (
                (spaced and (_is_state(child) or _is_state(children[index - 1])))
                or self._blank_before(child, line)
            )
            self.item(child, depth + 1, line, apart)
            line = child.span.end_line
        self.place(self.take(node.span.end_offset), line, depth + 1)
        self.lines.append(_INDENT * depth + "}")

    def _blank_before(self, node: Node, prev_line: int) -> bool:
        """True when the author left a blank line before `node` (or before the comments leading it)."""
        first = node.span.line
        for comment in self._comments[self._next :]:
            if comment.span.offset >= node.span.offset:
                break
            if comment.span.line > prev_line:  # not a trailing comment of the line before
                first = comment.span.line
                break
        return first - prev_line >= 2


def _kept_on_one_line(node: Node, children: Sequence[Node], depth: int) -> bool:
    """A block the author wrote on one line with one single-line item stays on one line when it fits.

    `final state Declined { outcome failure "too late" }` reads better than three
    lines; a block written over several lines stays expanded (the author's choice,
    as prettier keeps an object literal's).
    """
    if len(children) != 1 or node.span.line != node.span.end_line or isinstance(node, ast.Workflow):
        return False
    inner = _layout(children[0])
    if not isinstance(inner, str) or isinstance(node, _ARROWS):
        return False
    header = _layout(node)
    assert not isinstance(header, str)
    return len(_INDENT * depth) + len(header[0]) + len(inner) + 4 <= WIDTH


WIDTH = 100
"""Lines longer than this break their clauses onto continuation lines."""
_CONTINUATION = "    "


def _wrap(node: Node, line: str, depth: int) -> list[str]:
    """Return an item's printed lines: one when it fits in WIDTH, else one clause per line."""
    indent = _INDENT * depth
    if len(indent) + len(line) <= WIDTH:
        return [indent + line]
    if isinstance(node, ast.Level):
        header, clauses = _level_parts(node)
        if clauses:
            return [f"{indent}{header} {{", *(indent + _INDENT + c for c in clauses), indent + "}"]
    if isinstance(node, _ARROWS) and node.actions:
        head = _wrap(dataclasses.replace(node, actions=None), _line_of(node), depth)
        head[-1] += " {"
        return [*head, *(indent + _INDENT + _action(a) for a in node.actions), indent + "}"]
    chunks = _chunks(node)
    if chunks is None or len(chunks) < 2:
        return [indent + line]
    return [indent + chunks[0], *(indent + _CONTINUATION + chunk for chunk in chunks[1:])]


def _chunks(node: Node) -> list[str] | None:
    """Split a long one-line item into its head and clause groups (None: it does not split)."""
    match node:
        case ast.Step():
            return _step_parts(node)
        case ast.Retry():
            return _retry_parts(node)
        case ast.Invoke(action=action, key=key, service=service, returns=returns):
            return [
                f"invoke {action}",
                *(c.strip() for c in (_opt_string(key, "key"), _opt(service, "service")) if c),
                *([] if returns is None else [_fields("returns", returns)]),
            ]
        case ast.Transition(actions=None):
            return _transition_parts(node, split_guard=True)
    return None


_ARROWS = (ast.Transition, ast.HardTimeout, ast.SoftTimeout, ast.Outcome, ast.Always)
"""Items that may end in a block of actions."""


def _line_of(node: ast.Transition | ast.HardTimeout | ast.SoftTimeout | ast.Outcome | ast.Always) -> str:
    """The one-line text of a timer, transition, outcome or choice without its actions."""
    match node:
        case ast.Transition():
            return _transition(node)
        case ast.Outcome(kind=kind, target=target):
            return f"{kind}{_guard(node.guard, node.is_else)} -> {target}"
        case ast.Always(target=target):
            return f"always{_guard(node.guard, node.is_else)} -> {target}"
        case ast.HardTimeout(duration_ms=millis, target=target):
            return f"timeout {format_duration(millis)} -> {target}"
        case ast.SoftTimeout(duration_ms=millis, message=message):
            return f"warn after {format_duration(millis)}{_opt_string(message)}"


_STATES = (
    ast.State,
    ast.FinalState,
    ast.ParallelState,
    ast.SagaState,
    ast.ApprovalState,
    ast.CheckpointState,
)


def _is_state(node: Node) -> bool:
    return isinstance(node, _STATES)


# --------------------------------------------------------------------------- items


def _layout(node: Node) -> Layout:
    """Return how one item prints: a single line, or a header with the items of its block."""
    match node:
        case ast.Workflow(name=name, items=items):
            return _braced(f"workflow {name}", items)
        case ast.State(name=name, items=items) | ast.FinalState(name=name, items=items):
            head = f"{_initial(node)}{'final ' if isinstance(node, ast.FinalState) else ''}state {name}"
            return (head, items) if items else head
        case ast.ParallelState() | ast.SagaState() | ast.ApprovalState() | ast.CheckpointState():
            return _braced(f"{_initial(node)}{_KEYWORDS[type(node)]} {node.name}", node.items)
        case ast.Region(name=name, items=items):
            return _braced(f"region {name}", items)
        case ast.Context(fields=fields):
            return _braced("context", fields)
        case ast.Events(events=events):
            return _braced("events", events)
        case ast.Requirements(items=items):
            return _braced("requirements", items)
        case ast.Migrate(renames=renames):
            return _braced("migrate", renames)
        case ast.Entry(actions=actions) | ast.Exit(actions=actions):
            keyword = "entry" if isinstance(node, ast.Entry) else "exit"
            return f"{keyword} {_action(actions[0])}" if len(actions) == 1 else _braced(keyword, actions)
        case ast.Transition():
            return _with_actions(_transition(node), node.actions)
        case ast.HardTimeout(duration_ms=millis, target=target, actions=actions):
            return _with_actions(f"timeout {format_duration(millis)} -> {target}", actions)
        case ast.SoftTimeout(duration_ms=millis, message=message, actions=actions):
            return _with_actions(f"warn after {format_duration(millis)}{_opt_string(message)}", actions)
        case ast.Outcome(actions=actions) | ast.Always(actions=actions):
            return _with_actions(_line_of(node), actions)
        case _:
            return _line(node)


_KEYWORDS: dict[type, str] = {
    ast.ParallelState: "parallel",
    ast.SagaState: "saga",
    ast.ApprovalState: "approval",
    ast.CheckpointState: "checkpoint",
}


def _line(node: Node) -> str:
    """Return the one-line text of an item that never holds a block of items."""
    match node:
        case ast.Version(value=value):
            return f"version {value}"
        case ast.Doc(text=text):
            return f"doc {format_string(text)}"
        case ast.ScopeDecl(scope=scope):
            return f"scope {format_string(scope)}"
        case ast.Invariant(expr=expr):
            return f"invariant {format_expr(expr)}"
        case ast.Field():
            return _field(node)
        case ast.EventDecl(name=name, doc=doc, payload=payload):
            fields = "" if payload is None else "(" + ", ".join(map(_field, payload)) + ")"
            return name + fields + _opt_string(doc)
        case ast.DoAction() | ast.SetAction() | ast.EmitAction():
            return _action(node)
        case ast.Reject(event=event, reason=reason):
            return f"reject {event}{_opt_string(reason)}"
        case ast.Ignore(event=event):
            return f"ignore {event}"
        case ast.Invoke(action=action, key=key, service=service, returns=returns):
            text = f"invoke {action}{_opt_string(key, 'key')}{_opt(service, 'service')}"
            return text + ("" if returns is None else " " + _fields("returns", returns))
        case ast.Retry():
            return _retry(node)
        case ast.Heartbeat(duration_ms=millis):
            return f"heartbeat {format_duration(millis)}"
        case ast.FinalOutcome(kind=kind, reason=reason):
            return f"outcome {kind}{_opt_string(reason)}"
        case ast.Step():
            return _step(node)
        case ast.Level():
            return _level(node)
        case ast.Routing(kind=kind):
            return f"routing {kind}"
        case ast.Delegation(allowed=allowed):
            return f"delegation {'allowed' if allowed else 'forbidden'}"
        case ast.Prompt(text=text):
            return f"prompt {format_string(text)}"
        case ast.Assignee(approver=approver):
            return f"assignee {_approver(approver)}"
        case ast.Requirement():
            return f"{node.key}: {_requirement_value(node)}"
        case ast.Rename(old=old, new=new):
            return f"{old} -> {new}"
    raise TypeError(f"cannot format {type(node).__name__}")


def _requirement_value(node: ast.Requirement) -> str:
    """A requirement's value as canonically written: `90d`, `100/s`, `machine_loss`."""
    match node.kind:
        case "duration":
            return format_duration(node.amount or 0)
        case "rate":
            return f"{node.amount}/{node.unit}"
        case "number":
            return str(node.amount)
    return node.word or ""


def _field(node: ast.Field) -> str:
    text = f"{node.name}: {_type(node.type)}"
    return text if node.default is None else f"{text} = {format_expr(node.default)}"


def _fields(keyword: str, fields: tuple[ast.Field, ...]) -> str:
    """`returns { a: int, b: string }` on one line (`returns {}` when empty)."""
    return f"{keyword} {{ {', '.join(map(_field, fields))} }}" if fields else f"{keyword} {{}}"


def _inline(actions: tuple[ast.Action, ...]) -> str:
    """A block of actions on one line: `{ set a = 1  do b }` (`{}` when empty)."""
    return "{ " + "  ".join(map(_action, actions)) + " }" if actions else "{}"


def _guard(guard: ast.Expr | None, is_else: bool) -> str:
    if is_else:
        return " else"
    return "" if guard is None else f" when {format_expr(guard)}"


def _braced(header: str, items: Sequence[Node]) -> Layout:
    return (header, items) if items else header + " {}"


def _with_actions(header: str, actions: tuple[ast.Action, ...] | None) -> Layout:
    if actions is None:
        return header
    if len(actions) == 1:
        return f"{header} {{ {_action(actions[0])} }}"
    return _braced(header, actions)


def _initial(node: ast.StateDecl) -> str:
    return "initial " if node.initial else ""


def _opt(value: str | None, keyword: str) -> str:
    return "" if value is None else f" {keyword} {value}"


def _opt_string(value: str | None, keyword: str = "") -> str:
    if value is None:
        return ""
    return f" {keyword} {format_string(value)}" if keyword else f" {format_string(value)}"


def _action(action: ast.Action) -> str:
    match action:
        case ast.DoAction(name=name, key=key):
            return f"do {name}{_opt_string(key, 'key')}"
        case ast.SetAction(target=target, value=value):
            return f"set {target} = {format_expr(value)}"
        case ast.EmitAction(event=event):
            return f"emit {event}"


def _transition(node: ast.Transition) -> str:
    return " ".join(_transition_parts(node))


def _transition_parts(node: ast.Transition, split_guard: bool = False) -> list[str]:
    """A transition's head up to its target, then its governance clauses.

    With `split_guard`, a guard that is a chain of `and`/`or` puts each operand
    on its own part (`when a`, `and b`, ..., `-> T`), so long guards can wrap.
    """
    head = f"on {node.event}" if node.error is None else f"on error {node.error}"
    guard = node.guard
    if split_guard and isinstance(guard, ast.BoolOp):
        level = _PRECEDENCE[guard.op]
        operands = [_operand(o, level + 1) for o in guard.operands]
        parts = [head, f"when {operands[0]}", *(f"{guard.op} {o}" for o in operands[1:]), f"-> {node.target}"]
    else:
        if node.is_else:
            head += " else"
        elif guard is not None:
            head += f" when {format_expr(guard)}"
        parts = [f"{head} -> {node.target}"]
    if node.requires:
        parts.append("requires " + ", ".join(map(format_string, node.requires)))
    if node.scope is not None:
        parts.append(f"scope {format_string(node.scope)}")
    if node.evidence:
        parts.append("evidence " + ", ".join(node.evidence))
    return parts


def _retry(node: ast.Retry) -> str:
    return " ".join(_retry_parts(node))


def _retry_parts(node: ast.Retry) -> list[str]:
    parts = ["retry " + ("unlimited" if node.attempts is None else str(node.attempts))]
    if node.backoff is not None:
        backoff = node.backoff
        text = f"backoff {backoff.kind} {format_duration(backoff.base_ms)}"
        if backoff.cap_ms is not None:
            text += f"..{format_duration(backoff.cap_ms)}"
        if backoff.factor is not None:
            text += f" factor {format(backoff.factor, 'f')}"  # `factor` takes whole numbers too
        parts.append(text)
    if node.jitter is not None:
        parts.append(f"jitter {node.jitter}")
    if node.retry_on:
        parts.append("retry_on " + ", ".join(node.retry_on))
    if node.dead_letter is not None:
        text = f"dead_letter -> {node.dead_letter}"
        if node.dead_letter_actions is not None:
            text += " " + _inline(node.dead_letter_actions)
        parts.append(text)
    return parts


def _step(node: ast.Step) -> str:
    return " ".join(_step_parts(node))


def _step_parts(node: ast.Step) -> list[str]:
    """A step's head (action and key), then its compensation, then its other clauses, then retry."""
    parts = [f"step {node.action}{_opt_string(node.key, 'key')}"]
    undo = _opt(node.compensate, "compensate") + _opt_string(node.compensate_key, "compensate_key")
    if node.no_compensation is not None:
        undo += " no_compensation" + _opt_string(node.no_compensation or None)
    if node.pivot:
        undo += " pivot"
    if undo:
        parts.append(undo.strip())
    rest = _opt(node.service, "service")
    if node.timeout_ms is not None:
        rest += f" timeout {format_duration(node.timeout_ms)}"
    if rest:
        parts.append(rest.strip())
    if node.retry is not None:
        parts.append(_retry(node.retry))
    if node.returns is not None:
        parts.append(_fields("returns", node.returns))
    if node.then is not None:
        parts.append("then " + _inline(node.then))
    return parts


def _level(node: ast.Level) -> str:
    header, clauses = _level_parts(node)
    return f"{header} {{ {' '.join(clauses)} }}" if clauses else header + " {}"


def _level_parts(node: ast.Level) -> tuple[str, list[str]]:
    header = f"level {node.number}"
    if node.condition is not None:
        header += f" when {format_expr(node.condition)}"
    clauses: list[str] = []
    if node.approvers:
        clauses.append("approvers " + ", ".join(map(_approver, node.approvers)))
    if node.quorum_all or node.quorum is not None:
        clauses.append(f"quorum {'all' if node.quorum_all else node.quorum}")
    if node.timeout_ms is not None:
        clauses.append(f"timeout {format_duration(node.timeout_ms)}")
    if node.escalate_level is not None:
        clauses.append(f"escalate -> level {node.escalate_level}")
    elif node.escalate_state is not None:
        clauses.append(f"escalate -> {node.escalate_state}")
    return header, clauses


def _approver(approver: ast.Approver) -> str:
    bare = _NAME.fullmatch(approver.name) is not None
    return f"{approver.kind}:{approver.name if bare else format_string(approver.name)}"


def _type(spec: ast.TypeSpec) -> str:
    match spec:
        case ast.IntType(min=low, max=high):
            return "int" + _bounds(low, high)
        case ast.DecimalType(min=low, max=high):
            return "decimal" + _bounds(low, high)
        case ast.BoolType():
            return "bool"
        case ast.StringType():
            return "string"
        case ast.EnumType(members=members):
            return "enum { " + ", ".join(members) + " }"


def _bounds(low: int | Decimal | None, high: int | Decimal | None) -> str:
    if low is not None and high is not None:
        return f" {_number(low)}..{_number(high)}"
    if low is not None:
        return f" >= {_number(low)}"
    return "" if high is None else f" <= {_number(high)}"


def _number(value: int | Decimal) -> str:
    return format_decimal(value) if isinstance(value, Decimal) else str(value)


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    return _ESCAPES.get(char) or f"\\u{{{ord(char):x}}}"


# --------------------------------------------------------------------------- expressions


def _render(expr: ast.Expr) -> tuple[str, int]:
    """Return an expression's text and the precedence of its outermost operator."""
    match expr:
        case ast.BoolOp(op=op, operands=operands):
            level = _PRECEDENCE[op]
            return f" {op} ".join(_operand(o, level + 1) for o in operands), level
        case ast.Not(operand=operand):
            return "not " + _operand(operand, _PRECEDENCE["not"]), _PRECEDENCE["not"]
        case ast.Compare(op=op, left=left, right=right):
            return f"{_operand(left, 5)} {op} {_operand(right, 5)}", _PRECEDENCE["compare"]
        case ast.InSet(operand=operand, members=members, negated=negated):
            listed = ", ".join(format_expr(m) for m in members)
            keyword = "not in" if negated else "in"
            return f"{_operand(operand, 5)} {keyword} {{ {listed} }}", _PRECEDENCE["compare"]
        case ast.Binary(op=op, left=left, right=right):
            level = _PRECEDENCE[op]
            return f"{_operand(left, level)} {op} {_operand(right, level + 1)}", level
        case ast.Negate(operand=operand):
            text = _operand(operand, _UNARY)
            return ("- " if text.startswith("-") else "-") + text, _UNARY
        case ast.IntLit(value=value):
            return str(value), _ATOM
        case ast.DecimalLit(value=value):
            return format_decimal(value), _ATOM
        case ast.StringLit(value=value):
            return format_string(value), _ATOM
        case ast.BoolLit(value=value):
            return ("true" if value else "false"), _ATOM
        case ast.NameRef(name=name) | ast.MemberRef(name=name):
            return name, _ATOM


def _operand(expr: ast.Expr, needed: int) -> str:
    """Return an operand's text, in parentheses when it binds looser than its position needs."""
    text, level = _render(expr)
    return f"({text})" if level < needed else text
