"""Run the command line as `python -m statewright.cli`."""

from statewright.cli import main

main()
