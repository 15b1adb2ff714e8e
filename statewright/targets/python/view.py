"""What the module template shows, computed from the IR: names, types, guards and where each came from.

`module_view` is a pure function of the machine. Every piece of spec text it
passes on is already rendered safe (`literals`), every name is unique and
valid (`names`), and everything is in IR order, so the template only lays
things out and equal IR gives byte-identical modules.
"""

from __future__ import annotations

import builtins
import keyword
from dataclasses import dataclass
from pathlib import PurePath

from statewright import __version__, ir
from statewright.ir import embedded
from statewright.ir.embedded import TransitionKey
from statewright.ir.text import render
from statewright.semantics.inputs import all_inputs
from statewright.source import Span
from statewright.targets import python_literals as literals
from statewright.targets.python import guards, names

LINE_LENGTH = 100
"""The generated module is laid out as `ruff format --line-length 100` lays it out."""
TABLE_FORM_STATES = 2000
"""From this many states on, the module is table-driven: guards are interpreted and enums built at
import, because compiling one function per guard and one member per state gets slow (10k states: 0.8 s)."""

_MOVES_SHOWN = 12
_GUARD_NAME_LENGTH = 56
"""Longest guard function name (before a `_2` to make it unique): its `def` line always fits."""
"""Transitions an event method's docstring lists before it summarises the rest."""
_PY_TYPES = {"int": "int", "decimal": "Decimal", "bool": "bool", "string": "str"}
_READERS = {"int": "as_int", "decimal": "as_decimal", "bool": "as_bool", "string": "as_str", "enum": "as_str"}
_IMPORTED = frozenset(
    {
        "annotations",
        "math",
        "Call",
        "Callable",
        "Decimal",
        "Fraction",
        "Handler",
        "InstanceHandle",
        "Literal",
        "Machine",
        "Mapping",
        "Sequence",
        "StrEnum",
        "TypeAlias",
        "TypedDict",
        "Value",
        "Workflow",
        "cast",
        "dataclass",
        "load_definition",
        "sends",
        "quotient",
        "system_clock",
        *_READERS.values(),
        "as_fraction",
        "State",
        "Event",
        "Instance",
        "DEFINITION",
        "GUARDS",
        "_IR",
    }
)
"""Every module-level name the template uses (imports and fixed names)."""
_LOCALS = frozenset(
    {
        "self",
        "cls",
        "super",
        "handlers",
        "clock",
        "seed",
        "instance_id",
        "actor",
        "permissions",
        "scope",
        "key",
        "delegate_to",
        "payload",
        "data",
        "values",
        "created",
        "to_values",
        "from_values",
    }
)
"""Parameters, locals and members of the generated classes that a field's name must not take."""
_RESERVED = _IMPORTED | _LOCALS | frozenset(dir(builtins))
"""Names no field attribute or type alias may take: a field is a parameter of the generated
functions and an attribute of the context class, so it must shadow none of these."""


@dataclass(frozen=True, slots=True)
class Member:
    """An enum member: its Python name, its value (the DSL name) and its docstring."""

    name: str
    value: str
    doc: str


@dataclass(frozen=True, slots=True)
class Field:
    """A context field as a dataclass attribute and a keyword parameter."""

    name: str
    attribute: str
    annotation: str
    default: str | None
    doc: str
    reader: str

    @property
    def declaration(self) -> str:
        """`name: type` or `name: type = default`."""
        suffix = "" if self.default is None else f" = {self.default}"
        return f"{self.attribute}: {self.annotation}{suffix}"


@dataclass(frozen=True, slots=True)
class Alias:
    """A `Literal` type alias for an enum field's members."""

    name: str
    members: tuple[str, ...]
    doc: str

    @property
    def lines(self) -> tuple[str, ...]:
        """The alias's definition, exploded one member a line when it does not fit."""
        one = f"{self.name}: TypeAlias = Literal[{', '.join(self.members)}]"
        if len(one) <= LINE_LENGTH:
            return (one,)
        return (f"{self.name}: TypeAlias = Literal[", *(f"    {m}," for m in self.members), "]")


