"""Where the tests find the real external checkers (asl-validator, bpmnlint).

`make unit` installs them under `.tools/node` (see the Makefile); a test that
needs one fails, never skips, when it is missing, so CI cannot pass without it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_TOOLS = Path(os.environ.get("STATEWRIGHT_NODE_TOOLS", ROOT / ".tools" / "node"))


def node_tool(name: str) -> Path:
    """Return the path of an npm-installed command such as `asl-validator`; fail the test if absent."""
    path = NODE_TOOLS / "node_modules" / ".bin" / name
    if path.exists():
        return path
    found = shutil.which(name)
    if found is None:
        raise AssertionError(f"{name} is not installed: run `make tools` (it installs into {NODE_TOOLS})")
    return Path(found)
