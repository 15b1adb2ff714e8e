"""Every example's BPMN, both flavours, rendered by bpmn-js in chromium: no warnings, no overlapping labels.

The layout decides where labels go (`BPMNLabel` bounds in the DI); this checks
what a modeller sees: bpmn-js imports the file without a warning or a console
error, and no two elements' rendered labels overlap.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from statewright.plugins.api import TargetOptions
from statewright.plugins.manager import PluginManager
from tests.browser import Watched, chromium
from tests.targets.bpmn.bpmn_js import Label, open_viewer, overlapping, render
from tests.targets.specs import example, example_paths

FLAVOURS = ("bpmn", "bpmn-zeebe")
CASES = [(path.stem, flavour) for path in example_paths() for flavour in FLAVOURS]


@pytest.fixture(scope="module")
def viewer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Watched]:
    """One chromium page with bpmn-js loaded, for the module."""
    browser: Browser
    with chromium() as browser:
        yield open_viewer(browser, tmp_path_factory.mktemp("bpmn-js"))


def _bpmn(name: str, flavour: str) -> str:
    target = PluginManager(entry_points=False).targets()[flavour]
    (artifact,) = target.generate(example(name), TargetOptions(f"{name}.wf")).artifacts
    return artifact.content


def _said(label: Label) -> str:
    return f"{label.owner} {label.text!r} at {tuple(round(v) for v in label.box)}"


@pytest.mark.parametrize(("name", "flavour"), CASES, ids=[f"{n}-{f}" for n, f in CASES])
def test_bpmn_js_renders_without_warnings_and_labels_do_not_overlap(
    name: str, flavour: str, viewer: Watched
) -> None:
    viewer.console.clear()
    rendered = render(viewer, _bpmn(name, flavour))
    assert rendered.warnings == ()
    assert rendered.console == ()
    assert rendered.labels, "bpmn-js drew no labels"
    clashes = [f"{_said(a)} / {_said(b)}" for a, b in overlapping(rendered.labels)]
    assert clashes == [], f"{len(clashes)} overlapping label pairs"


TWO_TASKS = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  id="d" targetNamespace="urn:test">
  <process id="p" isExecutable="false">
    <task id="a" name="reserve stock" /><task id="b" name="charge card" />
  </process>
  <bpmndi:BPMNDiagram id="dia"><bpmndi:BPMNPlane id="plane" bpmnElement="p">
    <bpmndi:BPMNShape id="a_di" bpmnElement="a"><dc:Bounds x="{ax}" y="100" width="100" height="80" />
    </bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="b_di" bpmnElement="b"><dc:Bounds x="100" y="100" width="100" height="80" />
    </bpmndi:BPMNShape>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</definitions>
"""


def test_the_overlap_measure_sees_an_overlap(viewer: Watched) -> None:
    """The check itself: two tasks drawn on top of each other overlap; side by side they do not."""
    stacked = render(viewer, TWO_TASKS.format(ax=110))
    assert stacked.warnings == ()
    assert [(a.owner, b.owner) for a, b in overlapping(stacked.labels)] in ([("a", "b")], [("b", "a")])
    apart = render(viewer, TWO_TASKS.format(ax=300))
    assert len(apart.labels) == 2
    assert overlapping(apart.labels) == []
