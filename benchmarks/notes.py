"""Why each benchmark misses its goal: the causes found by profiling, kept beside the code that measures.

The runner prints these under every benchmark with a missed goal, followed by the
profile summary measured in the same run. The numbers quoted here come from the
profiles taken while fixing what could be fixed (December 2026, the project's
2-core VM, issue 20); the table above them is always this run's. Each note ends
with the design change that would reach the goal.
"""

from __future__ import annotations

NOTES: dict[str, list[str]] = {
    "check_latency": [
        "**`statewright check` (goal <= 2.5x `mypy --strict` warm).** Done: `check` no longer imports "
        "any target, the testing stack (hypothesis), the runtime or the language server "
        "(`tests/cli/test_check_imports.py` keeps it so); commands are imported when they run "
        "(`cli/lazy.py`); plugins are found through `entry_points(group=...)` instead of every "
        "distribution's metadata; built-in targets are registered as `TargetSpec`s and loaded on first "
        "use; lark's LALR tables ship with the package (`dsl/tables.py`, 0.12 s -> 0.02 s); z3 is "
        "imported by the first SMT query, not with the rules. From 1.0 s to about 0.55 s CPU; "
        "`--version` (answered by `launch.py` before the command line loads) from 0.6 s to 0.02 s.",
        "",
        "What is left is almost all imports; the check work itself is about 55-65 ms. By the profile: "
        "typer with its click ~43 ms and pydantic, through which this typer converts arguments, ~70 ms; "
        "rich ~16 ms; lark and its tables ~33 ms; the AST and builder dataclasses ~50 ms (`slots=True` "
        "rebuilds each class at import); the rules ~30 ms; z3 ~45 ms (order_fulfilment has guards to "
        "prove); lark's contextual lexer compiling one regular expression per parser state it visits "
        "~22 ms.",
        "",
        "Design changes that would reach 2.5x (about 0.3 s): parse `check`'s own arguments without "
        "typer/pydantic (a dependency decision: the other commands keep typer); decide the common guard "
        "shapes (one field against constants, enum equalities, conjunctions of these) without the "
        "solver — which changes witnesses once, see the front_end note; and a mypy/ruff-style result "
        "cache keyed by the source bytes, configuration, version and plugin set for unchanged files "
        "(not built: it needs invalidation tests for every key).",
    ],
    "order_memory": [
        "**The order example in memory (goal <= 5x a hand-written dict FSM).** Done: an in-memory "
        "machine no longer stamps audit records nobody keeps (`Definition.unsealed`: no canonical JSON "
        "or SHA-256); staged guards, invariants and `set`s read only the fields they name, and a test's "
        "verdict is remembered per combination of the values it reads (`runtime/staging.py`, "
        "property-tested against the interpreter); the machine writes pure moves back to its store only "
        "when they changed it. About 2.5x faster than before (700 -> 280 us/order), still about 110x "
        "the hand-written flow, which does nothing but dictionary updates (about 2.6 us/order).",
        "",
        "An order is about 10 engine steps and 9 handler calls at 25-30 us each, and every engine step "
        "builds a Draft, a Record, an Instance and a Commit and passes through the Runtime and the "
        "store: that is the runtime's design (one pure step function for every engine, Temporal "
        "included), and the goal asks for about 1.5 us a step.",
        "",
        "Design change that would reach it: compile in-memory steps once per definition, beside "
        "`fastpath.pure_moves` — one straight-line function per (leaf, event) and per (invoking state, "
        "outcome) that updates a mutable in-memory record (leaf, context, a deque of owed work, "
        "timers), checking only the fields its `set`s assign and the invariants that read them (sound "
        "because nothing outside can change an in-memory instance); an in-memory `run_work` pops the "
        "deque and calls them directly; approvals, parallel states and catches fall back to the engine. "
        "Each compiled step property-tested against the engine, as the pure moves are.",
    ],
    "construction": [
        "A machine whose start only enters its initial leaf defers the engine's start step, its store, "
        "runtime and random id to first use (`runtime/machine.py` `pure_start`), keeping the time read "
        "at construction. The detail lines also give construction plus a first `snapshot()` (the "
        "deferred start taken), about 66x python-statemachine.",
    ],
    "order_durable": [
        "**The order example on SQLite (goal <= 1.5x a hand-written sqlite3 FSM in CPU time at NORMAL, "
        "<= 1.2x in wall time at FULL).** The reference commits one transaction per transition with the "
        "state, the context and one history row. Done: `SQLiteStore.load` keeps the snapshot it last "
        "committed and reads only the row's version while it is current (another process's commit is "
        "always seen); one statement per kind in a step (`key IN (...)`, `INSERT OR REPLACE`); the "
        "done-marks of work a run executed ride with the instance's next commit or one final "
        "transaction (outbox bookkeeping, never a step: a crash before the mark re-runs the handler "
        "under its key, as the at-least-once contract allows, LANGUAGE.md section 6). From about 126 "
        "statements and 12.4 commits per order to about 92 and 9.4 (the reference: 34 and 8.4; the "
        "extra commit is the validation result, a real step with its own audit record); CPU from "
        "about 9x to 7.5x.",
        "",
        "What remains (cProfile, NORMAL): SQLite's C code 37% (a COMMIT costs about 48 us against the "
        "reference's 15 us: 9.2 WAL pages per commit against 2.5, since a step writes the instance row, "
        "its audit record, timers with their due-date index and the work table with three indexes), "
        "`sqlite.py` 16%, the engine 16%, the audit record's canonical JSON and SHA-256 14%. Under FULL "
        "the ratio follows the pages written when fsyncs are fast and the commit count when they are "
        "slow, so it moves between about 1.6x and 4x from run to run.",
        "",
        "Design change that would reach it: schema v2 (with a migration for v1 files) keeping each "
        "instance's timers and owed work in its row, with indexed `next_due` and `owed` columns, and "
        "the audit records in an append-only rowid table, so a step is BEGIN, UPDATE instance, INSERT "
        "record, COMMIT (2-3 pages, the reference's shape): about 1.1-1.2x at FULL. NORMAL also needs "
        "audit records that carry a context diff instead of the whole context (a versioned audit "
        "format) and the engine writing a record's canonical JSON directly.",
    ],
    "compile": [
        "**Each target's build (goal <= 4x a bare lark parse at 10k and 50k states, growth <= 5.5x, "
        "<= 1 GiB at 50k).** A build is parse, lower, every verification rule with its z3 proofs, and "
        "the target. The front end alone is about 4.8x the bare parse at 10k and 5.2x at 50k (see "
        "front_end): every target misses 4x on that share alone, and the small targets (ir, table, "
        "python, dot, mermaid, temporal, pytest) are within 1x on top of it. Done in the targets: "
        "`asl` writes its definition in one pass and reuses each transition's steps (5.65 -> 2.6 s "
        "at 10k, memory halved); `build` pauses the cyclic garbage collector while a target generates "
        "(a third of a large target's time went to full collections of objects that live until the "
        "write) and writes each target's files before generating the next; the bpmn targets as in "
        "bpmn_stages.",
        "",
        "`asl` still builds about 7.5 ASL states per IR state (38 MB of JSON at 10k); its peak at 50k "
        "is the definition held as dicts (~640 MB) and as text. Design change: generate and write the "
        "definition leaf by leaf (a leaf's refusal states are referenced only from that leaf) with the "
        "checks made incremental; the peak would then be about the text alone. The embedding targets "
        "(python, temporal, pytest) spend three quarters of their time in `ir/embedded.dump`, computed "
        "once per target: one shared, span-free writer would halve them. Every `asl` build of the "
        "synthetic specs exceeds Step Functions' 1 MB limit (SW928), so it writes nothing; its time is "
        "still measured. `svg` and `report` are timed apart: Graphviz's `dot` lays out their picture "
        "and gives up after 60 s at 10k states.",
        "",
        "**Memory at 50k.** The front end holds about 480 MiB (AST and IR); dot and mermaid stay near "
        "it, table, ir, python, pytest and temporal reach about 1 GiB (the embedded IR and the text "
        "written), asl about 1.4 GiB (its definition as dicts and text), the bpmn targets 2.2-2.4 GiB "
        "and bpmn-svg 4.3 GiB (layout objects for about 340,000 nodes and the document as one string). "
        "`--target all` now generates and writes one target at a time, so its peak is the largest "
        "target's, not the sum. Design change: the bpmn targets and asl implement the streaming target "
        "protocol (`StreamingTarget.stream`, yielding the document in chunks) over a layout kept in "
        "flat integer arrays.",
        "",
        "The check-stage comparison rows of runs made before 2026-12-07 16:00 UTC time each rule "
        "with its own verification run (the graph and the SMT analysis rebuilt per rule), about twice "
        "what `build` spends; the front_end rows time them as `build` does.",
    ],
    "front_end": [
        "**Parse + lower + verify (share of the build's 4x: <= 2x bare parse).** Done: verification is "
        "linear (SW508 scanned every state once per loop: 22 s at 50k), the waits rules share one "
        "derivation, z3 is loaded only when a query is needed, and the parser tables ship with the "
        "package. 50k states: 51 s -> 27 s; growth 10k->50k 8.4x -> 4.6x; peak memory about 480 MiB.",
        "",
        "What remains at 10k: parse 1.34x the bare parse (building the AST nodes), lower 0.3x, and "
        "verify about 2.7 s, of which z3 is two thirds: 8,196 queries at about 180 us each (solver "
        "check, model, and the Python API's wrapping). z3's incremental solver answers a query "
        "depending on the queries before it (with a fresh solver per query 2,796 of the 8,196 "
        "answers' witnesses differ), so no query can be skipped, reordered or memoised without "
        "changing the witnesses in findings and artifacts.",
        "",
        "Design change that would reach 2x: make each answer independent of earlier queries by design "
        "(one light solver per obligation group, plus a memo keyed by the query's shape with its "
        "constants abstracted), and decide the common guard shapes — one field against constants, "
        "enum equalities and their conjunctions, every guard of the synthetic specs — directly, with "
        "fixed readable witnesses, calling z3 only for the rest. Witnesses change once (goldens "
        "updated); the proofs do not.",
    ],
    "bpmn_stages": [
        "**The bpmn target's own stages (its share of the build's 4x: <= 2x bare parse).** Done, all "
        "byte-identical: SW950 pairs only the message catches that can wait at the same time (it "
        "tested 37M pairs at 10k); `Graph.fresh` remembers the next suffix; `events_of` works out each "
        "level's events once; the document is written front to back as text (`textxml.py`, lxml's "
        "exact bytes) instead of a 1.1M-element tree indented and serialised whole; each layout "
        "placement try counts tracks only and routes once, for the rows kept; single-vertex layers "
        "are skipped in the ordering sweeps. At 10k states the target went from 95 s to about 20 s of "
        "CPU (graph 73 -> 3 s, XML 5.6 -> 2.8 s, layout 17 -> 15 s), and about 14 s with the garbage "
        "collector paused, as `build` now does; growth 10k->50k 5.4x.",
        "",
        "What remains is the layered layout (ordering sweeps 4 s, placeholder vertices 2.2 s, "
        "placement 2.2 s, routing 1.6 s at 10k) over string-keyed dictionaries of small objects, and "
        "at 50k the document (about 470 MB of text) held whole by the artifact. The graph stage grows "
        "6.1-6.8x from 10k to 50k states; it has not been profiled at 50k yet (its known quadratics, "
        "id suffixes and the SW950 pairs, are gone).",
        "",
        "Design changes that would reach it: the layout over integer vertex numbers and flat arrays "
        "(most of its allocation and collection cost; 3-5x expected); above a documented size, each "
        "compound section laid out on its own and stacked, so the ordering runs on small graphs "
        "(changes the drawing above the threshold, which then needs its own geometry tests); and "
        "artifacts that carry their text as chunks through the streaming build, so a 470 MB document "
        "is never one string.",
    ],
    "dispatch": [
        "The generated `send` is one method call per event (a default argument, a `try`, an attribute "
        "read and write on a slotted object) where the floor is a local double dict lookup; the call "
        "itself is the remaining cost, and the ratio sits close to 1.5x, so noise can tip it either way.",
    ],
}
"""Benchmark report name -> Markdown lines explaining its misses."""
