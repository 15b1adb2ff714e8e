"""Where the tests find the real external checkers (asl-validator, bpmnlint) and interpreters (feelin).

`make unit` installs them under `.tools/node` (see the Makefile); a test that
needs one fails, never skips, when it is missing, so CI cannot pass without it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

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


def node_package(name: str) -> Path:
    """Return the directory of an npm package (such as `@bpmn-io/feelin`) installed by `make tools`.

    Fails the test, never skips, when it is missing.
    """
    path = NODE_TOOLS / "node_modules" / name
    if not (path / "package.json").exists():
        raise AssertionError(f"{name} is not installed: run `make tools` (it installs into {NODE_TOOLS})")
    return path


def run_node_script(script: Path, payload: Any, timeout: float = 120) -> Any:
    """Run a node script with the npm prefix `make tools` fills as its argument, JSON in, JSON out.

    One process for a whole batch: node starts in about 100 ms, too slow to spawn once per example.
    """
    node = shutil.which("node")
    if node is None:
        raise AssertionError("node is not installed: it is needed for the npm-installed checkers")
    done = subprocess.run(
        [node, str(script), str(NODE_TOOLS)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise AssertionError(f"{script.name} failed ({done.returncode}): {done.stderr}")
    return json.loads(done.stdout)
