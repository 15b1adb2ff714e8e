"""Path-covering scenarios as Python source for the pytest target, with what each step entered."""

from __future__ import annotations

from dataclasses import dataclass

from statewright import ir
from statewright.targets.python_literals import literal, string
from statewright.testing.coverage import covering_scenarios
from statewright.testing.python_engine import PythonEngine
from statewright.testing.scenario import Send, Step, Timeout, Unsupported, WorkDone

LINE_LENGTH = 100
"""The test file is laid out as `ruff format --line-length 100` lays it out."""


@dataclass(frozen=True, slots=True)
class Case:
    """One path scenario, ready for the template: its name, what it covers, and source lines."""

    name: str
    covers: str
    context: str
    steps: tuple[str, ...]
    steps_inline: bool
    """One step that fits on the `steps=(...)` line (as `ruff format` collapses it)."""
    entered_inline: bool
    entered: tuple[str, ...]
    status: str
    changed: str = ""
    """`changed=(...)` source: the context fields the run changed and their final values (empty: none)."""


def path_cases(machine: ir.Machine) -> list[Case]:
    """Every covering scenario with the observations the Python runtime gives for it."""
    coverage = covering_scenarios(machine)
    engine = PythonEngine()
    cases = []
    for number, scenario in enumerate(coverage.scenarios, 1):
        observed = engine.run(machine, scenario)
        if isinstance(observed, Unsupported):
            continue
        entered = tuple(_tuple([string(s) for s in o.entered]) for o in observed)
        visited = [state for o in observed for state in o.entered]
        cases.append(
            Case(
                f"path_{number:02d}",
                " -> ".join(visited)[:300],
                _context(machine, scenario.context),
                tuple(step_source(step) for step in scenario.steps),
                _fits(12, "steps=(", step_source(scenario.steps[0], 12) if scenario.steps else "", ",),"),
                _fits(8, "entered=(", entered[0] if entered else "", ",),"),
                entered,
                string(observed[-1].status),
                _changed(observed[0].context or (), observed[-1].context or ()),
            )
        )
    return cases


def _changed(start: tuple[tuple[str, ir.Value], ...], end: tuple[tuple[str, ir.Value], ...]) -> str:
    """`changed=(...)`: the fields whose final value differs from the start's (type and value), as source."""
    before = dict(start)
    pairs = [
        f"({string(k)}, {literal(v)})"
        for k, v in end
        if k not in before or type(before[k]) is not type(v) or before[k] != v
    ]
    if not pairs:
        return ""
    return layout(f"changed={_tuple(pairs)}", 8)


def _fits(indent: int, opening: str, item: str, closing: str) -> bool:
    return "\n" not in item and indent + len(opening) + len(item) + len(closing) <= LINE_LENGTH


def _context(machine: ir.Machine, context: tuple[tuple[str, ir.Value], ...]) -> str:
    """The starting values that differ from the defaults (fields without one always), as source."""
    defaults = {f.name: f.default for f in machine.context}
    pairs = [
        f"({string(k)}, {literal(v)})"
        for k, v in context
        if defaults.get(k) is None or literal(defaults[k]) != literal(v)
    ]
    one_line = _tuple(pairs)
    if len(one_line) <= 70:
        return one_line
    inner = "".join(f"\n                {pair}," for pair in pairs)
    return f"({inner}\n            )"


def _tuple(items: list[str]) -> str:
    if not items:
        return "()"
    if len(items) == 1:
        return f"({items[0]},)"
    return "(" + ", ".join(items) + ")"


def step_source(step: Step, indent: int = 16) -> str:
    """A scenario step as the Python expression that builds it (defaults left out).

    A step too long for one line at `indent` is split one argument a line, as
    `ruff format` would lay it out.
    """
    return layout(_step_text(step), indent)


def layout(text: str, indent: int) -> str:
    """A call or tuple expression at `indent`, split one argument a line (recursively) when too long."""
    if indent + len(text) + 1 <= LINE_LENGTH or not text.endswith(")") or "(" not in text:
        return text
    head, _, rest = text.partition("(")
    arguments = _split_arguments(rest[:-1])
    pad = " " * (indent + 4)
    inner = "".join(f"\n{pad}{layout(argument, indent + 4)}," for argument in arguments)
    return f"{head}({inner}\n{' ' * indent})"


def _split_arguments(text: str) -> list[str]:
    """Top-level comma-separated arguments (our own generated text: quotes and brackets balanced).

    A string literal is `string()`'s: double-quoted, or single-quoted when the text holds
    a double quote (as `repr` writes it), so both quote characters open and close one.
    """
    parts, depth, quote, start, escaped = [], 0, "", 0, False
    for index, char in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:index].strip())
            start = index + 1
    parts.append(text[start:].strip())
    return [part for part in parts if part]


def _step_text(step: Step) -> str:
    if isinstance(step, Timeout):
        return f"Timeout({string(step.state)})"
    if isinstance(step, WorkDone):
        error = "" if step.error is None else f", {string(step.error)}"
        result = f", result={_data(step.result)}" if step.result else ""
        message = f", message={string(step.message)}" if step.message else ""
        return f"WorkDone({string(step.state)}{error}{result}{message})"
    return _send(step)


def _data(values: tuple[tuple[str, ir.Value], ...]) -> str:
    """A payload or result as source: `(("amount", Decimal("12.50")),)`, text escaped."""
    return _tuple([f"({string(k)}, {literal(v)})" for k, v in values])


def _send(step: Send) -> str:
    arguments = [string(step.event)]
    if step.actor is not None:
        arguments.append(f"actor={string(step.actor)}")
    if step.permissions:
        arguments.append(f"permissions={_tuple([string(p) for p in step.permissions])}")
    if step.payload:
        pairs = [f"({string(k)}, {string(v)})" for k, v in step.payload]
        arguments.append(f"payload={_tuple(pairs)}")
    if step.delegate_to is not None:
        arguments.append(f"delegate_to={string(step.delegate_to)}")
    if step.data:
        arguments.append(f"data={_data(step.data)}")
    return f"Send({', '.join(arguments)})"
