"""Shared test settings: Hypothesis profiles and paths to the examples."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=100
)
settings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=100, derandomize=True
)
settings.register_profile(
    "thorough", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=2000
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default"))


def example_files() -> list[Path]:
    """Return every example spec, sorted."""
    return sorted(EXAMPLES.glob("*.wf"))


@pytest.fixture
def kitchen_sink() -> str:
    """A spec that uses most constructs, kept beside the tests."""
    return (Path(__file__).parent / "front" / "data" / "kitchen_sink.wf").read_text("utf-8")


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add `--update-golden`: rewrite golden files from the current output instead of comparing."""
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/ from the current output instead of comparing against it",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when the run was asked to rewrite golden files (`pytest --update-golden`)."""
    return bool(request.config.getoption("--update-golden"))
