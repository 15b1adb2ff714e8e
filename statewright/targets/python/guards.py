"""Guards as the generated module's functions: typed reads of the context, then the guard's Python text.

The expression itself is `semantics.python_text` (the language's one
definition, `semantics.interpret`, over an algebra of Python source); this
module adds what is specific to the module: one typed local per field the guard
reads (`as_int(c["amount"])`), `return` laid out as ruff lays it out, and the
helpers the text uses, so the module imports only those.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass

from statewright import ir
from statewright.semantics.interpret import fields_of, interpret
from statewright.semantics.python_text import Code, PythonText, atom
from statewright.targets.python.names import attribute_name
from statewright.targets.python_literals import string

PYTHON = PythonText(string=string)
"""The module's Python text: strings as ruff writes them, `quotient` and `math.floor` in scope."""

_READERS = {
    "int": "as_int",
    "decimal": "as_fraction",
    "bool": "as_bool",
    "string": "as_str",
    "enum": "as_str",
}


@dataclass(frozen=True, slots=True)
class GuardBody:
    """A guard function's body: one typed local per field it reads, then the expression over them."""

    bindings: tuple[str, ...]
    expression: Code


_RESERVED_LOCALS = frozenset({"c", "Fraction", "math", "quotient", *_READERS.values()})


def guard_body(expr: ir.Expr, fields: tuple[ir.ContextField, ...], context: str = "c") -> GuardBody:
    """Bind each field the guard reads to a local of its type, and compute the guard over the locals.

    `fields` are the context's and the transition's inputs (`event.amount`, read as `c["event.amount"]`:
    the runtime evaluates a guard on the context with the step's inputs beside it).
    """
    used = fields_of(expr)
    taken = set(_RESERVED_LOCALS)
    bindings: list[str] = []
    env: dict[str, Code] = {}
    for field in fields:
        if field.name not in used:
            continue
        local = attribute_name(field.name.replace(".", "_"))  # an input `event.amount`: `event_amount`
        while local in taken or keyword.iskeyword(local):
            local += "_"
        taken.add(local)
        bindings.append(f"{local} = {_READERS[field.type.name]}({context}[{string(field.name)}])")
        env[field.name] = atom(local)
    return GuardBody(tuple(bindings), interpret(expr, PYTHON, env))


def return_lines(code: Code, indent: str, limit: int) -> tuple[str, ...]:
    """`return <expr>` laid out as ruff lays it out: one line, or one chain operand a line.

    Nested chains are split the same way inside their parentheses. An expression
    ruff would split elsewhere is fenced with `# fmt: off` / `# fmt: on`.
    """
    one = f"{indent}return {code.text}"
    if len(one) <= limit:
        return (one,)
    inner = indent + "    "
    lines = _split(code, inner, limit) if code.chain is not None else None
    if lines is None:
        return (f"{indent}# fmt: off", one, f"{indent}# fmt: on")
    statement = (f"{indent}return (", *lines, f"{indent})")
    assert code.chain is not None
    if len(code.chain[1]) == 2:
        # With a single operator ruff drops the parentheses and splits inside an
        # operand's brackets instead; keep the one-operand-a-line layout as written.
        return (f"{indent}# fmt: off", *statement, f"{indent}# fmt: on")
    return statement


def _split(code: Code, indent: str, limit: int) -> list[str] | None:
    """A chain one operand a line (operators leading), or None when an operand cannot be made to fit."""
    assert code.chain is not None
    op, parts = code.chain
    lines: list[str] = []
    for number, (part, wrapped) in enumerate(parts):
        lead = "" if number == 0 else f"{op} "
        text = f"({part.text})" if wrapped else part.text
        if len(indent) + len(lead) + len(text) <= limit:
            lines.append(f"{indent}{lead}{text}")
            continue
        opening, inner = (f"{lead}(", part) if wrapped else (f"{lead}not (", part.negated)
        if inner is None or inner.chain is None:
            return None
        nested = _split(inner, indent + "    ", limit)
        if nested is None:
            return None
        lines += [f"{indent}{opening}", *nested, f"{indent})"]
    return lines


def reads(source: str) -> frozenset[str]:
    """The helpers and modules a guard's source uses (so the module imports only those)."""
    used = {name for name in {*_READERS.values(), "quotient"} if f"{name}(" in source}
    if "Fraction(" in source:
        used.add("Fraction")
    if "math.floor(" in source:
        used.add("math")
    return frozenset(used)
