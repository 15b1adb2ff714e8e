"""The python target's module for a machine, imported in memory, and the workflow class it defines.

`statewright test` checks the code users run, not a re-interpretation of the
IR: it renders the module the python target writes, imports it under a fresh
name, and drives its durable workflow class on an in-memory store.
"""

from __future__ import annotations

import itertools
import sys
import types

from statewright import ir
from statewright.runtime.workflow import Workflow
from statewright.targets.python import render_module

_serial = itertools.count(1)


def import_source(text: str, label: str) -> types.ModuleType:
    """Execute generated module text as a fresh module (registered in `sys.modules`, as dataclasses need)."""
    name = f"statewright_generated_{label}_{next(_serial)}"
    module = types.ModuleType(name)
    module.__file__ = f"<generated {label}>"
    sys.modules[name] = module
    exec(compile(text, module.__file__, "exec"), module.__dict__)  # our own generated code, never spec text
    return module


def workflow_class(module: types.ModuleType) -> type[Workflow]:
    """The durable workflow class a generated module defines (the one `Workflow` subclass in it)."""
    found = [
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, Workflow) and value is not Workflow
    ]
    if len(found) != 1:
        raise LookupError(f"expected one Workflow subclass in {module.__name__}, found {len(found)}")
    return found[0]


def generated_workflow(machine: ir.Machine, source_name: str = "") -> type[Workflow]:
    """Render the machine's python module, import it, and return its durable workflow class."""
    text = render_module(machine, source_name)
    return workflow_class(import_source(text, machine.name.lower()))
