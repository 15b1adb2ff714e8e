"""Render a `.bpmn` file with bpmn-js (the viewer bpmn.io and Camunda's modeler use) in the test browser.

bpmn-js is npm-installed by `make tools` and served from those local files; the
page imports the XML, reports bpmn-js's import warnings, and measures every
label as rendered (its owner, text and box in diagram coordinates at zoom 1).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser

from tests.browser import Watched, watch
from tests.tools import node_package

PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8">
<link rel="stylesheet" href="{assets}/diagram-js.css">
<link rel="stylesheet" href="{assets}/bpmn-js.css">
<style>html, body {{ margin: 0; height: 100%; background: #fff; }}
#canvas {{ width: 100%; height: 100%; }}</style>
<script src="{viewer}"></script>
</head><body><div id="canvas"></div></body></html>
"""

RENDER = """async (xml) => {
  if (window.viewer) { window.viewer.destroy(); }
  const viewer = new BpmnJS({ container: '#canvas' });
  window.viewer = viewer;
  const result = await viewer.importXML(xml);
  const canvas = viewer.get('canvas');
  canvas.zoom(1);
  const registry = viewer.get('elementRegistry');
  const origin = canvas.getContainer().getBoundingClientRect();
  const viewbox = canvas.viewbox();
  const labels = [];
  for (const element of registry.getAll()) {
    const graphics = registry.getGraphics(element);
    if (!graphics) { continue; }
    const owner = element.labelTarget ? element.labelTarget.id : element.id;
    for (const text of graphics.querySelectorAll(':scope > .djs-visual > text')) {
      const content = text.textContent.trim();
      if (!content) { continue; }
      const box = text.getBoundingClientRect();
      const x = box.left - origin.left + viewbox.x, y = box.top - origin.top + viewbox.y;
      labels.push({ owner: owner, text: content, box: [x, y, x + box.width, y + box.height] });
    }
  }
  return { warnings: result.warnings.map(w => String(w.message || w)), labels: labels };
}"""


@dataclass(frozen=True)
class Label:
    """One rendered label: the element it belongs to, its text and its box (x0, y0, x1, y1)."""

    owner: str
    text: str
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class Rendered:
    """What bpmn-js made of one file."""

    warnings: tuple[str, ...]
    console: tuple[str, ...]
    labels: tuple[Label, ...]


def viewer_page(directory: Path) -> Path:
    """Write the viewer page (loading bpmn-js from `make tools`' files) into `directory`."""
    package = node_package("bpmn-js")
    page = directory / "bpmn-viewer.html"
    text = PAGE.format(
        assets=(package / "dist" / "assets").as_uri(),
        viewer=(package / "dist" / "bpmn-viewer.production.min.js").as_uri(),
    )
    page.write_text(text, "utf-8")
    return page


def open_viewer(browser: Browser, directory: Path, width: int = 1600, height: int = 1000) -> Watched:
    """A watched page with bpmn-js loaded."""
    watched = watch(browser, width, height)
    watched.page.goto(viewer_page(directory).as_uri())
    watched.page.wait_for_function("typeof BpmnJS === 'function'")
    return watched


def render(watched: Watched, xml: str) -> Rendered:
    """Import `xml` into the viewer and measure its labels."""
    result: dict[str, Any] = watched.page.evaluate(RENDER, xml)
    labels = tuple(
        Label(item["owner"], item["text"], (item["box"][0], item["box"][1], item["box"][2], item["box"][3]))
        for item in result["labels"]
    )
    return Rendered(tuple(result["warnings"]), tuple(watched.console), labels)


def overlapping(labels: tuple[Label, ...], slack: float = 1.0) -> list[tuple[Label, Label]]:
    """Pairs of labels of different elements whose boxes share more than `slack` in both directions."""
    found = []
    for first, second in itertools.combinations(labels, 2):
        if first.owner == second.owner:
            continue
        (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = first.box, second.box
        if min(ax1, bx1) - max(ax0, bx0) > slack and min(ay1, by1) - max(ay0, by0) > slack:
            found.append((first, second))
    return found
