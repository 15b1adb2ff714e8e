"""The registry of diagnostic codes: every finding statewright reports has one.

Codes are stable: once published a code keeps its meaning, and a retired number is not
reused. Families: SW0xx input and syntax, SW1xx names, SW2xx types (`codes`), then SW3xx
structure, SW4xx guards, SW5xx sagas, SW6xx approvals and waits, SW7xx retries and
timeouts, SW8xx parallel and compound states, SW90x plugins and the command line, SW91x
and up targets, SW96x runtime, SW98x `statewright test` (`catalog`).

`BUILTIN_CODES` is built from those tables alone, so it is complete as soon as
`statewright.diagnostics` is imported and does not depend on which stages, targets or
plugins were imported, or in which order (as mypy's `errorcodes` and ruff's code table are
one table, not something each checker adds to when it is loaded).

Plugins add their own codes with `register`, under their own prefix: `SW` is reserved for
built-in codes. A plugin code that reuses a built-in code, or takes an `SW` code, raises
`CodeClashError`; when a plugin does that while it is imported, the plugin manager skips
the plugin and reports a warning (SW900) naming the code, never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType, ModuleType

from statewright.diagnostics import codes
from statewright.diagnostics.catalog import FAMILIES
from statewright.diagnostics.model import Code

BUILTIN_PREFIX = "SW"
"""The prefix of every built-in code; plugins must use another."""


class CodeClashError(ValueError):
    """A plugin tried to register a code that is built in, reserved, or already registered differently."""


def _defined(families: Iterable[ModuleType]) -> Mapping[str, Code]:
    """Return every `Code` constant the family modules define, by code, in code order."""
    found: dict[str, Code] = {}
    for module in families:
        for value in vars(module).values():
            if not isinstance(value, Code):
                continue
            known = found.setdefault(value.code, value)
            if known != value:
                raise CodeClashError(
                    f"built-in code {value.code} is defined twice ({known.name}, {value.name})"
                )
    return MappingProxyType(dict(sorted(found.items())))


BUILTIN_CODES: Mapping[str, Code] = _defined((codes, *FAMILIES))
"""Every built-in code by its id (`SW301`), read-only, in code order."""

RETIRED_CODES: Mapping[str, str] = MappingProxyType(
    {
        "SW111": "final-with-exits: never reported; the grammar admits only `doc`, `entry` and "
        "`outcome` in a final state, so a transition there is a syntax error (SW010)",
    }
)
"""Built-in numbers no longer in use, and why; a retired number is never given to another code."""

_plugin_codes: dict[str, Code] = {}
"""Codes plugins registered with `register`: the registry's only mutable part."""


class _Registry(Mapping[str, Code]):
    """A read-only view: the built-in codes, then the codes plugins registered."""

    def __getitem__(self, code: str) -> Code:
        found = BUILTIN_CODES.get(code)
        return found if found is not None else _plugin_codes[code]

    def __iter__(self) -> Iterator[str]:
        yield from BUILTIN_CODES
        yield from _plugin_codes

    def __len__(self) -> int:
        return len(BUILTIN_CODES) + len(_plugin_codes)


CODES: Mapping[str, Code] = _Registry()
"""Every known code: built-in ones and those plugins registered (what reports and SARIF rules list)."""


def register(code: Code) -> Code:
    """Add a plugin's `code` to the registry and return the registered definition (the first of equal ones).

    Raises `CodeClashError` for a code that differs from a built-in or an already registered
    code of the same id, and for a new code with the reserved `SW` prefix.
    """
    builtin = BUILTIN_CODES.get(code.code)
    if builtin is not None:
        if builtin != code:
            raise CodeClashError(
                f"diagnostic code {code.code} is statewright's built-in `{builtin.name}`; "
                f"a plugin cannot redefine it as `{code.name}` (use the plugin's own prefix)"
            )
        return code
    if code.code.startswith(BUILTIN_PREFIX):
        raise CodeClashError(
            f"diagnostic code {code.code} (`{code.name}`) uses the prefix `{BUILTIN_PREFIX}`, "
            "which is reserved for statewright's built-in codes (use the plugin's own prefix)"
        )
    existing = _plugin_codes.setdefault(code.code, code)
    if existing != code:
        raise CodeClashError(f"diagnostic code {code.code} is already registered as `{existing.name}`")
    return existing


def lookup(code: str) -> Code:
    """Return the definition of `code`, built-in or registered by a plugin (KeyError if unknown)."""
    return CODES[code]
