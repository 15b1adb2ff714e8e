"""What differs between the flavors: Python and explicit retry loops vs FEEL and `zeebe:` extensions."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from statewright.targets.bpmn.flavors import iso_duration
from statewright.targets.bpmn.target import render_bpmn
from tests.targets.bpmn.support import NS
from tests.targets.specs import example, example_paths, machine_of

ZEEBE = {**NS, "zeebe": "http://camunda.org/schema/zeebe/1.0"}


def _root(name: str, flavor: str) -> etree._Element:
    return etree.fromstring(render_bpmn(example(name), f"{name}.wf", flavor).encode("utf-8"))


def test_zeebe_task_definitions_carry_retries_and_headers() -> None:
    root = _root("order_fulfilment", "zeebe")
    work = root.find(".//bpmn:serviceTask[@id='Validating_work']", ZEEBE)
    assert work is not None
    definition = work.find("bpmn:extensionElements/zeebe:taskDefinition", ZEEBE)
    assert definition is not None
    assert definition.get("type") == "validate_order" and definition.get("retries") == "4"
    headers = {
        h.get("key"): h.get("value")
        for h in work.iterfind("bpmn:extensionElements/zeebe:taskHeaders/zeebe:header", ZEEBE)
    }
    assert headers["backoff"] == "exponential 1s..30s"
    assert headers["jitter"] == "full"
    assert headers["retry_on"] == "Timeout,Unavailable"
    assert headers["idempotency_key"] == "order-{order_id}-validate-{validation_attempts}"
    assert root.find(".//bpmn:scriptTask[@name='count the attempt']", ZEEBE) is None  # retries are native


def test_zeebe_conditions_are_feel_and_messages_correlate() -> None:
    root = _root("expense_approval", "zeebe")
    conditions = [c.text or "" for c in root.iterfind(".//bpmn:conditionExpression", ZEEBE)]
    assert conditions and all(c.startswith("=") for c in conditions)
    assert not any("==" in c or "Fraction" in c for c in conditions)
    for message in root.iterfind("bpmn:message", ZEEBE):
        subscription = message.find("bpmn:extensionElements/zeebe:subscription", ZEEBE)
        assert subscription is not None and subscription.get("correlationKey") == "=instance_id"
    level = root.find(".//bpmn:userTask[@id='Approval_level_3_task']", ZEEBE)
    assert level is not None
    loop = level.find("bpmn:multiInstanceLoopCharacteristics", ZEEBE)
    assert (
        loop is not None and loop.find("bpmn:extensionElements/zeebe:loopCharacteristics", ZEEBE) is not None
    )
    assignment = level.find("bpmn:extensionElements/zeebe:assignmentDefinition", ZEEBE)
    assert assignment is not None and assignment.get("candidateGroups") == "finance_director,cfo"


def test_generic_flavor_is_python_with_explicit_retries() -> None:
    root = _root("order_fulfilment", "generic")
    assert "zeebe" not in etree.tostring(root).decode()
    scripts = root.findall(".//bpmn:scriptTask", NS)
    assert scripts and all(s.get("scriptFormat") == "python" for s in scripts)
    retry = root.find(".//bpmn:sequenceFlow[@name='retry']/bpmn:conditionExpression", NS)
    assert (
        retry is not None
        and retry.text == 'work_error in ("Timeout", "Unavailable") and attempts_Validating < 3'
    )
    timers = [t.text for t in root.iterfind(".//bpmn:timeDuration", NS)]
    assert '"P30D"' in timers and '"PT2M"' in timers
    level = root.find(".//bpmn:userTask[@id='ManagerApproval_level_2_task']/bpmn:potentialOwner", NS)
    assert level is not None
    assert "role:sales_director, user:finance.controller@example.com" in etree.tostring(level).decode()


def test_iso_durations() -> None:
    assert iso_duration(0) == "PT0S"
    assert iso_duration(500) == "PT0.5S"
    assert iso_duration(90 * 60_000) == "PT1H30M"
    assert iso_duration(30 * 86_400_000) == "P30D"
    assert iso_duration(86_400_000 + 1_000) == "P1DT1S"


@pytest.mark.parametrize(("flavor", "language"), [("generic", "python"), ("zeebe", "feel")])
@pytest.mark.parametrize("name", [path.stem for path in example_paths()])
def test_every_expression_declares_its_language(name: str, flavor: str, language: str) -> None:
    """Without `language` a BPMN expression is XPath (the default), which neither flavor writes."""
    root = _root(name, flavor)
    expressions = [
        *root.iterfind(".//bpmn:conditionExpression", NS),
        *root.iterfind(".//bpmn:completionCondition", NS),
        *root.iterfind(".//bpmn:loopCardinality", NS),
    ]
    assert expressions
    assert {e.get("language") for e in expressions} == {language}
    timers = {e.get("language") for e in root.iterfind(".//bpmn:timeDuration", NS)}
    assert timers <= ({"python"} if flavor == "generic" else {None})


def _data_flow(flavor: str) -> etree._Element:
    text = (Path(__file__).resolve().parents[2] / "front" / "data" / "data_flow.wf").read_text("utf-8")
    return etree.fromstring(render_bpmn(machine_of(text), "data_flow.wf", flavor).encode("utf-8"))


def _outputs(element: etree._Element) -> list[tuple[str | None, str | None]]:
    return [
        (o.get("source"), o.get("target"))
        for o in element.iterfind("bpmn:extensionElements/zeebe:ioMapping/zeebe:output", ZEEBE)
    ]


def test_zeebe_maps_payloads_results_and_failures_into_event_result_error() -> None:
    """Issue 17: message fields into `event`, job results into `result`, thrown error data into `error`."""
    root = _data_flow("zeebe")
    submit = root.find(".//bpmn:intermediateCatchEvent[@name='submit']", ZEEBE)
    assert submit is not None and _outputs(submit) == [("={amount: amount, note: note}", "event")]
    cancel = root.find(".//bpmn:intermediateCatchEvent[@name='cancel']", ZEEBE)
    assert cancel is not None and _outputs(cancel) == []  # no payload, no mapping
    work = root.find(".//bpmn:serviceTask[@id='Measuring_work']", ZEEBE)
    assert work is not None and _outputs(work) == [("={error_rate: error_rate, samples: samples}", "result")]
    conditions = [c.text or "" for c in root.iterfind(".//bpmn:conditionExpression", ZEEBE)]
    assert "=event.amount > 100.00" in conditions
    assert any(c.startswith("=result.error_rate <= 0.0100") for c in conditions)


def test_zeebe_catches_each_named_error_on_its_own_boundary_before_the_catch_all() -> None:
    """`on error NAME`: an error boundary with code NAME (the engine prefers it), each mapping `error`."""
    root = _data_flow("zeebe")
    codes = {e.get("id"): e.get("errorCode") for e in root.iterfind("bpmn:error", ZEEBE)}
    boundaries = root.findall(".//bpmn:boundaryEvent[@attachedToRef='Measuring_work']", ZEEBE)
    errors = {
        b.get("name"): b.find("bpmn:errorEventDefinition", ZEEBE)
        for b in boundaries
        if b.get("name", "") != ""
    }
    refs = {name: codes.get(d.get("errorRef")) for name, d in errors.items() if d is not None}
    assert refs == {
        "work fails": None,
        "fails with QuotaExceeded": "QuotaExceeded",
        "fails with Forbidden": "Forbidden",
    }
    for boundary in boundaries:
        if boundary.find("bpmn:errorEventDefinition", ZEEBE) is not None:
            assert _outputs(boundary) == [("=error", "error")]


@pytest.mark.parametrize(
    ("flavor", "condition"),
    [
        ("generic", 'error["name"] == "QuotaExceeded"'),
        ("javascript", 'environment.variables["error"]["name"] === "QuotaExceeded"'),
    ],
)
def test_named_catches_are_conditions_after_the_retry_loop(flavor: str, condition: str) -> None:
    """Without native retries every failure passes the retry gateway first; a named catch is a condition."""
    root = _data_flow(flavor)
    assert root.find(".//bpmn:boundaryEvent[@name='fails with QuotaExceeded']", ZEEBE) is None
    conditions = [c.text or "" for c in root.iterfind(".//bpmn:conditionExpression", ZEEBE)]
    assert any(condition in c for c in conditions), conditions