@dataclass(frozen=True, slots=True)
class Guard:
    """A compiled guard function, named and keyed by its transition's stable key (never its index)."""

    key: TransitionKey
    function: str
    doc: str
    bindings: tuple[str, ...]
    statement: tuple[str, ...]

    @property
    def body(self) -> str:
        """All the code of the function body (to find what it uses)."""
        return "\n".join((*self.bindings, *self.statement))

    @property
    def entry(self) -> tuple[str, ...]:
        """The guard's entry in `GUARDS`, split as ruff splits a key too long for one line."""
        parts = (literals.string(self.key[0]), literals.string(self.key[1]), str(self.key[2]))
        one = f"    ({', '.join(parts)}): {self.function},"
        if len(one) <= LINE_LENGTH:
            return (one,)
        return ("    (", *(f"        {part}," for part in parts), f"    ): {self.function},")


@dataclass(frozen=True, slots=True)
class Param:
    """A payload or result field as a keyword parameter (or a TypedDict key): its DSL name and type."""

    name: str
    parameter: str
    annotation: str
    default: str | None

    @property
    def declaration(self) -> str:
        """`amount: Decimal` or `note: str = ""`."""
        suffix = "" if self.default is None else f" = {self.default}"
        return f"{self.parameter}: {self.annotation}{suffix}"


@dataclass(frozen=True, slots=True)
class EventMethod:
    """One event's method on the machine and the instance handle (`params`: its payload, keyword-only)."""

    event: str
    method: str
    member: str
    doc: tuple[str, ...]
    delegates: bool
    params: tuple[Param, ...] = ()

    @property
    def data(self) -> str:
        """The payload mapping the method sends: `{"amount": amount, "note": note}`."""
        return "{" + ", ".join(f"{literals.string(p.name)}: {p.parameter}" for p in self.params) + "}"


@dataclass(frozen=True, slots=True)
class ResultType:
    """The TypedDict an invoked action's handler returns, and the handler's type alias."""

    action: str
    name: str
    handler: str
    doc: str
    keys: tuple[Param, ...]

    @property
    def lines(self) -> tuple[str, ...]:
        """The TypedDict and its docstring, then the blank lines before what follows.

        A class, or `TypedDict("Name", {...})` for keys a class body cannot hold (a
        keyword) or would shadow a name its annotations use (`str`).
        """
        if all(k.name.isidentifier() and k.name not in _RESERVED for k in self.keys) and not any(
            keyword.iskeyword(k.name) for k in self.keys
        ):
            body = [f"    {k.name}: {k.annotation}" for k in self.keys]
            return (f"class {self.name}(TypedDict):", f'    """{self.doc}"""', "", *body, "", "")
        keys = [f"{literals.string(k.name)}: {k.annotation}" for k in self.keys]
        # ruff's UP013 asks for a class whenever the keys are identifiers, shadowing or not
        convertible = all(k.name.isidentifier() and not keyword.iskeyword(k.name) for k in self.keys)
        noqa = "  # noqa: UP013" if convertible else ""
        one = f'{self.name} = TypedDict("{self.name}", {{{", ".join(keys)}}}){noqa}'
        if len(one) <= LINE_LENGTH:
            lines: tuple[str, ...] = (one,)
        else:
            opening = f"{self.name} = TypedDict({noqa}"
            lines = (opening, f'    "{self.name}",', "    {", *(f"        {k}," for k in keys), "    },", ")")
        return (*lines, f'"""{self.doc}"""')

    @property
    def handler_lines(self) -> tuple[str, ...]:
        """`ChargeHandler: TypeAlias = Callable[[Call], ChargeResult]`, fenced from ruff when too long."""
        one = f"{self.handler}: TypeAlias = Callable[[Call], {self.name}]"
        return (one,) if len(one) <= LINE_LENGTH else ("# fmt: off", one, "# fmt: on")


