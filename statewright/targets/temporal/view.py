"""What the Temporal module template shows, from the IR: names, types, settings and where each came from.

`module_view` is a pure function of the machine. Every piece of spec text it
passes on is already rendered safe (`python_literals`), every name is unique,
valid and shadows nothing the module uses (`python_names`), lines are laid out
as `ruff format --line-length 100` lays them out (a line that would not fit is
written exploded, one item a line with a trailing comma, which ruff keeps), and
everything is in IR order, so equal IR gives byte-identical modules.
"""

from __future__ import annotations

import builtins
import keyword
import shlex
from dataclasses import dataclass
from pathlib import PurePath

from statewright import __version__, ir
from statewright.ir import embedded
from statewright.ir.text import format_duration
from statewright.source import Span
from statewright.targets import python_literals as literals
from statewright.targets import python_names as names
from statewright.targets.temporal.checks import SEND_UPDATE
from statewright.targets.temporal.settings import Settings, WorkSettings

LINE_LENGTH = 100
"""The module is laid out as `ruff format --line-length 100` lays it out."""
_PY_TYPES = {"int": "int", "decimal": "Decimal", "bool": "bool", "string": "str"}
_IMPORTED = frozenset(
    {
        "annotations",
        "argparse",
        "asyncio",
        "importlib",
        "Any",
        "Callable",
        "Decimal",
        "Literal",
        "Mapping",
        "Protocol",
        "Sequence",
        "TypedDict",
        "dataclass",
        "field",
        "workflow",
        "Client",
        "load_definition",
        "protocol",
        "define",
        "ActivityCall",
        "ActivitySettings",
        "SendAnswer",
        "SendRequest",
        "Snapshot",
        "StartInput",
        "StatewrightWorkflow",
        "run_statewright_worker",
        "DEFINITION",
        "ACTIVITY_SETTINGS",
        "_IR",
        "activities",
        "run_worker",
        "main",
        "_serve",
    }
)
"""Every module-level name the template uses (imports and fixed names)."""
_CLASS_NAMES = frozenset(
    {
        "run",
        "send",
        "validate_send",
        "snapshot",
        "definition",
        "activity_settings",
        "self",
        "start",
        "request",
        "update",
        "call",
        "implementation",
        "to_request",
        "to_input",
        "seed",
        "actor",
        "permissions",
        "scope",
        "evidence",
        "key",
        "delegate_to",
    }
)
"""Members and parameters of the generated classes that nothing generated may take."""
_RESERVED = _IMPORTED | _CLASS_NAMES | frozenset(dir(builtins)) | frozenset(names.MACHINE_API)
"""Names no generated class, method, field or key may take: each would shadow one the module uses."""


@dataclass(frozen=True, slots=True)
class Param:
    """A payload or result field: its DSL name, its Python name, type and default (Python source)."""

    name: str
    attribute: str
    annotation: str
    default: str | None
    doc: str
    value: str
    """The expression the update's data holds for it (a decimal as the codec writes it)."""

    @property
    def declaration(self) -> str:
        """`amount: str` or `note: str = ""`."""
        suffix = "" if self.default is None else f" = {self.default}"
        return f"{self.attribute}: {self.annotation}{suffix}"


@dataclass(frozen=True, slots=True)
class ResultType:
    """The TypedDict an action returns (`returns` fields), as a class or a functional TypedDict."""

    action: str
    name: str
    doc: str
    keys: tuple[Param, ...]

    @property
    def lines(self) -> tuple[str, ...]:
        """The TypedDict's definition and docstring."""
        if all(_plain(k.name) for k in self.keys):
            body = [f"    {k.name}: {k.annotation}" for k in self.keys]
            head = _signature("", f"class {self.name}", ("TypedDict",), ":")
            return (*head, f'    """{self.doc}"""', "", *body)
        keys = [f"{literals.string(k.name)}: {k.annotation}" for k in self.keys]
        convertible = all(k.name.isidentifier() and not keyword.iskeyword(k.name) for k in self.keys)
        noqa = "  # noqa: UP013" if convertible else ""
        opening = f"{self.name} = TypedDict({noqa}"
        lines = (opening, f'    "{self.name}",', "    {", *(f"        {k}," for k in keys), "    },", ")")
        return (*lines, f'"""{self.doc}"""')


