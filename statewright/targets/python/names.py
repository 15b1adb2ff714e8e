"""The python target's safe names: `statewright.targets.python_names`, shared by every target writing Python.

Kept here so the python target's modules (and the `pytest` target) read their
names as before; the definitions live in the shared helper, which the `temporal`
target uses too (a target may not import another target).
"""

from __future__ import annotations

from statewright.targets.python_names import (
    MACHINE_API,
    Namer,
    attribute_name,
    camel,
    class_prefix,
    constant_name,
    method_name,
    module_name,
    snake,
)

__all__ = [
    "MACHINE_API",
    "Namer",
    "attribute_name",
    "camel",
    "class_prefix",
    "constant_name",
    "method_name",
    "module_name",
    "snake",
]
