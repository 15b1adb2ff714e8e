"""statewright: a compiler for workflows-as-code.

Write a workflow once in the `.wf` language; statewright parses it, lowers it to
a verified intermediate representation and generates code for real engines.
"""

__version__ = "0.1.0"
