"""Random *valid* workflow sources for the BPMN property tests.

Plain states with guarded and unguarded event transitions (with `set`
actions), `else`, `reject`/`ignore`, hard timeouts and invoked work with
retries; optionally a compound state and a parallel state with two regions.
Data (issue 17): `go` carries a payload `k` that guards and `set`s may read,
work may return `r` read by guarded `done` transitions, and a named catch
`on error Flaky` may record the failure. Every target names a declared state,
so most drawn sources compile.
"""

from __future__ import annotations

from hypothesis import strategies as st

EVENTS = ("go", "stop", "poke")


@st.composite
def _plain(draw: st.DrawFn, name: str, targets: list[str], initial: bool) -> str:
    lines: list[str] = []
    for event in draw(st.lists(st.sampled_from(EVENTS), max_size=3, unique=True)):
        target = draw(st.sampled_from(targets))
        if draw(st.booleans()):
            bound = draw(st.integers(0, 4))
            reads = "event.k" if event == "go" and draw(st.booleans()) else "n"
            value = "event.k" if event == "go" and draw(st.booleans()) else "n + 1"
            action = f" {{ set n = {value} }}" if draw(st.booleans()) else ""
            lines.append(f"on {event} when {reads} < {bound} -> {target}{action}")
            if draw(st.booleans()):
                lines.append(f"on {event} else -> {draw(st.sampled_from(targets))}")
        else:
            lines.append(f"on {event} -> {target}")
    if draw(st.booleans()):
        lines.append(
            f"timeout {draw(st.sampled_from(['5s', '2m', '1h']))} -> {draw(st.sampled_from(targets))}"
        )
    if draw(st.booleans()):
        returns = draw(st.booleans())
        lines.append(f"invoke work_{name.lower()}" + (" returns { r: int 0..9 }" if returns else ""))
        if draw(st.booleans()):
            lines.append(f"retry {draw(st.integers(1, 2))} retry_on Flaky")
        if draw(st.booleans()):
            lines.append(f"on error Flaky -> {draw(st.sampled_from(targets))} {{ set n = 1 }}")
        if returns and draw(st.booleans()):
            lines.append(f"done when result.r < 5 -> {draw(st.sampled_from(targets))} {{ set n = result.r }}")
            lines.append(f"done else -> {draw(st.sampled_from(targets))}")
        else:
            lines.append(f"done -> {draw(st.sampled_from(targets))}")
    free = [e for e in EVENTS if not any(line.startswith(f"on {e} ") for line in lines)]
    refuse = bool(draw(st.booleans()))
    if free and refuse:
        lines.append(draw(st.sampled_from([f'reject {free[0]} "not now & <later>"', f"ignore {free[0]}"])))
    body = "\n    ".join(lines)
    prefix = "initial " if initial else ""
    return f"  {prefix}state {name} {{\n    {body}\n  }}"


@st.composite
def sources(draw: st.DrawFn) -> str:
    """The text of one workflow."""
    count = draw(st.integers(1, 4))
    names = [f"S{i}" for i in range(count)]
    finals = ["Done", "Failed"]
    extra: list[str] = []
    if draw(st.booleans()):
        names.append("Both")
        extra.append(
            "  parallel Both {\n"
            "    region Left { initial state L1 { on go -> L2 } final state L2 }\n"
            "    region Right { initial state R1 { on poke -> R2  on stop -> Failed } final state R2 }\n"
            "    done -> Done\n"
            "  }"
        )
    if draw(st.booleans()):
        names.append("Group")
        extra.append(
            "  state Group {\n"
            "    initial state G1 { on go -> G2 }\n"
            "    final state G2\n"
            "    on stop -> Failed\n"
            "    done -> Done\n"
            "  }"
        )
    targets = names + finals
    states = [draw(_plain(name, targets, i == 0)) for i, name in enumerate(names) if name.startswith("S")]
    body = "\n".join([*states, *extra])
    return (
        "workflow Gen {\n"
        "  context { n: int 0..10 = 0 }\n"
        "  events { go(k: int 0..5 = 1) stop poke }\n"
        f"{body}\n"
        "  final state Done\n"
        '  final state Failed { outcome failure "failed" }\n'
        "}\n"
    )
