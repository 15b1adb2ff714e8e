"""Generated code as conformance implementations: the python target's in-memory machine and durable classes.

Each subject's module is rendered by the python target and imported, so the
harness drives exactly what a user runs: compiled guards, the embedded IR, the
fast path of the in-memory machine (`send(event)` for plain requests), and the
durable instance's typed event methods.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from statewright import ir
from statewright.runtime.errors import WorkflowError
from statewright.runtime.machine import Machine
from statewright.runtime.memory import MemoryStore
from statewright.targets.python import render_module
from statewright.targets.python.view import module_view
from tests.generated import import_file
from tests.runtime.conformance import (
    INSTANCE_ID,
    ControlAction,
    FakeClock,
    Observation,
    RuntimeImplementation,
    observation,
    refusal,
)
from tests.runtime.reference import Presented

_FOLDER = Path(tempfile.mkdtemp(prefix="sw-generated-"))


def generated_module(name: str, machine: ir.Machine) -> ModuleType:
    """Render and import the python target's module for `machine` (once per name)."""
    module_name = f"sw_conformance_{name.replace('.', '_')}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    path = _FOLDER / f"{module_name}.py"
    path.write_text(render_module(machine, f"{name}.wf"), "utf-8")
    return import_file(path, module_name)


def _plain(presented: Presented) -> bool:
    return presented == Presented()


def params_of(machine: ir.Machine) -> dict[str, dict[str, tuple[str, bool]]]:
    """Per event with a payload: field -> (the typed method's parameter, whether it is required)."""
    return {
        m.event: {p.name: (p.parameter, p.default is None) for p in m.params}
        for m in module_view(machine, "x.wf").methods
        if m.params
    }


def typed_arguments(
    params: Mapping[str, tuple[str, bool]], data: Mapping[str, object] | None
) -> dict[str, object] | None:
    """The keyword arguments of a typed event method for `data`, or None when its names do not fit them."""
    given = dict(data or {})
    if not set(given) <= set(params) or any(
        required and name not in given for name, (_, required) in params.items()
    ):
        return None
    if not params and data is not None:
        return None
    return {params[name][0]: value for name, value in given.items()}


class GeneratedDurable(RuntimeImplementation):
    """The generated `<Name>` workflow on a `MemoryStore`, events sent through the typed event methods."""

    def __init__(self, module: ModuleType, machine: ir.Machine) -> None:
        prefix = module_view(machine, "x.wf").prefix
        store = MemoryStore()
        super().__init__("generated+durable", module.DEFINITION, store)
        self.flow = getattr(module, prefix)(store, clock=self.clock)
        self.runtime = self.flow.runtime
        self.methods = {m.event: m.method for m in module_view(machine, "x.wf").methods}
        self.params = params_of(machine)

    def send(self, event: str, presented: Presented, data: Mapping[str, object] | None = None) -> None:
        """Send through the instance handle's event method (or `send` for an undeclared event).

        A payload whose field names fit the method's parameters goes as its keyword
        arguments; any other (a field missing or undeclared) through `send(event, data)`.
        """
        typed = typed_arguments(self.params.get(event, {}), data)
        if not self.created or event not in self.methods or typed is None:
            super().send(event, presented, data)
            return
        handle = self.flow.instance(INSTANCE_ID)
        before = self._version()
        options: dict[str, Any] = {
            "actor": presented.actor,
            "permissions": presented.permissions,
            "scope": presented.scope,
            "key": presented.key,
            **{name: f"{name}-value" for name in presented.evidence},
        }
        if presented.delegate_to is not None:
            options["delegate_to"] = presented.delegate_to
        try:
            getattr(handle, self.methods[event])(**typed, **options)
        except WorkflowError as error:
            self.outcome = refusal(error)
            return
        if self._version() == before:
            self.outcome = "duplicate"
            return
        record = self.store.records(INSTANCE_ID)[before]
        self.outcome = "ignored" if record.outcome == "ignored" or record.reason == "ignored" else "applied"


