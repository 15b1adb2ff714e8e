"""The package's import layers are exactly the ones docs/ARCHITECTURE.md draws.

The drawing is the fenced `layers` block under "Layers" in docs/ARCHITECTURE.md:
one line per layer, `name -> the layers it may import`. This test reads that
block and every module of the package (module-level, function-level and
`TYPE_CHECKING` imports alike) and fails on any edge the drawing does not allow,
on a module that belongs to no drawn layer, and on a drawn edge nothing uses
(so the drawing stays exact, not merely permissive).

A target (a package or module under `statewright/targets/`) is its own layer
unit: it may import the shared helper modules the drawing's `targets.shared`
line names, never another target.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "statewright"
DRAWING = ROOT / "docs" / "ARCHITECTURE.md"


def drawing() -> dict[str, frozenset[str]]:
    """The `layers` block of the architecture page: layer -> the layers it may import."""
    text = DRAWING.read_text(encoding="utf-8")
    match = re.search(r"```layers\n(.*?)```", text, re.DOTALL)
    assert match is not None, "docs/ARCHITECTURE.md has no ```layers block"
    allowed: dict[str, frozenset[str]] = {}
    for line in match.group(1).splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, rest = line.partition("->")
        allowed[name.strip()] = frozenset(rest.split())
    return allowed


def module_name(path: Path) -> str:
    """`statewright/targets/asl/build.py` -> `statewright.targets.asl.build`."""
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, top_level: bool = False) -> Iterator[str]:
    """Every module `path` imports, anywhere in the file (or only in module-level statements)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level else ast.walk(tree)
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in nodes:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], *([base] if base else [])])
            yield from (f"{base}.{alias.name}" for alias in node.names)


def layer_of(module: str, layers: dict[str, frozenset[str]]) -> str | None:
    """The drawn layer `module` belongs to; targets are one unit per package or module."""
    parts = module.split(".")
    if parts[0] != "statewright":
        return None
    if len(parts) == 1 or parts[1] == "__version__":
        return "version"  # the package itself: `__version__`
    if parts[1] == "targets":
        if len(parts) == 2:
            return "targets"
        return "targets.shared" if parts[2] in layers["targets.shared"] else f"targets.{parts[2]}"
    return parts[1] if parts[1] in layers else None


def unit_rule(layer: str) -> str:
    """The drawing's line that governs `layer`.

    Every target, and the targets' shared helpers, follow the `targets` line (the
    `targets.shared` line only names the helper modules).
    """
    return "targets" if layer.startswith("targets.") else layer


def edges() -> dict[tuple[str, str], list[str]]:
    """(importing layer, imported layer) -> where, for every cross-layer import in the package."""
    layers = drawing()
    found: dict[tuple[str, str], list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        # the package root's own file is the `package` layer (it reaches the API lazily); importing
        # `statewright` or its `__version__` is the `version` layer
        source = "package" if path == PACKAGE / "__init__.py" else layer_of(module_name(path), layers)
        assert source is not None, f"{path.relative_to(ROOT)} belongs to no layer of the drawing"
        for imported in imports(path):
            target = layer_of(imported, layers)
            if target is None or target == source:
                continue
            found.setdefault((source, target), []).append(f"{path.relative_to(ROOT)} imports {imported}")
    return found


def test_every_import_follows_the_drawing() -> None:
    layers = drawing()
    wrong: list[str] = []
    for (source, target), where in sorted(edges().items()):
        rule = unit_rule(source)
        allowed = layers[rule]
        if target.startswith("targets.") and target != "targets.shared":
            ok = "targets.*" in allowed  # only a layer above the targets may import one
        else:
            ok = target in allowed
        if not ok:
            wrong.append(
                f"{source} -> {target}: {where[0]}" + (f" (+{len(where) - 1})" if len(where) > 1 else "")
            )
    assert wrong == [], "imports the architecture drawing forbids:\n" + "\n".join(wrong)


def test_the_drawing_has_no_unused_edges() -> None:
    """Each allowed edge is used by some module, so the drawing says what the code does."""
    layers = drawing()
    used = {
        (unit_rule(s), "targets.*" if t.startswith("targets.") and t != "targets.shared" else t)
        for s, t in edges()
    }
    unused = sorted(
        f"{layer} -> {target}"
        for layer, targets in layers.items()
        if layer != "targets.shared"
        for target in targets
        if (layer, target) not in used
    )
    assert unused == [], "edges the drawing allows but no module uses:\n" + "\n".join(unused)


def test_the_runtime_stands_on_the_standard_library() -> None:
    """What deployed services import: the runtime and the layers below it load no third-party package.

    (Checking an IR file against its JSON Schema imports `jsonschema` when called; loading does not.)
    """
    third_party: list[str] = []
    for folder in ("runtime", "semantics", "ir", "diagnostics"):
        for path in sorted((PACKAGE / folder).rglob("*.py")):
            for imported in imports(path, top_level=True):
                top = imported.split(".")[0]
                if top and top != "statewright" and top not in _STDLIB:
                    third_party.append(f"{path.relative_to(ROOT)} imports {imported}")
    assert third_party == []


_STDLIB = frozenset(__import__("sys").stdlib_module_names) | {"__future__"}
