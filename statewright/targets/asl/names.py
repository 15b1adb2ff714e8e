"""Step Functions state names: readable, unique, deterministic and at most 80 characters.

An IR leaf state keeps its own name (`Draft`, `Fulfilling.charge_card`) for the
Pass or terminal state that marks entering it, so an execution's history reads
in the workflow's words. Every other ASL state is named after the leaf it
serves and what it does (`Draft | wait`, `Draft | submit -> Validating | set
validation_attempts`). IR names never contain a space, so the two kinds cannot
collide. A name over the limit is cut and given a stable hash suffix.
"""

from __future__ import annotations

import hashlib

MAX_NAME = 80
"""Step Functions' limit on a state name's length."""


def _fit(name: str) -> str:
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    return name[: MAX_NAME - 10] + "~" + digest + "~"


class Namer:
    """Hands out unique state names in the order they are asked for (so the result is deterministic)."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.by_key: dict[tuple[str, ...], str] = {}
        self.tried: dict[str, int] = {}
        """Base name -> the suffix number its last numbered candidate reached (lower ones are all used)."""

    def name(self, *key: str) -> str:
        """The name for `key` (parts joined by ` | `); the same key always gets the same name."""
        found = self.by_key.get(key)
        if found is not None:
            return found
        base = _fit(" | ".join(key))
        candidate, number = base, self.tried.get(base, 2)
        if base in self.used:
            candidate = self._numbered(base, number)
        while candidate in self.used:
            number += 1
            candidate = self._numbered(base, number)
        if candidate != base:
            self.tried[base] = number
        self.used.add(candidate)
        self.by_key[key] = candidate
        return candidate

    @staticmethod
    def _numbered(base: str, number: int) -> str:
        """`base #number`, cut (and hashed) to fit."""
        suffix = f" #{number}"
        return (
            _fit(base[: MAX_NAME - len(suffix)] + suffix)
            if len(base) + len(suffix) > MAX_NAME
            else base + suffix
        )
