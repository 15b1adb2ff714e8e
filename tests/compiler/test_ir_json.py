"""The IR's JSON form: round trips, the published schema, bad documents, and the `ir` target."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import fields, is_dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, get_args, get_type_hints

import pluggy
import pytest
from hypothesis import given
from jsonschema import Draft202012Validator

from statewright import ir
from statewright.ir.json_form import SCHEMA_ID, IRFormatError, dump, from_data, load, schema, to_data
from statewright.pipeline import compile_path, compile_text
from statewright.plugins import hookspecs
from statewright.plugins.api import Artifact, Target, TargetOptions, TargetOutput
from statewright.source import Span
from statewright.targets import ir_target
from statewright.targets.ir_target import IRTarget
from tests import ir_strategies
from tests.conftest import example_files

KITCHEN_SINK = Path(__file__).resolve().parent.parent / "front" / "data" / "kitchen_sink.wf"


_VALIDATOR = Draft202012Validator(schema())
"""A stock draft 2020-12 validator: what a third-party consumer of the schema would use."""


def _kitchen_sink() -> ir.Machine:
    result = compile_text(KITCHEN_SINK.read_text("utf-8"), "kitchen_sink.wf")
    assert result.machine is not None, result.diagnostics
    return result.machine


def _tiny() -> ir.Machine:
    """A small hand-built machine with a guard, each action kind, a decimal field and spans."""
    guard = ir.BinOp(
        ">=",
        ir.Var("price", "decimal", Span(3, 14, 3, 19)),
        ir.Lit(Decimal("1.50"), "decimal", Span(3, 23, 3, 27)),
        "bool",
        Span(3, 14, 3, 27),
    )
    return ir.Machine(
        name="Tiny",
        initial="Idle",
        states=(
            ir.State("Idle", "atomic", entry=(ir.Call("greet", key='k-"1"', span=Span(3, 5, 3, 15)),)),
            ir.State("Done", "final", outcome="success", doc="fini — ok", span=Span(5, 3, 5, 19)),
        ),
        transitions=(
            ir.Transition(
                "Idle",
                "event",
                "Done",
                event="go",
                guard=guard,
                actions=(
                    ir.Assign(
                        "price", ir.Lit(Decimal("0"), "decimal", Span(3, 40, 3, 41)), Span(3, 32, 3, 41)
                    ),
                    ir.Emit("went", Span(3, 43, 3, 52)),
                ),
                span=Span(3, 5, 3, 52),
            ),
        ),
        events=(ir.Event("go"), ir.Event("went")),
        context=(
            ir.ContextField("price", ir.FieldType("decimal", min=0), Decimal("2.5"), Span(1, 20, 1, 28)),
        ),
        version=1,
        source="tiny.wf",
        span=Span(1, 1, 6, 2),
    )


def _span(line: int, column: int, end_line: int, end_column: int) -> dict[str, int]:
    return {"line": line, "column": column, "end_line": end_line, "end_column": end_column}


# --------------------------------------------------------------------------- properties


@given(ir_strategies.machines)
def test_json_form_properties(machine: ir.Machine) -> None:
    """One generated machine checks every property (generation is the slow part)."""
    text = dump(machine)
    loaded = load(text)
    assert loaded == machine  # load inverts dump
    assert dump(loaded) == text  # byte-identical: spans (compare=False) and value types survive too
    assert to_data(loaded) == to_data(machine)
    assert dump(machine) == text  # deterministic
    data = json.loads(text)
    _VALIDATOR.validate(data)  # what the ir target writes is valid against the published schema
    assert list(data)[:2] == ["ir_version", "name"]
    assert text.endswith("}\n")


@given(ir_strategies.exprs)
def test_every_expression_round_trips_with_its_value_types(expr: ir.Expr) -> None:
    machine = ir.Machine("M", "A", (), (), invariants=(ir.Invariant(expr, "text"),))
    loaded = load(dump(machine)).invariants[0].expr
    assert _typed(loaded) == _typed(expr)


def _typed(value: object) -> object:
    """`value` as a tree that tells 1, True, Decimal(1) and "1" apart (== does not) and keeps spans."""
    if isinstance(value, tuple):
        return tuple(_typed(item) for item in value)
    if isinstance(value, Span):
        return ("span", value.line, value.column, value.end_line, value.end_column)
    if is_dataclass(value) and not isinstance(value, type):
        return (type(value).__name__, *(_typed(getattr(value, f.name)) for f in fields(value)))
    return (type(value).__name__, str(value))


# --------------------------------------------------------------------------- the schema


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    published = schema()
    Draft202012Validator.check_schema(published)
    assert published["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert published["$id"] == SCHEMA_ID == "https://statewright.dev/schema/ir/v2.json"
    assert published["title"]
    assert published["properties"]["ir_version"]["const"] == ir.IR_VERSION


def test_schema_returns_a_fresh_copy() -> None:
    schema()["title"] = "changed"
    assert schema()["title"] != "changed"


_DEFINITIONS: dict[str, type] = {
    "span": Span,
    "fieldType": ir.FieldType,
    "contextField": ir.ContextField,
    "lit": ir.Lit,
    "var": ir.Var,
    "unary": ir.Unary,
    "binop": ir.BinOp,
    "in": ir.In,
    "call": ir.Call,
    "assign": ir.Assign,
    "emit": ir.Emit,
    "retryPolicy": ir.RetryPolicy,
    "invoke": ir.Invoke,
    "softTimeout": ir.SoftTimeout,
    "state": ir.State,
    "transition": ir.Transition,
    "reject": ir.Reject,
    "event": ir.Event,
    "invariant": ir.Invariant,
    "sagaStep": ir.SagaStep,
    "saga": ir.Saga,
    "approvalLevel": ir.ApprovalLevel,
    "approval": ir.Approval,
    "checkpoint": ir.Checkpoint,
    "requirements": ir.Requirements,
    "volume": ir.Volume,
    "rename": ir.Rename,
}


@pytest.mark.parametrize("definition", sorted(_DEFINITIONS))
def test_schema_objects_list_exactly_the_dataclass_fields(definition: str) -> None:
    cls = _DEFINITIONS[definition]
    spec = schema()["$defs"][definition]
    names = [f.name for f in fields(cls) if not (cls is Span and f.name.endswith("offset"))]
    tags = [
        key for key in ("node", "action") if key in spec["properties"] and "const" in spec["properties"][key]
    ]
    assert list(spec["properties"]) == tags + names
    assert spec["required"] == tags + names
    assert spec["additionalProperties"] is False


def test_schema_root_lists_the_machine_fields_with_the_version_first() -> None:
    published = schema()
    names = [f.name for f in fields(ir.Machine) if f.name != "ir_version"]
    assert list(published["properties"]) == ["ir_version", *names]
    optional = ["requirements", "migrations"]  # added to version 2 later: written only when declared
    assert published["required"] == ["ir_version", *(name for name in names if name not in optional)]
    assert published["additionalProperties"] is False


def _subschemas(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _subschemas(value)
    elif isinstance(node, list):
        for value in node:
            yield from _subschemas(value)


def test_every_definition_is_described_and_every_object_closed() -> None:
    published = schema()
    for name, definition in published["$defs"].items():
        assert definition.get("description"), name
        if definition.get("type") == "object" and name not in ("expr", "action"):
            assert definition["additionalProperties"] is False, name
    for name in ("expr", "action"):  # tagged unions: each branch is a closed definition
        dispatch = published["$defs"][name]
        for branch in dispatch["allOf"]:
            target = branch["then"]["$ref"].removeprefix("#/$defs/")
            assert published["$defs"][target]["additionalProperties"] is False
    for sub in _subschemas(published):
        if "properties" in sub and "additionalProperties" in sub:
            assert sub["additionalProperties"] is False


def _literal_values(cls: type, field: str) -> list[str]:
    hint = get_type_hints(cls)[field]
    while not all(isinstance(arg, str) for arg in get_args(hint)):
        hint = next(arg for arg in get_args(hint) if arg is not type(None))
    return list(get_args(hint))


@pytest.mark.parametrize(
    ("definition", "cls", "field"),
    [
        ("typeName", ir.Lit, "type"),
        ("unaryOp", ir.Unary, "op"),
        ("binaryOp", ir.BinOp, "op"),
        ("jitter", ir.RetryPolicy, "jitter"),
        ("backoffKind", ir.RetryPolicy, "backoff"),
        ("stateKind", ir.State, "kind"),
        ("stateRole", ir.State, "role"),
        ("outcome", ir.State, "outcome"),
        ("transitionKind", ir.Transition, "kind"),
        ("rejectKind", ir.Reject, "kind"),
        ("eventKind", ir.Event, "kind"),
        ("routing", ir.Approval, "routing"),
        ("durability", ir.Requirements, "durability"),
        ("hosting", ir.Requirements, "hosting"),
        ("language", ir.Requirements, "language"),
        ("vendorLock", ir.Requirements, "vendor_lock"),
        ("rateUnit", ir.Volume, "per"),
    ],
)
def test_schema_enums_match_the_ir_literals(definition: str, cls: type, field: str) -> None:
    assert schema()["$defs"][definition]["enum"] == _literal_values(cls, field)


def test_kitchen_sink_round_trips_and_validates() -> None:
    machine = _kitchen_sink()
    text = dump(machine)
    _VALIDATOR.validate(json.loads(text))
    assert load(text) == machine
    assert dump(load(text)) == text
    assert dump(_kitchen_sink()) == text  # the same source gives byte-identical IR


DATA_FLOW = KITCHEN_SINK.parent / "data_flow.wf"


@pytest.mark.parametrize("path", [*example_files(), DATA_FLOW], ids=lambda p: p.name)
def test_examples_round_trip_and_validate(path: Path) -> None:
    result = compile_path(path)
    assert result.machine is not None, result.diagnostics
    text = dump(result.machine)
    _VALIDATOR.validate(json.loads(text))
    assert load(text) == result.machine
    assert dump(load(text)) == text


# --------------------------------------------------------------------------- hand-built IR


def test_dump_layout() -> None:
    text = dump(_tiny())
    assert text.startswith('{\n  "ir_version": 2,\n  "name": "Tiny",\n  "initial": "Idle",\n  "states": [\n')
    assert text.endswith(
        '  "source": "tiny.wf",\n  "span": {\n    "line": 1,\n    "column": 1,\n'
        '    "end_line": 6,\n    "end_column": 2\n  }\n}\n'
    )
    assert '"doc": "fini — ok"' in text  # not \u escaped
    assert '"key": "k-\\"1\\""' in text
    assert list(json.loads(text)) == [
        "ir_version",
        *(f.name for f in fields(ir.Machine) if f.name not in ("ir_version", "requirements", "migrations")),
    ]


def test_requirements_are_written_only_when_declared() -> None:
    """A machine without requirements dumps as before (no member); declared ones round trip."""
    plain = _tiny()
    assert '"requirements"' not in dump(plain)
    assert "requirements" not in to_data(plain)
    declared = replace(
        plain,
        requirements=ir.Requirements(
            durability="machine_loss", longest_run_ms=86_400_000, volume=ir.Volume(5, "m"), human_steps=True
        ),
    )
    text = dump(declared)
    assert list(json.loads(text))[-1] == "requirements"
    assert json.loads(text) == to_data(declared)
    _VALIDATOR.validate(to_data(declared))
    assert load(text) == declared


def test_migrations_are_written_only_when_declared() -> None:
    """A machine without a `migrate` map dumps as before (no member); a declared one round trips."""
    plain = _tiny()
    assert '"migrations"' not in dump(plain)
    assert "migrations" not in to_data(plain)
    declared = replace(plain, migrations=(ir.Rename("Old", "New"),))
    text = dump(declared)
    assert list(json.loads(text))[-1] == "migrations"
    assert json.loads(text) == to_data(declared)
    _VALIDATOR.validate(to_data(declared))
    assert load(text) == declared


def test_transition_json_shape() -> None:
    assert to_data(_tiny())["transitions"] == [
        {
            "source": "Idle",
            "kind": "event",
            "target": "Done",
            "event": "go",
            "guard": {
                "node": "binop",
                "op": ">=",
                "left": {"node": "var", "name": "price", "type": "decimal", "span": _span(3, 14, 3, 19)},
                "right": {
                    "node": "lit",
                    "value": {"decimal": "1.50"},
                    "type": "decimal",
                    "span": _span(3, 23, 3, 27),
                },
                "type": "bool",
                "span": _span(3, 14, 3, 27),
            },
            "is_else": False,
            "after_ms": None,
            "actions": [
                {
                    "action": "assign",
                    "field": "price",
                    "value": {
                        "node": "lit",
                        "value": {"decimal": "0"},
                        "type": "decimal",
                        "span": _span(3, 40, 3, 41),
                    },
                    "span": _span(3, 32, 3, 41),
                },
                {"action": "emit", "event": "went", "span": _span(3, 43, 3, 52)},
            ],
            "permissions": [],
            "scope": None,
            "evidence": [],
            "span": _span(3, 5, 3, 52),
        }
    ]


def test_state_and_context_json_shape() -> None:
    data = to_data(_tiny())
    assert data["states"][0]["entry"] == [
        {"action": "call", "name": "greet", "key": 'k-"1"', "service": None, "span": _span(3, 5, 3, 15)}
    ]
    assert data["states"][0]["span"] == _span(1, 1, 1, 1)  # NO_SPAN, kept like any other
    assert data["context"] == [
        {
            "name": "price",
            "type": {"name": "decimal", "min": 0, "max": None, "members": []},
            "default": {"decimal": "2.5"},
            "span": _span(1, 20, 1, 28),
        }
    ]


def test_in_and_unary_json_shape() -> None:
    expr = ir.Unary(
        "not",
        ir.In(ir.Var("region", "enum"), (ir.Lit("eu", "enum"), ir.Lit("us", "enum")), negated=True),
        "bool",
    )
    machine = ir.Machine("M", "A", (), (), invariants=(ir.Invariant(expr, "not (region not in { eu, us })"),))
    no_span = _span(1, 1, 1, 1)
    assert to_data(machine)["invariants"][0]["expr"] == {
        "node": "unary",
        "op": "not",
        "operand": {
            "node": "in",
            "operand": {"node": "var", "name": "region", "type": "enum", "span": no_span},
            "values": [
                {"node": "lit", "value": "eu", "type": "enum", "span": no_span},
                {"node": "lit", "value": "us", "type": "enum", "span": no_span},
            ],
            "negated": True,
            "type": "bool",
            "span": no_span,
        },
        "type": "bool",
        "span": no_span,
    }
    assert load(dump(machine)) == machine


def test_int_decimal_string_and_bool_stay_distinct() -> None:
    literals = (ir.Lit(5, "int"), ir.Lit(Decimal(5), "decimal"), ir.Lit("5", "string"), ir.Lit(True, "bool"))
    fields_ = (
        ir.ContextField("a", ir.FieldType("int"), 1),
        ir.ContextField("b", ir.FieldType("decimal"), Decimal(1)),
        ir.ContextField("c", ir.FieldType("decimal"), 1),  # an int may stand for a decimal
        ir.ContextField("d", ir.FieldType("bool"), True),
        ir.ContextField("e", ir.FieldType("string"), "1"),
        ir.ContextField("f", ir.FieldType("bool"), False),
        ir.ContextField("g", ir.FieldType("int"), 0),
    )
    expr = ir.In(ir.Var("x", "int"), literals)
    machine = ir.Machine("M", "A", (), (), context=fields_, invariants=(ir.Invariant(expr, "x in {...}"),))
    data = to_data(machine)
    assert [lit["value"] for lit in data["invariants"][0]["expr"]["values"]] == [
        5,
        {"decimal": "5"},
        "5",
        True,
    ]
    loaded = load(dump(machine))
    loaded_expr = loaded.invariants[0].expr
    assert isinstance(loaded_expr, ir.In)
    assert [type(lit.value) for lit in loaded_expr.values] == [int, Decimal, str, bool]
    assert [type(f.default) for f in loaded.context] == [int, Decimal, int, bool, str, bool, int]


@pytest.mark.parametrize(
    "text", ["1.50", "1.5", "-0", "0E-7", "1E+3", "123456789012345678901234567890.000001"]
)
def test_decimals_are_exact(text: str) -> None:
    machine = ir.Machine(
        "M", "A", (), (), context=(ir.ContextField("p", ir.FieldType("decimal"), Decimal(text)),)
    )
    assert to_data(machine)["context"][0]["default"] == {"decimal": text}
    default = load(dump(machine)).context[0].default
    assert isinstance(default, Decimal)
    assert str(default) == text


def test_spans_are_kept_without_offsets() -> None:
    span = Span(7, 3, 9, 12, offset=140, end_offset=260)
    machine = ir.Machine("M", "A", (ir.State("A", "atomic", span=span),), (), span=Span(1, 1, 20, 2))
    assert to_data(machine)["states"][0]["span"] == _span(7, 3, 9, 12)
    loaded = load(dump(machine))
    assert (loaded.states[0].span.line, loaded.states[0].span.end_column) == (7, 12)
    assert loaded.span == Span(1, 1, 20, 2)


def test_every_table_survives() -> None:
    machine = _kitchen_sink()
    loaded = load(dump(machine))
    assert loaded.sagas == machine.sagas and loaded.sagas
    assert loaded.approvals == machine.approvals and loaded.approvals
    assert loaded.checkpoints == machine.checkpoints and loaded.checkpoints
    assert loaded.states[1].invoke == machine.states[1].invoke and machine.states[1].invoke is not None
    assert [type(s.invoke.retry.factor) for s in loaded.states if s.invoke and s.invoke.retry] == [
        Decimal
    ] * 3


def test_to_data_refuses_values_outside_the_ir() -> None:
    nan = ir.Machine(
        "M", "A", (), (), context=(ir.ContextField("p", ir.FieldType("decimal"), Decimal("NaN")),)
    )
    with pytest.raises(ValueError, match="finite"):
        dump(nan)
    odd = ir.Machine("M", "A", (), (), context=(ir.ContextField("p", ir.FieldType("decimal"), 1.5),))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="float"):
        dump(odd)


# --------------------------------------------------------------------------- bad documents

Mutation = Callable[[dict[str, Any]], Any]


def _set(path: tuple[str | int, ...], value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> Any:
        node: Any = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        return data

    return mutate


def _delete(path: tuple[str | int, ...]) -> Mutation:
    def mutate(data: dict[str, Any]) -> Any:
        node: Any = data
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
        return data

    return mutate


_GUARD: tuple[str | int, ...] = ("transitions", 0, "guard")


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (_set(("ir_version",), 1), ["$.ir_version", "IR version 1 is not supported", "version 2"]),
        (_set(("ir_version",), 0), ["$.ir_version", "IR version 0 is not supported"]),
        (_set(("ir_version",), "2"), ["$.ir_version", "not of type 'integer'"]),
        (_set(("ir_version",), True), ["$.ir_version"]),
        (_delete(("ir_version",)), ["$:", "'ir_version' is a required property"]),
        (_delete(("states", 1, "kind")), ["$.states[1]:", "'kind' is a required property"]),
        (_delete(("span",)), ["$:", "'span' is a required property"]),
        (_set(("states", 0, "colour"), "red"), ["$.states[0]:", "'colour' was unexpected"]),
        (_set(("extra",), 1), ["$:", "'extra' was unexpected"]),
        (_set(("states", 0, "waits"), "yes"), ["$.states[0].waits:", "'yes' is not of type 'boolean'"]),
        (_set(("states", 0, "kind"), "weird"), ["$.states[0].kind:", "'weird' is not one of"]),
        (_set(("states", 0, "span", "line"), 1.0), ["$.states[0].span.line:", "not of type 'integer'"]),
        (_set(("states", 0, "span", "line"), 0), ["$.states[0].span.line:", "less than the minimum"]),
        (_set(("version",), True), ["$.version: expected count or null, not True"]),
        (_set(("states",), {}), ["$.states:", "not of type 'array'"]),
        (_set(("name",), ""), ["$.name:", "non-empty"]),
        (_set(("context", 0, "default"), {"decimal": "NaN"}), ["$.context[0].default"]),
        (_set(("context", 0, "default"), {"decimal": "1.5", "x": 1}), ["$.context[0].default"]),
        (
            _set(("context", 0, "default"), "2.5"),
            ["$.context[0].default: expected integer or decimal", "not '2.5'"],
        ),
        (_set(("context", 0, "type", "members"), ["a"]), ["$.context[0].type.members"]),
        (_set((*_GUARD, "right", "value"), "1.50"), ["$.transitions[0].guard.right.value"]),
        (_set((*_GUARD, "node"), "call"), ["$.transitions[0].guard.node", "'call' is not one of"]),
        (_delete((*_GUARD, "node")), ["$.transitions[0].guard:", "'node' is a required property"]),
        (_set((*_GUARD, "left", "extra"), 1), ["$.transitions[0].guard.left:", "'extra' was unexpected"]),
        (_set(("transitions", 0, "actions", 1, "action"), "jump"), ["$.transitions[0].actions[1].action"]),
        (_delete(("transitions", 0, "actions", 1, "event")), ["$.transitions[0].actions[1]:", "'event'"]),
    ],
)
def test_bad_documents_name_the_problem(mutate: Mutation, expected: list[str]) -> None:
    data = mutate(copy.deepcopy(to_data(_tiny())))
    with pytest.raises(IRFormatError) as from_plain_data:
        from_data(data)
    with pytest.raises(IRFormatError) as from_text:
        load(json.dumps(data))
    assert str(from_plain_data.value) == str(from_text.value)
    for part in expected:
        assert part in str(from_text.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "not valid JSON"),
        ("{", "not valid JSON"),
        ("workflow W {}", "not valid JSON"),
        ('{"ir_version": 1,}', "not valid JSON"),
        ('{"ir_version": NaN}', "NaN is not a JSON number"),
        ('{"ir_version": 1, "ir_version": 1}', "duplicate key 'ir_version'"),
        ("[]", "$: [] is not of type 'object'"),
        ("null", "$: None is not of type 'object'"),
        ('"machine"', "is not of type 'object'"),
        ("1" * 5000, "not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_text_that_is_not_ir(text: str, expected: str) -> None:
    with pytest.raises(IRFormatError) as caught:
        load(text)
    assert expected in str(caught.value)


def test_bytes_that_are_not_utf8() -> None:
    with pytest.raises(IRFormatError, match="not valid JSON"):
        load(b"\xff\xfe{")


def test_deep_expressions_fail_cleanly() -> None:
    expr: ir.Expr = ir.Var("x", "bool")
    for _ in range(40):
        expr = ir.BinOp("or", expr, ir.Var("y", "bool"), "bool")
    shallow = ir.Machine("M", "A", (), (), invariants=(ir.Invariant(expr, "x or y or ..."),))
    assert load(dump(shallow)) == shallow
    data: dict[str, Any] = {"node": "var", "name": "x", "type": "bool", "span": _span(1, 1, 1, 1)}
    for _ in range(600):
        data = {"node": "unary", "op": "not", "operand": data, "type": "bool", "span": _span(1, 1, 1, 1)}
    document = to_data(shallow)
    document["invariants"][0]["expr"] = data
    with pytest.raises(IRFormatError, match="nested too deeply"):
        from_data(document)


def test_messages_quoting_large_values_are_shortened() -> None:
    data = to_data(_tiny())
    data["states"] = {"big": "x" * 10_000}
    with pytest.raises(IRFormatError) as caught:
        from_data(data)
    assert str(caught.value).startswith("$.states: {'big': 'xxx")
    assert len(str(caught.value)) < 400


@pytest.mark.parametrize("data", [None, [], "text", 1, {"ir_version": 1}])
def test_from_data_rejects_non_machines(data: Any) -> None:
    with pytest.raises(IRFormatError, match=r"^\$"):
        from_data(data)


# --------------------------------------------------------------------------- the ir target


def test_ir_target_writes_one_artifact() -> None:
    machine = _kitchen_sink()
    target = IRTarget()
    assert isinstance(target, Target)
    assert (target.name, bool(target.description)) == ("ir", True)
    output = target.generate(machine, TargetOptions(source_name="kitchen_sink.wf"))
    assert output == TargetOutput(artifacts=(Artifact("OrderFulfilment.ir.json", dump(machine)),))
    assert load(output.artifacts[0].content) == machine


def test_ir_target_registers_through_the_public_hook() -> None:
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    manager.register(ir_target)
    targets = [t for provided in manager.hook.statewright_targets() for t in provided]
    assert [t.name for t in targets] == ["ir"]
    assert isinstance(targets[0], IRTarget)