class GeneratedMachine:
    """The generated in-memory `<Name>Machine`: plain events take `send(event)`, the compiled fast path."""

    def __init__(self, module: ModuleType, machine: ir.Machine) -> None:
        view = module_view(machine, "x.wf")
        self.method_of = {m.event: m.method for m in view.methods}
        self.cls = getattr(module, f"{view.prefix}Machine")
        self.attributes = {f.name: f.attribute for f in view.fields}
        self.required = {f.name for f in view.fields if f.default is None}
        self.machine: Any = None
        self.params = params_of(machine)
        self.clock = FakeClock()
        self.name = "generated+machine"
        self.created = False
        self.outcome = ""

    @property
    def store(self) -> Any:
        """The machine's `EphemeralStore`."""
        return self.machine._store

    def _auto(self, key: str) -> bool:
        return key.startswith(f"{INSTANCE_ID}:")

    def _version(self) -> int:
        return int(self.machine.snapshot().version) if self.created else 0

    def start(self, values: Mapping[str, ir.Value]) -> None:
        """Construct the machine through its typed keyword arguments (the base class when one is missing)."""
        try:
            if self.required <= set(values) and set(values) <= set(self.attributes):
                typed = {self.attributes[name]: value for name, value in values.items()}
                self.machine = self.cls(**typed, clock=self.clock, instance_id=INSTANCE_ID)
            else:
                self.machine = self.cls.__new__(self.cls)
                Machine.__init__(self.machine, values, clock=self.clock, instance_id=INSTANCE_ID)
        except WorkflowError as error:
            self.outcome = refusal(error)
            return
        self.created = True
        self.outcome = "applied"

    def send(self, event: str, presented: Presented, data: Mapping[str, object] | None = None) -> None:
        """`send(event)` (or the typed method, for a payload) for a plain request, `send_as` otherwise."""
        before = self.machine.snapshot().version
        last = self.store.last_record(INSTANCE_ID)
        typed = typed_arguments(self.params.get(event, {}), data) if event in self.params else None
        try:
            if _plain(presented) and typed is not None:
                getattr(self.machine, self.method_of[event])(**typed)
            elif _plain(presented) and data is None:
                self.machine.send(event)
            elif _plain(presented):
                self.machine.send(event, data=data)
            else:
                self.machine.send_as(
                    event,
                    {name: f"{name}-value" for name in presented.evidence},
                    actor=presented.actor,
                    permissions=presented.permissions,
                    scope=presented.scope,
                    key=presented.key,
                    delegate_to=presented.delegate_to,
                    data=data,
                )
        except WorkflowError as error:
            self.outcome = refusal(error)
            return
        record = self.store.last_record(INSTANCE_ID)
        if presented.key is not None and self.machine.snapshot().version == before:
            self.outcome = "duplicate"
        elif record is not last and record is not None and record.reason == "ignored":
            self.outcome = "ignored"
        else:
            self.outcome = "applied"

    def tick(self, now_ms: int) -> None:
        """Fire due timers."""
        self.clock.now = now_ms
        self.outcome = f"fired:{self.machine.tick(now_ms)}"

    def report(
        self,
        state: str,
        error: str | None,
        result: Mapping[str, object] | None = None,
        message: str | None = None,
    ) -> None:
        """Report invoked work's result through the machine."""
        work = [w for w in self.machine.work if w.kind == "invoke" and w.state == state]
        if not work:
            self.outcome = "unknown_work"
            return
        before = self._version()
        try:
            self.machine.report(work[0].key, error, result=result, message=message)
        except WorkflowError as failure:
            self.outcome = refusal(failure)
            return
        self.outcome = "applied" if self._version() != before else "stale"

    def finish_action(self, action: str, key: str | None, ok: bool) -> None:
        """Report a `do` result through the machine."""
        for work in self.machine.work:
            if work.kind != "do" or work.action != action:
                continue
            if (key is None and self._auto(work.key)) or work.key == key:
                self.machine.report(work.key, None if ok else "HandlerFailed")
                self.outcome = "done" if ok else "kept"
                return
        self.outcome = "unknown_work"

    def control(self, action: ControlAction) -> None:
        """Pause, resume, cancel through the machine's control methods."""
        call: Callable[[], None] = getattr(self.machine, f"{action}_instance")
        try:
            call()
        except WorkflowError as error:
            self.outcome = refusal(error)
            return
        self.outcome = "applied"

    def deliver_emits(self) -> None:
        """Deliver owed emits as the durable adapter does (an event from actor `workflow`)."""
        if not self.created:
            return
        for _ in range(100):
            emits = [w for w in self.machine.work if w.kind == "emit"]
            if not emits:
                return
            for work in emits:
                if self.machine.status == "running":
                    with contextlib.suppress(WorkflowError):
                        self.machine.send_as(work.action, actor="workflow")
                self.store.finish_work(INSTANCE_ID, work.key)

    def observe(self) -> Observation:
        """The machine's snapshot (pure moves written back), timers and outbox."""
        if not self.created:
            return observation(self.outcome, (), {}, "none", (), (), ())
        instance = self.machine.snapshot()
        timers = [(t.kind, t.state, str(t.due_ms)) for t in self.machine.timers]
        work = self.machine.work
        invoked = [(w.state or "", w.action, w.attempt) for w in work if w.kind == "invoke"]
        actions = [(w.action, "-" if self._auto(w.key) else w.key) for w in work if w.kind == "do"]
        return observation(
            self.outcome, instance.active, instance.context, instance.status, timers, invoked, actions
        )

    def check_replay(self) -> None:
        """An in-memory machine keeps no audit log: nothing to replay."""

    def close(self) -> None:
        """Nothing to release."""
