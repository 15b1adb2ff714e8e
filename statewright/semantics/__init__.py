"""One definition of the guard language's meaning, shared by the runtime, the verifier and generators.

- `algebra.py`: the primitive operations a kind of term must supply;
- `interpret.py`: the meaning of every construct, written once over any algebra;
- `values.py`: the algebra of Python values, i.e. the guard evaluator.

This package uses only the standard library and the IR, so the runtime can import it.
"""
