"""Random *valid* workflow sources for the BPMN property tests.

Plain states with guarded and unguarded event transitions (with `set`
actions), `else`, `reject`/`ignore`, hard timeouts and invoked work with
retries; optionally a compound state and a parallel state with two regions.
Every target names a declared state, so most drawn sources compile.
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
            action = " { set n = n + 1 }" if draw(st.booleans()) else ""
            lines.append(f"on {event} when n < {bound} -> {target}{action}")
            if draw(st.booleans()):
                lines.append(f"on {event} else -> {draw(st.sampled_from(targets))}")
        else:
            lines.append(f"on {event} -> {target}")
    if draw(st.booleans()):
        lines.append(
            f"timeout {draw(st.sampled_from(['5s', '2m', '1h']))} -> {draw(st.sampled_from(targets))}"
        )
    if draw(st.booleans()):
        lines.append(f"invoke work_{name.lower()}")
        if draw(st.booleans()):
            lines.append(f"retry {draw(st.integers(1, 2))} retry_on Flaky")
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
        f"  events {{ {', '.join(EVENTS)} }}\n"
        f"{body}\n"
        "  final state Done\n"
        '  final state Failed { outcome failure "failed" }\n'
        "}\n"
    )
