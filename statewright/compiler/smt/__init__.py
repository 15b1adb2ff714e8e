"""SMT proofs about guards, invariants and `set` actions, with z3.

- `encode.py`: the guard language's primitives as z3 terms, the context's variables and domain;
- `prover.py`: one query with a time limit, and its witness decoded into context values;
- `analysis.py`: the proof obligations of one machine, memoised and tallied for the report.

The meaning of expressions is not defined here: it comes from `statewright.semantics`.
"""

from statewright.plugins.run import DEFAULT_SMT_TIMEOUT_MS as DEFAULT_TIMEOUT_MS

__all__ = ["DEFAULT_TIMEOUT_MS"]
