"""The language server (`statewright lsp`): the compiler's findings and the AST's names, in an editor.

`server.py` wires the protocol (pygls) to pure functions: `analysis.py` (the
front end and rules, as `statewright check`), `index.py` (names to places),
`positions.py` (offsets to protocol positions), and one module per feature.
"""