@dataclass(frozen=True, slots=True)
class ModuleView:
    """Everything the module template needs."""

    header: str
    prefix: str
    table_form: bool
    states: tuple[Member, ...]
    events: tuple[Member, ...]
    fields: tuple[Field, ...]
    aliases: tuple[Alias, ...]
    guards: tuple[Guard, ...]
    methods: tuple[EventMethod, ...]
    results: tuple[ResultType, ...]
    ir_text: str
    imports_math: bool
    imports_fraction: bool
    readers: tuple[str, ...]
    workflow: str

    @property
    def typing_imports(self) -> tuple[str, ...]:
        """The names the module imports from `typing`."""
        names = {"Literal", "TypeAlias", "cast"} if self.aliases else set()
        if self.table_form:
            names.add("TypeAlias")
        if self.results:
            names |= {"TypeAlias", "TypedDict"}
        typed = [p.annotation for m in self.methods for p in m.params]
        typed += [k.annotation for r in self.results for k in r.keys]
        if any(annotation.startswith("Literal[") for annotation in typed):
            names.add("Literal")
        return tuple(sorted(names, key=lambda n: (n != "Literal", n != "TypeAlias", n)))

    @property
    def exports(self) -> tuple[str, ...]:
        """`__all__`, sorted as ruff sorts it (RUF022)."""
        prefix = self.prefix
        found = [
            "DEFINITION",
            "Event",
            "State",
            prefix,
            *(f"{prefix}{s}" for s in ("Context", "Instance", "Machine")),
        ]
        found += [a.name for a in self.aliases]
        found += [name for r in self.results for name in (r.name, r.handler)]
        return tuple(sorted(found, key=lambda n: (not n.isupper(), n)))

    @property
    def uses_sends(self) -> bool:
        """Whether an event method is a `@sends` stub (an event without a payload)."""
        return any(not m.params for m in self.methods)

    @property
    def uses_decimal(self) -> bool:
        """Whether a field, a payload or a result is a decimal (so `Decimal` is imported)."""
        annotations = [f.annotation for f in self.fields]
        annotations += [p.annotation for m in self.methods for p in m.params]
        annotations += [k.annotation for r in self.results for k in r.keys]
        return "Decimal" in annotations


def module_view(machine: ir.Machine, source_name: str, form: str = "auto") -> ModuleView:
    """Compute the view of `machine`'s module; `form` is `code`, `table` or `auto` (by size)."""
    source = literals.file_name(PurePath(source_name or machine.source or f"{machine.name}.wf").name)
    table_form = form == "table" or (form == "auto" and len(machine.states) >= TABLE_FORM_STATES)
    prefix = names.class_prefix(machine.name)
    if prefix in _RESERVED or prefix.startswith("_") or prefix.endswith(("Context", "Machine", "Instance")):
        prefix = f"W{prefix}Workflow" if prefix.startswith("_") else f"{prefix}Workflow"
    compiled = () if table_form else _guards(machine, source)
    fields, aliases = _fields(machine, source, prefix)
    module_names = {prefix, *(f"{prefix}{s}" for s in ("Context", "Machine", "Instance"))}
    module_names |= {a.name for a in aliases}
    used = set().union(*(guards.reads(g.body) for g in compiled)) if compiled else set()
    readers = {f.reader for f in fields} | {
        name for name in used if name.startswith("as_") or name == "quotient"
    }
    return ModuleView(
        header=_header(machine, source, prefix),
        prefix=prefix,
        table_form=table_form,
        states=() if table_form else _states(machine, source),
        events=() if table_form else _events(machine, source),
        fields=fields,
        aliases=aliases,
        guards=compiled,
        methods=_methods(machine, source),
        results=_results(machine, source, frozenset(module_names)),
        ir_text=embedded.dump(machine),
        imports_math="math" in used,
        imports_fraction="Fraction" in used,
        readers=tuple(sorted(readers)),
        workflow=machine.name,
    )


def where(source: str, span: Span) -> str:
    """`file.wf:LINE` of a span (just the file when the element has no position)."""
    return f"{source}:{span.line}" if span.line else source


def _header(machine: ir.Machine, source: str, prefix: str) -> str:
    lines = [
        f"{machine.name}: generated by statewright {__version__} from {source}; do not edit.",
        "",
    ]
    if machine.doc:
        lines += [machine.doc, ""]
    lines += [
        f"Regenerate with `statewright build {source} --target python`. Two ways to run it:",
        "",
        f"- `{prefix}Machine(...)`: one in-memory instance; fast, not durable, no audit log;",
        f"- `{prefix}(store).start(...)`: durable instances on a store (a path opens SQLite),",
        "  each step one audited transaction.",
    ]
    return literals.docstring("\n".join(lines))


