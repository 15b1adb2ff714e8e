"""`.pre-commit-hooks.yaml`: both hooks run through `pre-commit try-repo` in a temporary git repository.

try-repo installs the hooks' environment (once per run: it uses a fresh store) from this
repository (its HEAD commit: the shadow copy pre-commit makes of uncommitted changes
leaves out untracked files), with
pip reading the package indexes pip is configured with; nothing is cloned from a forge.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parents[2]
BROKEN = (
    "workflow Broken {\n  events { submit, approve }\n"
    "  initial state Draft { on submit -> Waiting  timeout 1h -> Done }\n"
    "  state Waiting { on approve -> Done }\n  final state Done\n}\n"
)
"""Waiting has no timeout (SW601) and leaves events undecided (SW311): warnings, failures under `strict`."""
MESSY = (
    "workflow Messy {\nevents { go }\n"
    "    initial state A { on go -> B  timeout 1h -> B }\n  final state B\n}\n"
)


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd` and return its output."""
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def try_repo(repo: Path, home: Path, head: str) -> subprocess.CompletedProcess[str]:
    """Run this repository's hooks (at commit `head`) on every file of `repo`."""
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1", "PRE_COMMIT_COLOR": "never"}
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "--ref", head, "--all-files"]
    return subprocess.run(
        command, cwd=repo, capture_output=True, text=True, env=env, timeout=900, check=False
    )


def test_the_manifest_declares_both_hooks() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))}
    assert set(hooks) == {"statewright-check", "statewright-fmt"}
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["files"] == r"\.wf$"
        assert hook["entry"].startswith("statewright ")


def test_try_repo_runs_check_and_fmt(tmp_path: Path) -> None:
    repo = tmp_path / "project"
    (repo / "specs").mkdir(parents=True)
    git(repo, "init", "-q")
    (repo / "specs" / "broken.wf").write_text(BROKEN, "utf-8")
    (repo / "specs" / "messy.wf").write_text(MESSY, "utf-8")
    (repo / "notes.txt").write_text("not a spec { \n", "utf-8")
    (repo / "pyproject.toml").write_text("[tool.statewright]\nstrict = true\n", "utf-8")
    git(repo, "add", ".")
    home = tmp_path / "pre-commit-home"
    head = git(ROOT, "rev-parse", "HEAD")

    first = try_repo(repo, home, head)
    output = first.stdout + first.stderr
    assert first.returncode == 1, output
    assert "statewright check" in output and "SW601" in output and "broken.wf" in output
    assert "files were modified by this hook" in output and "reformatted specs/messy.wf" in output
    assert "notes.txt" not in output
    formatted = (repo / "specs" / "messy.wf").read_text("utf-8")
    assert formatted != MESSY and formatted.startswith("workflow Messy {\n  events {")