@dataclass(frozen=True, slots=True)
class Activity:
    """One method of the activities protocol: an action the user implements."""

    action: str
    method: str
    returns: str
    doc: tuple[str, ...]

    @property
    def signature(self) -> tuple[str, ...]:
        """The `async def` line(s)."""
        return _signature(
            "    ", f"async def {self.method}", ("self", "call: ActivityCall"), f" -> {self.returns}:"
        )

    @property
    def registration(self) -> tuple[str, ...]:
        """The line(s) of `activities()`' list registering it."""
        return _call(
            "        ",
            "define",
            ("DEFINITION", literals.string(self.action), f"implementation.{self.method}"),
            ",",
        )


@dataclass(frozen=True, slots=True)
class Update:
    """One event's typed update: its input class, handler and validator."""

    event: str
    method: str
    validator: str
    input: str
    doc: tuple[str, ...]
    params: tuple[Param, ...]
    delegates: bool

    @property
    def decorator(self) -> tuple[str, ...]:
        """`@workflow.update(name="...")`."""
        return _call("    ", "@workflow.update", (f"name={literals.string(self.event)}",), "")

    @property
    def handler(self) -> tuple[str, ...]:
        """The handler's `async def` line(s)."""
        return _signature(
            "    ", f"async def {self.method}", ("self", f"update: {self.input}"), " -> SendAnswer:"
        )

    @property
    def check(self) -> tuple[str, ...]:
        """The validator's `def` line(s)."""
        return _signature("    ", f"def {self.validator}", ("self", f"update: {self.input}"), " -> None:")


@dataclass(frozen=True, slots=True)
class SettingsEntry:
    """One `ACTIVITY_SETTINGS` entry: what it is (comments citing the spec), its key and its fields."""

    comments: tuple[str, ...]
    key: str
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ModuleView:
    """Everything the module template needs."""

    header: str
    prefix: str
    workflow: str
    workflow_doc: str
    ir_text: str
    settings: tuple[SettingsEntry, ...]
    results: tuple[ResultType, ...]
    activities: tuple[Activity, ...]
    updates: tuple[Update, ...]
    start: tuple[Param, ...]
    """The context fields as the start input's keyword-only fields."""
    name_literal: str

    def lines(self, what: str) -> tuple[str, ...]:
        """Fixed lines that hold the class prefix or the workflow's name, laid out to fit."""
        activities = f"implementation: {self.prefix}Activities"
        match what:
            case "activities":
                return _signature("", "def activities", (activities,), " -> list[Callable[..., Any]]:")
            case "class":
                return _signature("", f"class {self.prefix}Workflow", ("StatewrightWorkflow",), ":")
            case "run_worker":
                worker = ("client: Client", "task_queue: str", activities)
                return _signature("", "async def run_worker", worker, " -> None:")
            case "run":
                arguments = ("client", "task_queue", f"{self.prefix}Workflow", "activities(implementation)")
                return _call("    ", "await run_statewright_worker", arguments, "")
            case "serve":
                params = ("address: str", "namespace: str", "task_queue: str", activities)
                return _signature("", "async def _serve", params, " -> None:")
            case "queue":
                return _call(
                    "    ", "parser.add_argument", ('"--task-queue"', f"default={self.name_literal}"), ""
                )
        raise ValueError(f"no fixed lines named {what!r}")

    @property
    def typing_imports(self) -> tuple[str, ...]:
        """The names the module imports from `typing`."""
        found = {"Any", "Protocol"}
        if self.results:
            found.add("TypedDict")
        annotations = [p.annotation for u in self.updates for p in u.params]
        annotations += [p.annotation for p in self.start]
        annotations += [k.annotation for r in self.results for k in r.keys]
        if any(a.startswith("Literal[") for a in annotations):
            found.add("Literal")
        return tuple(sorted(found))

    @property
    def uses_decimal(self) -> bool:
        """Whether a result field is a decimal (update fields carry decimals as exact text)."""
        return any(k.annotation == "Decimal" for r in self.results for k in r.keys)

    @property
    def exports(self) -> tuple[str, ...]:
        """`__all__`, sorted as ruff sorts it (RUF022)."""
        found = ["ACTIVITY_SETTINGS", "DEFINITION", f"{self.prefix}Workflow", f"{self.prefix}Activities"]
        found += ["activities", "main", "run_worker"]
        found += [r.name for r in self.results] + [u.input for u in self.updates] + [f"{self.prefix}Start"]
        return tuple(sorted(found, key=lambda n: (not n.isupper(), n)))


