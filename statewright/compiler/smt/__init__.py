"""SMT proofs about guards, invariants and `set` actions, with z3.

- `encode.py`: the guard language's primitives as z3 terms, the context's variables and domain;
- `prover.py`: one query with a time limit, and its witness decoded into context values;
- `analysis.py`: the proof obligations of one machine, memoised and tallied for the report.

The meaning of expressions is not defined here: it comes from `statewright.semantics`.
"""

DEFAULT_TIMEOUT_MS = 2000
"""Wall-clock limit of one solver query unless the user sets `--smt-timeout` (kept here, free of z3)."""