def _states(machine: ir.Machine, source: str) -> tuple[Member, ...]:
    namer = names.Namer()
    members: list[Member] = []
    for state in machine.states:
        traits = [state.kind if state.role == "state" else f"{state.kind}, {state.role.replace('_', ' ')}"]
        if state.name == machine.initial:
            traits.insert(0, "initial")
        if state.outcome:
            traits.append(f"outcome {state.outcome}")
        text = f"{', '.join(traits)} ({where(source, state.span)})"
        if state.doc:
            text += f". {state.doc}"
        elif state.outcome_reason:
            text += f": {state.outcome_reason}"
        members.append(Member(namer.claim(names.constant_name(state.name)), state.name, _oneline(text)))
    return tuple(members)


def _events(machine: ir.Machine, source: str) -> tuple[Member, ...]:
    namer = names.Namer()
    members = []
    for event in machine.events:
        if event.kind == "external":
            text = f"declared at {where(source, event.span)}"
        else:
            article = "an" if event.kind == "approval" else "a"
            text = f"{article} {event.kind} decision, implicit in the spec's {event.kind} states"
        if event.doc:
            text += f": {event.doc}"
        members.append(Member(namer.claim(names.constant_name(event.name)), event.name, _oneline(text)))
    return tuple(members)


def _fields(machine: ir.Machine, source: str, prefix: str) -> tuple[tuple[Field, ...], tuple[Alias, ...]]:
    # One namespace for the field attributes and the enum aliases: both are names in the same
    # scopes (parameters annotated with the aliases, class attributes beside them).
    generated = {prefix, *(f"{prefix}{s}" for s in ("Context", "Machine", "Instance"))}
    namer = names.Namer(_RESERVED | generated)
    found = []
    aliases = []
    for field in machine.context:
        kind = field.type.name
        if kind == "enum":
            annotation = namer.claim(names.class_prefix(names.camel(field.name)))
            members = tuple(literals.string(m) for m in field.type.members)
            aliases.append(Alias(annotation, members, _oneline(f"The members of `{field.name}`.")))
        else:
            annotation = _PY_TYPES[kind]
        default = None if field.default is None else literals.literal(field.default)
        doc = _oneline(f"{field.type.describe()} ({where(source, field.span)})")
        found.append(
            Field(
                name=field.name,
                attribute=namer.claim(names.attribute_name(field.name)),
                annotation=annotation,
                default=default,
                doc=doc,
                reader=_READERS[kind],
            )
        )
    required = [f for f in found if f.default is None]
    optional = [f for f in found if f.default is not None]
    return (*required, *optional), tuple(aliases)


def _guards(machine: ir.Machine, source: str) -> tuple[Guard, ...]:
    """One function per guard, named from its transition's source, trigger and position there.

    Names and `GUARDS` keys come from `embedded.transition_keys`, not the
    transition's index: adding a transition elsewhere renames and renumbers
    nothing, so the module's diff stays where the spec changed.
    """
    namer = names.Namer()
    found = []
    inputs = all_inputs(machine)
    keyed = zip(embedded.transition_keys(machine), machine.transitions, inputs, strict=True)
    for key, transition, read in keyed:
        if transition.guard is None:
            continue
        body = guards.guard_body(transition.guard, (*machine.context, *read))
        what = transition.event or transition.kind
        doc = _oneline(
            f"`{render(transition.guard)}`: {what} in {transition.source} ({where(source, transition.span)})"
        )
        statement = guards.return_lines(body.expression, "    ", LINE_LENGTH)
        found.append(Guard(key, namer.claim(_guard_name(key)), doc, body.bindings, statement))
    return tuple(found)


def _guard_name(key: TransitionKey) -> str:
    """`_guard_validating_valid_1`: the state, the trigger and the position, shortened to fit a line."""
    state, trigger, position = key
    stem = f"{names.snake(state)}_{names.snake(trigger)}".strip("_")
    room = _GUARD_NAME_LENGTH - len(f"_guard__{position}")
    return f"_guard_{stem[:room].rstrip('_')}_{position}"