def _plain(name: str) -> bool:
    """Whether a key can be a TypedDict class attribute: a lowercase identifier that shadows nothing."""
    return (
        name.isidentifier() and name not in _RESERVED and not keyword.iskeyword(name) and name == name.lower()
    )


def _method(name: str) -> str:
    """A method or attribute name for a DSL name: snake case, as ruff's naming rules want it."""
    return names.snake(name) or "x"


def module_name(machine: ir.Machine) -> str:
    """The module's file stem: the python target's module name and `_temporal`."""
    return f"{names.module_name(machine.name)}_temporal"


def module_view(machine: ir.Machine, source_name: str, work: tuple[WorkSettings, ...]) -> ModuleView:
    """Compute the view of `machine`'s Temporal module from the IR and its work settings."""
    source = literals.file_name(PurePath(source_name or machine.source or f"{machine.name}.wf").name)
    prefix = names.class_prefix(names.camel(machine.name))
    if prefix in _RESERVED or prefix.startswith("_"):
        prefix = f"W{prefix}"
    taken = {f"{prefix}Workflow", f"{prefix}Activities", f"{prefix}Start"}
    module_names = names.Namer(_RESERVED | taken)
    results = _results(machine, source, module_names)
    updates = _updates(machine, source, module_names)
    return ModuleView(
        header=_header(machine, source, prefix),
        prefix=prefix,
        workflow=machine.name,
        workflow_doc=_oneline(f"{machine.name} on Temporal: the statewright runtime's engine in a workflow."),
        ir_text=embedded.dump(machine),
        settings=tuple(_settings_entry(item, source) for item in work),
        results=results,
        activities=_activities(machine, source, work, results),
        updates=updates,
        start=_params(machine.context),
        name_literal=literals.string(machine.name),
    )


def where(source: str, span: Span | None) -> str:
    """`file.wf:LINE` of a span (just the file when the element has no position)."""
    return f"{source}:{span.line}" if span is not None and span.line else source


def _header(machine: ir.Machine, source: str, prefix: str) -> str:
    stem = module_name(machine)
    command = f"statewright build {shlex.quote(source)} --target temporal --out ."
    lines = [
        f"{machine.name} on Temporal: generated by statewright {__version__} from {source}; do not edit.",
        "",
    ]
    if machine.doc:
        lines += [machine.doc, ""]
    lines += [
        f"Regenerate it, in the folder holding {source}, with `{command}`",
        f"(it is written to temporal/{stem}.py).",
        "",
        f"- `{prefix}Workflow` (workflow type `{machine.name}`) runs the statewright runtime's own",
        "  step functions in Temporal's workflow sandbox (`statewright.temporal.shell`): the same",
        "  dispatch, guards, sagas, approvals and timers as the Python runtime, with Temporal's",
        "  event history as the durable log;",
        "- events are updates: the generic `statewright_send` and one typed update per event,",
        "  a refusal failing the update with the runtime's reason; the query",
        "  `statewright_snapshot` returns the states, context and owed work;",
        f"- `{prefix}Activities` lists the activities to implement (one per action; no business",
        "  logic is generated) and `ACTIVITY_SETTINGS` how each runs (timeouts, heartbeat, retries);",
        f"- run a worker: `python -m {stem} --implementation my_module:MyActivities`",
        "  (or `await run_worker(client, task_queue, implementation)`).",
    ]
    return literals.docstring("\n".join(lines))


