"""Importing generated Python modules in tests: write the text to a file, import it under a fresh name."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def import_file(path: Path, module_name: str) -> ModuleType:
    """Import the module at `path` as `module_name` (registered in `sys.modules`, as dataclasses need)."""
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def load_module(text: str, folder: Path, name: str) -> ModuleType:
    """Write `text` as `name.py` in `folder` and import it under a name unique to that folder."""
    path = folder / f"{name}.py"
    path.write_text(text, "utf-8")
    return import_file(path, f"sw_generated_{name}_{abs(hash(str(folder)))}")
