"""Python names for DSL names: unique, valid, never a keyword, never shadowing the runtime's API.

DSL names are ASCII identifiers (`[A-Za-z_][A-Za-z0-9_]*`), and synthesised
states add dots (`Fulfilling.reserve_stock`). Each namespace of the generated
module (enum members, context attributes, event methods) gets its own
`Namer`, which hands out names in a fixed order, so the same IR always gives
the same names.
"""

from __future__ import annotations

import keyword
import re
import sys

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_WORD = re.compile(r"[^A-Za-z0-9]+")

MACHINE_API = frozenset(
    {
        "send",
        "send_as",
        "tick",
        "run_work",
        "report",
        "pause_instance",
        "resume_instance",
        "cancel_instance",
        "reroute",
        "rollback",
        "redrive",
        "snapshot",
        "leaves",
        "status",
        "values",
        "timers",
        "work",
        "innermost",
        "state",
        "active",
        "context",
        "definition",
        "id",
        "workflow",
        "runtime",
        "audit",
        "verify",
        "mro",
    }
)
"""Attributes of `Machine` and `InstanceHandle` (and what generated classes add) that an event
method must not replace."""


_PACKAGES = frozenset({"statewright", "tests"})
"""Top-level names a generated module beside the user's code must not take either."""


class Namer:
    """Hands out unique Python names in one namespace."""

    def __init__(self, taken: frozenset[str] = frozenset()) -> None:
        self._taken = set(taken)

    def claim(self, wanted: str) -> str:
        """Return `wanted`, or `wanted_2`, `wanted_3`, ... whichever is free first."""
        name, number = wanted, 1
        while name in self._taken or keyword.iskeyword(name):
            number += 1
            name = f"{wanted}_{number}"
        self._taken.add(name)
        return name


def constant_name(name: str) -> str:
    """`Fulfilling.reserve_stock` -> `FULFILLING_RESERVE_STOCK` (an enum member name)."""
    words = _NOT_WORD.sub("_", _WORD_BOUNDARY.sub("_", name)).strip("_").upper()
    words = re.sub("_+", "_", words)
    if not words or words[0].isdigit():
        words = f"S_{words}"
    return words


def snake(name: str) -> str:
    """`Fulfilling.reserveStock` -> `fulfilling_reserve_stock` (a part of a generated function's name)."""
    return re.sub("_+", "_", _NOT_WORD.sub("_", _WORD_BOUNDARY.sub("_", name)).strip("_").lower())


def attribute_name(name: str) -> str:
    """A context field's attribute: the field's name, unless Python reserves it."""
    if keyword.iskeyword(name):
        return f"{name}_"
    if name.startswith("__"):
        return f"f{name}"
    return name


def method_name(name: str) -> str:
    """An event's method: the event's name, unless it is a keyword, private, or the runtime's API."""
    if keyword.iskeyword(name) or name.startswith("_") or name in MACHINE_API:
        return f"send_{name}"
    return name


def camel(name: str) -> str:
    """`customer_tier` -> `CustomerTier`."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part) or "Value"


def class_prefix(name: str) -> str:
    """The workflow's name as a class-name prefix (`OrderFulfilment`)."""
    cleaned = _NOT_WORD.sub("_", name)
    head = cleaned[:1].upper() + cleaned[1:]
    return head if head.isidentifier() and not keyword.iskeyword(head) else f"W{head}"


def module_name(name: str) -> str:
    """The generated module's file stem: the workflow's name in snake case (`order_fulfilment`)."""
    stem = snake(name) or "workflow"
    if stem[0].isdigit() or keyword.iskeyword(stem):
        stem = f"wf_{stem}"
    if stem in sys.stdlib_module_names or stem in _PACKAGES:
        stem = f"{stem}_workflow"  # `workflow Email` must not shadow the standard library's `email`
    return stem