def _settings_entry(item: WorkSettings, source: str) -> SettingsEntry:
    what = "compensates with" if item.kind == "compensate" else "invokes"
    first = f"{item.key}: {what} `{item.action}` ({where(source, item.span)})"
    if item.kind == "do":
        first = f"{item.key}: a `do` action ({where(source, item.span)}): a failure stays owed, retried"
    comments = [first]
    s = item.settings
    if s.start_to_close_ms is not None:
        comments.append(
            f"an attempt ends by the state's timeout {format_duration(s.start_to_close_ms)} "
            f"({where(source, item.timeout_span)})"
        )
    if item.policy is not None:
        comments.append(f"retry {_policy_text(item.policy)} ({where(source, item.policy.span)})")
    comments += [f"not as written (SW955): {note.what}" for note in item.approximations]
    return SettingsEntry(
        comments=tuple(literals.comment(c) for c in comments),
        key=literals.string(item.key),
        fields=_settings_fields(s),
    )


def _policy_text(policy: ir.RetryPolicy) -> str:
    count = "unlimited" if policy.max_retries is None else str(policy.max_retries)
    text = f"{count} backoff {policy.backoff} {format_duration(policy.base_ms)}"
    if policy.cap_ms is not None:
        text += f"..{format_duration(policy.cap_ms)}"
    if policy.backoff == "exponential":
        text += f" factor {policy.factor}"
    if policy.jitter != "none":
        text += f" jitter {policy.jitter}"
    if policy.retry_on:
        text += " on " + ", ".join(policy.retry_on)
    return text


def _settings_fields(s: Settings) -> tuple[str, ...]:
    lines = [
        f"start_to_close_ms={s.start_to_close_ms!r},",
        f"heartbeat_ms={s.heartbeat_ms!r},",
        f"initial_interval_ms={s.initial_interval_ms!r},",
        f"backoff_coefficient={s.backoff_coefficient!r},",
        f"maximum_interval_ms={s.maximum_interval_ms!r},",
        f"maximum_attempts={s.maximum_attempts!r},",
    ]
    if s.retry_on is None:
        lines.append("retry_on=None,")
    else:
        errors = [literals.string(e) for e in s.retry_on]
        one = f"retry_on=({', '.join(errors)}{',' if len(errors) == 1 else ''}),"
        if len(one) + 8 <= LINE_LENGTH:
            lines.append(one)
        else:
            lines += ["retry_on=(", *(f"    {e}," for e in errors), "),"]
    lines += [
        f"wait_cancellation_completed={s.wait_cancellation_completed!r},",
        f"source_line={s.source_line!r},",
    ]
    return tuple(lines)


def _annotation(field_type: ir.FieldType, room: int, decimal: str) -> str:
    if field_type.name == "enum":
        literal = "Literal[" + ", ".join(literals.string(m) for m in field_type.members) + "]"
        return literal if len(literal) <= room else "str"
    if field_type.name == "decimal":
        return decimal
    return _PY_TYPES[field_type.name]


def _results(machine: ir.Machine, source: str, namer: names.Namer) -> tuple[ResultType, ...]:
    """One TypedDict per action whose invoke `returns` fields (the first such invoke of each action)."""
    found: list[ResultType] = []
    seen: set[str] = set()
    for state in machine.states:
        invoke = state.invoke
        if invoke is None or not invoke.result or invoke.action in seen:
            continue
        seen.add(invoke.action)
        keys = tuple(
            Param(
                name=f.name,
                attribute=f.name,
                annotation=_annotation(
                    f.type, LINE_LENGTH - len(f"        {literals.string(f.name)}: ,"), "Decimal"
                ),
                default=None,
                doc="",
                value="",
            )
            for f in invoke.result
        )
        doc = _oneline(
            f"What `{invoke.action}` returns ({where(source, invoke.span)}); a result that does not fit "
            "fails the work (ResultInvalid)."
        )
        stem = names.class_prefix(names.camel(invoke.action))
        found.append(ResultType(invoke.action, namer.claim(f"{stem}Result"), doc, keys))
    return tuple(found)


