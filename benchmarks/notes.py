"""Why each benchmark misses its goal: the causes found by profiling, kept beside the code that measures.

The runner prints these under every benchmark with a missed goal, followed by the
profile summary measured in the same run. The numbers quoted here come from the
profiles taken while fixing what could be fixed (December 2026, the project's
2-core VM); the table above them is always this run's.
"""

from __future__ import annotations

NOTES: dict[str, list[str]] = {
    "compile": [
        "**Build vs bare parse (goal <= 2x).** The goal compares a whole `statewright build` — parse, "
        "lower, every verification rule (with z3 proofs) and every registered target — with a lark parse "
        "whose grammar actions do nothing. The stage breakdown below shows where the time goes:",
        "",
        "- *Parsing* alone is about 1.4-1.6x the bare parse: lark's LALR loop and lexer are the floor, and "
        "building the AST (one frozen dataclass and one span per node) adds the rest. Fixed here: spans "
        "come from the positions lark already computed instead of a binary search of the line index per "
        "node (a fifth of the builder's time), the line index is built with `str.find`, and the cyclic "
        "garbage collector is paused while parsing, lowering and verifying (`compiler/collector.py`): "
        "every full collection walked the whole AST again, which cost a quarter of the front end's CPU "
        "time at 50k states.",
        "- *SMT guard checks* (`verify: guards`) are the largest verification cost: each guarded state x "
        "event pair is 3-4 z3 queries (satisfiable with an example, exclusive, exhaustive, invariants), "
        "about 0.3 ms each, half of it inside z3. This is the price of the proofs, not overhead; the 1,000 "
        "pair goal (row above) is met.",
        "- *Targets*: `ir` writes every field with two-space indentation (31 MB of JSON at 10k states), "
        "`python` embeds the IR, `table` writes the state x event matrix and the saga tables, `asl` and "
        "`bpmn` write full engine definitions. Fixed here: `json_form.dump` writes the text straight "
        "from the "
        "dataclasses (2.8x faster, byte-identical; `json.dumps(indent=2)` encodes in pure Python, one "
        "string per token) and `to_data` dispatches on the exact type; the `table` target's saga "
        "failure table searched every transition and rebuilt a state index per step "
        "(`report/facts.py`), quadratic: 188 s at 50k states, now about 6 s.",
        "",
        "- *The engine targets* (`asl`, `bpmn`, `bpmn-svg`, `bpmn-zeebe`, `pytest`) take most of the "
        "build: at 1k states `pytest` is about 40% (nine tenths of it `testing/coverage.py` "
        "`covering_scenarios`, which runs the Python engine to find covering paths; skipped from 2,000 "
        "states) and the three `bpmn` targets about 40%. Three quadratics were removed when they "
        "landed (an `asl` label scan over every transition, the `bpmn` resolver's scan per state, and "
        "`bpmn` merge gateways inserted with a list search), so every target now finishes at 50k "
        "states; the bpmn targets' layout and XML still grow faster than linearly, which is why the "
        "50k/10k ratio and the peak memory of the whole build miss their goals. At 1k states and up "
        "the synthetic definition exceeds Step Functions' 1 MB limit, so `asl` reports SW928 and the "
        "build exits 1 and writes nothing (its time is still measured).",
        "",
        "With parse alone at ~1.5x and z3 plus every full target on top, the 2x goal cannot be met by "
        "removing overhead; it would need the targets to share one pass over the IR, or the goal to "
        "compare `statewright check` (parse, lower, verify) with the bare parse.",
        "",
        "The two traps the issue names are not in the code: the parser builds the AST with an inline "
        "transformer (the `Builder` is lark's `transformer=`, no parse tree is built), and the "
        '"can finish" check is one reverse multi-source search from the final states '
        "(`MachineGraph.can_finish`).",
        "",
        "**Peak memory (goal <= 300 MiB at 50k).** With every registered target the 50k build peaked "
        "at 7.1 GiB (December 2026); that has not been profiled by target yet (the three bpmn targets "
        "each hold a full lxml tree and layout of about a million elements). "
        "With statewright's own five targets the 50k build "
        "peaked at about 1.07 GiB (December 2026). The artifacts alone exceed the goal: the "
        "IR JSON is about 160 MB of text, the Python module about 85 MB (it embeds the IR), the table "
        "about 30 MB. `statewright build` keeps every artifact of every target, as text and again as "
        "encoded bytes, until it writes them (`cli/build.py`, `_plan`), and keeps the AST (~180 MB at 50k "
        "states) alive beside the IR (~55 MB). Fixed here: the IR JSON encoder no longer holds millions of "
        "token strings (peak at 10k states 438 -> 300 MiB). Reaching 300 MiB needs the command to write "
        "each target's files as soon as they are generated and to drop the AST after lowering (outside "
        "the files this work may change).",
    ],
    "construction": [
        "Constructing an in-memory machine runs the engine's full start: the initial entry as a step, "
        "an audit record with its canonical JSON and SHA-256 stamp, and a commit into an `EphemeralStore` "
        "— although an in-memory machine keeps no audit log. That is about 17 us, against "
        "python-statemachine's 0.6 ms for a 100-state class (about 35x). The profile below: the engine "
        "start and the record encoding are over half of it, building a `Runtime` and an `EphemeralStore` "
        "a fifth, the random instance id a tenth.",
        "",
        "Fix (in `runtime/machine.py` and the engine, outside the files this work may change): for a "
        "definition whose initial entry is pure (no entry actions, timers, invoked work or eventless "
        "moves), compute the started snapshot once per class and construct by copying it; the store and "
        "runtime can be created lazily on the first slow step. That leaves a few attribute stores, "
        "about 2-3 us, well over 100x.",
    ],
    "durable": [
        "**One transaction per step (goal >= 0.8x raw).** With `synchronous=FULL` the fsync of each "
        "commit dominates both loops, so the ratio is near the goal and moves with the disk from run to "
        "run. With `synchronous=NORMAL` there is no fsync: the raw loop's insert+commit costs about 8 us, "
        "while a runtime step costs 50-60 us: the engine step (~20 us: transition choice, draft, audit "
        "record), the record's canonical JSON and SHA-256 stamp (~8 us), the store's rows (~5 us) and "
        "SQLite writing about five pages (instance row, audit record, timer row and its index, log "
        "B-tree) where the raw loop writes one. A ratio of 0.8 would need the whole step to cost 10 us.",
        "",
        "**Batched (goal >= 80,000 steps/s).** Group commit removes the per-step commit, but not the "
        "per-step Python: about 30-35 us a step, so 25-30k steps/s. 80k/s means 12.5 us a step, less "
        "than the engine step alone. The profile below (batched, NORMAL): the engine and the audit "
        "record's encoding are two thirds of the time, SQLite a sixth.",
        "",
        "What would move it (outside the files this work may change): keep the instance's timers in its "
        "row (one page fewer per step, a schema change); let the engine build the audit record's "
        "canonical JSON directly instead of a `Record` that is then encoded; and stamp a batch's records "
        "in one pass at commit. The store and codec were already hand-tuned in the previous session "
        "(one encoding per record, no pre-send key query, real group commit).",
    ],
    "dispatch": [
        "The generated `send` is one method call per event (a default argument, a `try`, an attribute "
        "read and write on a slotted object) where the floor is a local double dict lookup; the call "
        "itself is the remaining cost, and the ratio sits close to 1.5x, so noise can tip it either way.",
    ],
}
"""Benchmark name -> Markdown lines explaining its misses."""
