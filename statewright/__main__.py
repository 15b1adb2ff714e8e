"""Run the command line as `python -m statewright`."""

from statewright.cli import main

main()