def _activities(
    machine: ir.Machine, source: str, work: tuple[WorkSettings, ...], results: tuple[ResultType, ...]
) -> tuple[Activity, ...]:
    """One protocol method per action (invoked, compensating or `do`), in the order the settings list them."""
    namer = names.Namer(_RESERVED)
    returns = {r.action: r.name for r in results}
    uses: dict[str, list[str]] = {}
    for item in work:
        if item.kind == "do":
            text = f"a `do` action ({where(source, item.span)})"
        else:
            verb = "compensates" if item.kind == "compensate" else "invoked by"
            text = f"{verb} `{item.key}` ({where(source, item.span)})"
        uses.setdefault(item.action, []).append(text)
    found = []
    for action, lines in uses.items():
        shown = lines[:6] + ([f"... and {len(lines) - 6} more"] if len(lines) > 6 else [])
        doc = (_oneline(f"`{action}`: {', '.join(shown)}."),)
        method = namer.claim(_method(action))
        found.append(Activity(action, method, returns.get(action, "None"), doc))
    return tuple(found)


def _updates(machine: ir.Machine, source: str, classes: names.Namer) -> tuple[Update, ...]:
    methods = names.Namer(_RESERVED)
    found = []
    for event in machine.events:
        if event.name == SEND_UPDATE:
            continue  # SW956: only the generic update delivers it
        params = _params(event.payload)
        summary = f"Send `{event.name}`" + (f": {event.doc}" if event.doc else ".")
        doc = [_oneline(summary)]
        if event.span.line:
            doc.append(_oneline(f"Declared at {where(source, event.span)}."))
        method = methods.claim(names.method_name(_method(event.name)))
        found.append(
            Update(
                event=event.name,
                method=method,
                validator=methods.claim(f"validate_{method}"),
                input=classes.claim(f"{names.class_prefix(names.camel(event.name))}Update"),
                doc=tuple(doc),
                params=params,
                delegates=event.name == "delegate" and event.kind == "approval",
            )
        )
    return tuple(found)


def _params(fields: tuple[ir.ContextField, ...]) -> tuple[Param, ...]:
    """Payload fields as keyword-only dataclass fields; decimals travel as exact text (the codec's form)."""
    namer = names.Namer(_RESERVED)
    found = []
    for f in fields:
        attribute = namer.claim(_method(f.name))
        if f.default is None:
            default = None
        elif f.type.name == "decimal":
            default = literals.string(str(f.default))
        else:
            default = literals.literal(f.default)
        room = LINE_LENGTH - len(f"    {attribute}: ") - (0 if default is None else len(f" = {default}"))
        annotation = _annotation(f.type, room, "str")
        value = f"self.{attribute}"
        if f.type.name == "decimal":
            value = "{" + f'"$decimal": {value}' + "}"
        doc = _oneline(
            f"{f.type.describe()}"
            + (" as exact decimal text, e.g. 12.50" if f.type.name == "decimal" else "")
        )
        found.append(Param(f.name, attribute, annotation, default, doc, value))
    return tuple(found)


def _signature(indent: str, opening: str, params: tuple[str, ...], closing: str) -> tuple[str, ...]:
    """A `def` on one line when it fits, else one parameter a line with a trailing comma (ruff keeps that)."""
    one = f"{indent}{opening}({', '.join(params)}){closing}"
    if len(one) <= LINE_LENGTH:
        return (one,)
    return (f"{indent}{opening}(", *(f"{indent}    {p}," for p in params), f"{indent}){closing}")


def _call(indent: str, function: str, arguments: tuple[str, ...], closing: str) -> tuple[str, ...]:
    """A call on one line when it fits, else one argument a line with a trailing comma."""
    return _signature(indent, function, arguments, closing)


def _oneline(text: str) -> str:
    """Spec text on one docstring line, escaped."""
    return literals.comment(text)
