"""statewright: a compiler for workflows-as-code.

Write a workflow once in the `.wf` language; statewright parses it, lowers it to
a verified intermediate representation and generates code for real engines.
"""

__version__ = "0.1.0"


_API = ("load", "load_path", "load_text", "Spec", "SpecError", "CheckResult", "BuildResult")


def __getattr__(name: str) -> object:
    """`statewright.load` and the rest of `statewright.api`, imported on first use.

    Importing `statewright` stays free (the slim runtime distribution ships this
    file without the compiler), and the command line does not pay for the API.
    """
    if name in _API:
        try:
            from statewright import api
        except ImportError as error:  # the slim runtime distribution has no compiler
            raise ImportError(
                f"statewright.{name} needs the full statewright distribution (pip install statewright); "
                f"this installation has only the runtime ({error})"
            ) from error
        return getattr(api, name)
    raise AttributeError(f"module 'statewright' has no attribute {name!r}")
