"""The design report in a real browser: it loads cleanly, fetches nothing, and clicking a finding shows it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from statewright.targets.statechart import state_element_ids, transition_element_id
from tests.browser import chromium, watch
from tests.targets.report.support import build_report
from tests.targets.specs import example_paths

IDS = "elements => elements.map(element => element.id).sort()"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One chromium for the module."""
    with chromium() as launched:
        yield launched


@pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.stem)
def test_the_report_loads_offline_and_each_finding_highlights_its_states(
    path: Path, browser: Browser, tmp_path: Path
) -> None:
    built = build_report(path)
    file = tmp_path / f"{built.machine.name}.report.html"
    file.write_text(built.page, "utf-8")
    watched = watch(browser)
    page = watched.page
    page.goto(file.as_uri())
    page.wait_for_load_state("load")
    assert watched.console == []
    assert watched.requests == [file.as_uri()]  # the page itself, nothing else
    assert page.locator("svg.sw-statechart").count() == 1
    elements = state_element_ids(built.machine)
    buttons = page.locator("button.sw-finding")
    assert buttons.count() == len(built.review.findings)
    page.eval_on_selector("#sw-diagram", "diagram => diagram.setAttribute('data-step-ms', '20')")
    for index, finding in enumerate(built.review.findings):
        buttons.nth(index).click()
        highlighted = page.eval_on_selector_all(".sw-hl", IDS)
        assert highlighted == sorted(elements[name] for name in finding.states), finding.diagnostic
        assert highlighted, f"{finding.diagnostic.code} highlights nothing"
        if finding.path:  # the counterexample plays to its last step
            last = len(finding.path) - 1
            page.wait_for_selector(f'#sw-diagram[data-step="{last}"]', state="attached")
            shown = page.eval_on_selector_all(".sw-step", IDS)
            step = finding.path[last]
            edge = [] if step.transition is None else [transition_element_id(step.transition)]
            assert shown == sorted([*(elements[name] for name in step.states), *edge])
    assert watched.console == []
    assert watched.requests == [file.as_uri()]
    page.close()
