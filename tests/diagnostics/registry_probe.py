"""Run in a fresh interpreter: what the code registry holds before and after importing everything.

`python -m tests.diagnostics.registry_probe` prints one JSON document:

- `alone`: the registry right after `import statewright.diagnostics` (and nothing else),
  and `loaded`, the statewright modules that import loaded;
- `everything`: the registry after importing every module of the package and building
  the plugin manager (built-in plugins and entry points);
- `used`: the codes of the `Code` values the modules outside `statewright.diagnostics`
  refer to in their code (import lines do not count), resolved through each module's
  globals, so a code that is defined but never reported is missing from it;
- `mentioned`: every `SWnnn` the package's source text names (ranges `SWnnn-SWmmm` aside).
"""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

MENTION = re.compile(r"\bSW[0-9]{3}\b")
RANGE = re.compile(r"\bSW[0-9]{3}\s*[-–]\s*SW[0-9]{3}\b")
SOURCE_SUFFIXES = (".py", ".jinja", ".lark", ".json")


def snapshot() -> dict[str, list[str]]:
    """Every registered code as its fields, by code."""
    from statewright.diagnostics import CODES

    return {key: [c.code, c.name, c.severity.value, c.title, c.help] for key, c in CODES.items()}


def import_everything() -> list[ModuleType]:
    """Import every module of the package (not `__main__`), then build the plugin manager."""
    import statewright
    from statewright.plugins.manager import PluginManager

    modules = [statewright]
    for info in pkgutil.walk_packages(statewright.__path__, "statewright."):
        if info.name.rsplit(".", 1)[-1] != "__main__":
            modules.append(importlib.import_module(info.name))
    manager = PluginManager()
    manager.diagnostics  # noqa: B018 - calls every hook, as `check` does
    return modules


def used_codes(modules: list[ModuleType]) -> set[str]:
    """Codes of the `Code` values that modules outside `statewright.diagnostics` use in their code."""
    from statewright.diagnostics import Code

    used: set[str] = set()
    for module in modules:
        if module.__name__.startswith("statewright.diagnostics") or module.__file__ is None:
            continue
        tree = ast.parse(Path(module.__file__).read_text("utf-8"))
        names = vars(module)
        for node in ast.walk(tree):
            value: Any = None
            if isinstance(node, ast.Name):
                value = names.get(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                owner = names.get(node.value.id)
                if isinstance(owner, ModuleType):
                    value = getattr(owner, node.attr, None)
            if isinstance(value, Code):
                used.add(value.code)
    return used


def mentioned_codes(root: Path) -> set[str]:
    """Every `SWnnn` the package's source files name, leaving out the ends of ranges."""
    found: set[str] = set()
    for path in sorted(root.rglob("*")):
        if path.suffix in SOURCE_SUFFIXES and path.is_file():
            text = RANGE.sub("", path.read_text("utf-8"))
            found.update(MENTION.findall(text))
    return found


def main() -> None:
    """Print the probe's JSON document on stdout."""
    import statewright.diagnostics

    alone = snapshot()
    loaded = sorted(name for name in sys.modules if name == "statewright" or name.startswith("statewright."))
    root = Path(statewright.diagnostics.__file__).parent.parent
    modules = import_everything()
    document = {
        "alone": alone,
        "loaded": loaded,
        "everything": snapshot(),
        "used": sorted(used_codes(modules)),
        "mentioned": sorted(mentioned_codes(root)),
    }
    json.dump(document, sys.stdout)


if __name__ == "__main__":
    main()
