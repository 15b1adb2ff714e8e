"""The intermediate representation: the contract between the front end, the verifier, targets and runtime.

`statewright.ir` is the bottom layer of the package: it imports nothing of
statewright's but `statewright.source` (spans). Its modules:

- `model.py`: the frozen dataclasses of one flat, typed machine (re-exported
  here, so `from statewright import ir` then `ir.State`, `ir.Machine`, ...);
- `json_form.py`: the deterministic JSON writer and the schema-checked reader;
- `schema/ir.schema.json`: the published, versioned JSON Schema;
- `text.py`: the guard language's text form of expressions, durations and
  transition labels, for messages, tables and generated comments.
"""

from statewright.ir.model import *  # noqa: F403
from statewright.ir.model import __all__ as __all__