def _methods(machine: ir.Machine, source: str) -> tuple[EventMethod, ...]:
    namer = names.Namer(names.MACHINE_API)
    members = names.Namer()
    methods = []
    for event in machine.events:
        moves = []
        for transition in machine.transitions:
            if transition.kind != "event" or transition.event != event.name:
                continue  # a catch's `event` names an error, not an event
            guard = "" if transition.guard is None else f" when {render(transition.guard)}"
            if transition.is_else:
                guard = " else"
            target = transition.target or "(stays)"
            moves.append(
                _oneline(f"{transition.source}{guard} -> {target} ({where(source, transition.span)})")
            )
        refusals = _refusals(machine, event.name)
        if len(moves) > _MOVES_SHOWN:
            moves = [*moves[: _MOVES_SHOWN - 1], f"... and {len(moves) - _MOVES_SHOWN + 1} more transitions"]
        summary = f"Send `{event.name}`" + (f": {event.doc}" if event.doc else ".")
        params = _params(event.payload)
        if params:
            fields = ", ".join(f"{f.name}: {f.type.describe()}" for f in event.payload)
            moves = [_oneline(f"payload: {fields}"), *moves]
        methods.append(
            EventMethod(
                event=event.name,
                method=namer.claim(names.method_name(event.name)),
                member=members.claim(names.constant_name(event.name)),
                doc=(_oneline(summary), *moves, *refusals),
                delegates=event.name == "delegate" and event.kind == "approval",
                params=params,
            )
        )
    return tuple(methods)


def _annotation(field_type: ir.FieldType, room: int) -> str:
    """A payload or result field's Python type: `Decimal`, `str`, `Literal["a", "b"]`.

    An enum whose `Literal` would not fit in `room` characters is typed `str` (ruff would
    split the annotation; the runtime checks the members either way).
    """
    if field_type.name == "enum":
        literal = "Literal[" + ", ".join(literals.string(m) for m in field_type.members) + "]"
        return literal if len(literal) <= room else "str"
    return _PY_TYPES[field_type.name]


def _params(fields: tuple[ir.ContextField, ...]) -> tuple[Param, ...]:
    """Payload fields as keyword-only parameters: required first, then those with defaults.

    A parameter never takes a name the methods already use (`self`, `actor`, `key`, `payload`,
    `data`, ...), a keyword or a builtin: those get a suffix, as context attributes do.
    """
    namer = names.Namer(_RESERVED)
    found = []
    for f in fields:
        parameter = namer.claim(names.attribute_name(f.name))
        default = None if f.default is None else literals.literal(f.default)
        room = LINE_LENGTH - len(f"        {parameter}: ,") - (0 if default is None else len(f" = {default}"))
        found.append(Param(f.name, parameter, _annotation(f.type, room), default))
    return (*[p for p in found if p.default is None], *[p for p in found if p.default is not None])


def _results(machine: ir.Machine, source: str, taken: frozenset[str]) -> tuple[ResultType, ...]:
    """One TypedDict per invoked action that `returns` fields (the first invoke of each action names it)."""
    namer = names.Namer(_RESERVED | taken)
    found: list[ResultType] = []
    seen: dict[tuple[str, tuple[ir.ContextField, ...]], None] = {}
    for state in machine.states:
        invoke = state.invoke
        if invoke is None or not invoke.result:
            continue
        shape = (invoke.action, tuple(replace_span(f) for f in invoke.result))
        if shape in seen:
            continue
        seen[shape] = None
        stem = names.class_prefix(names.camel(invoke.action))
        keys = tuple(
            Param(
                f.name,
                f.name,
                _annotation(f.type, LINE_LENGTH - len(f"        {literals.string(f.name)}: ,")),
                None,
            )
            for f in invoke.result
        )
        doc = _oneline(
            f"What `{invoke.action}` returns ({where(source, invoke.span)}); "
            "a result that does not fit fails the work (ResultInvalid)."
        )
        found.append(
            ResultType(invoke.action, namer.claim(f"{stem}Result"), namer.claim(f"{stem}Handler"), doc, keys)
        )
    return tuple(found)


def replace_span(field: ir.ContextField) -> ir.ContextField:
    """The field without its position (two invokes with the same result fields share one type)."""
    return ir.ContextField(field.name, field.type, field.default)


def _refusals(machine: ir.Machine, event: str) -> list[str]:
    """One line per refusal kind: `refused in A, B, C` (long lists shortened)."""
    lines = []
    for kind, verb in (("reject", "refused"), ("ignore", "ignored")):
        states = [r.state for r in machine.rejects if r.event == event and r.kind == kind]
        if not states:
            continue
        shown = ", ".join(states[:4]) + (f" and {len(states) - 4} more" if len(states) > 4 else "")
        lines.append(_oneline(f"{verb} in {shown}"))
    return lines


def _oneline(text: str) -> str:
    """Spec text on one docstring line, escaped."""
    return literals.comment(text)
