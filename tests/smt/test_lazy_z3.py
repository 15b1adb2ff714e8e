"""z3 (about 0.1 s to import) is loaded by the first SMT query, not by the rules that may ask one."""

from __future__ import annotations

import subprocess
import sys
import textwrap

PLAIN = """
workflow Plain {
  version 1
  events { go "go" }
  initial state A { on go -> B }
  final state B
}
"""

GUARDED = """
workflow Guarded {
  version 1
  context { amount: int 0..10 = 0 }
  events { go "go" }
  initial state A { on go when amount > 3 -> B
                    on go else -> B }
  final state B
}
"""

PROGRAM = textwrap.dedent(
    """
    import sys
    from statewright.compiler.verify import verify
    from statewright.pipeline import compile_text
    from statewright.plugins.manager import get_plugin_manager
    import statewright.compiler.verify.result  # the targets' Verification: no z3 either

    compiled = compile_text(sys.stdin.read(), "spec.wf")
    assert compiled.machine is not None, compiled.diagnostics
    verify(compiled.machine, get_plugin_manager().rules())
    print("z3" in sys.modules)
    """
)


def _loads_z3(spec: str) -> bool:
    """Check `spec` with every rule in a fresh interpreter; whether z3 got imported."""
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM], input=spec, capture_output=True, text=True, check=True
    )
    return done.stdout.strip().splitlines()[-1] == "True"


def test_a_spec_without_obligations_never_imports_z3() -> None:
    assert not _loads_z3(PLAIN)


def test_a_guard_imports_z3_for_its_query() -> None:
    assert _loads_z3(GUARDED)
