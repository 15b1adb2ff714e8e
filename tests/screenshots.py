"""Write the pictures the README shows: two examples' BPMN as bpmn-js draws it, and their design reports.

`make screenshots` runs this (`python -m tests.screenshots docs/images`). It uses
the test browser (Debian's chromium through Playwright, `tests/browser.py`),
bpmn-js from `make tools`, and the `bpmn` and `report` targets exactly as
`statewright build` runs them, so the pictures show what users get.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Browser

from statewright.plugins.api import TargetOptions
from statewright.plugins.manager import PluginManager
from tests.browser import chromium, watch
from tests.targets.bpmn.bpmn_js import open_viewer, render
from tests.targets.report.support import build_report
from tests.targets.specs import example, example_paths

EXAMPLES = ("order_fulfilment", "deploy_pipeline")
WIDTH = 2000


def bpmn_picture(browser: Browser, name: str, out: Path, scratch: Path) -> Path:
    """Render one example's `bpmn` output with bpmn-js, fitted to a window of the diagram's proportions."""
    target = PluginManager(entry_points=False).targets()["bpmn"]
    (artifact,) = target.generate(example(name), TargetOptions(f"{name}.wf")).artifacts
    viewer = open_viewer(browser, scratch, WIDTH, 1000)
    rendered = render(viewer, artifact.content)
    assert not rendered.warnings and not rendered.console, (rendered.warnings, rendered.console)
    inner = viewer.page.evaluate("() => window.viewer.get('canvas').viewbox().inner")
    height = max(400, min(1400, round(WIDTH * (inner["height"] + 80) / (inner["width"] + 80))))
    viewer.page.set_viewport_size({"width": WIDTH, "height": height})
    viewer.page.evaluate("() => window.viewer.get('canvas').zoom('fit-viewport', 'auto')")
    path = out / f"{artifact.path.removesuffix('.bpmn')}.bpmn.png"
    viewer.page.screenshot(path=str(path))
    viewer.page.close()
    return path


def report_picture(browser: Browser, name: str, out: Path, scratch: Path) -> Path:
    """Open one example's design report, click its most severe finding, and picture the top of the page."""
    path = next(path for path in example_paths() if path.stem == name)
    built = build_report(path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path)
    page_file = scratch / f"{built.machine.name}.report.html"
    page_file.write_text(built.page, "utf-8")
    watched = watch(browser, 1400, 1000)
    watched.page.goto(page_file.as_uri())
    findings = watched.page.locator("button.sw-finding")
    if findings.count():
        ranks = {"error": 0, "warning": 1, "info": 2}
        worst = min(
            range(len(built.review.findings)),
            key=lambda i: (ranks[built.review.findings[i].diagnostic.severity.value], i),
        )
        watched.page.eval_on_selector("#sw-diagram", "diagram => diagram.setAttribute('data-step-ms', '50')")
        findings.nth(worst).click()
        last = max(len(built.review.findings[worst].path) - 1, 0)
        if built.review.findings[worst].path:
            watched.page.wait_for_selector(f'#sw-diagram[data-step="{last}"]', state="attached")
    assert watched.console == [], watched.console
    picture = out / f"{built.machine.name}.report.png"
    watched.page.screenshot(path=str(picture))
    watched.page.close()
    return picture


def main(argv: list[str]) -> int:
    """Write the pictures into the directory named on the command line (default: docs/images)."""
    out = Path(argv[1] if len(argv) > 1 else "docs/images")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch, chromium() as browser:
        for name in EXAMPLES:
            print(bpmn_picture(browser, name, out, Path(scratch)))
            print(report_picture(browser, name, out, Path(scratch)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
