"""What a Temporal worker imports to run a generated statewright workflow (see `protocol.py`)."""
