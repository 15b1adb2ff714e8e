"""Run the command line as `python -m statewright`."""

from statewright.launch import main

main()
