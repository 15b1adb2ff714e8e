"""The `run` command group: drive workflow instances on a SQLite store from the command line.

Form: `statewright run SUBCOMMAND SPEC --db FILE [ARGS] [--now TIME] [--format text|json]`.
SPEC is the `.wf` file (compiled on every call; front-end errors stop the
command, exit 2); `--db` is the SQLite store, which `start` creates when it is
missing. Subcommands:

- `start` creates an instance (`--id`, `--actor`, `--set field=value` typed by the field);
- `send ID EVENT` offers an event with the governance inputs (`--actor`,
  `--permission`, `--scope`, `--evidence name=value`) and an idempotency `--key`;
- `approve`/`reject`/`delegate`/`recall ID` are the approval events (`--role R`
  presents `role:R`; `delegate --to B` lets B decide);
- `work ID KEY [--fail ERROR]` reports the outcome of owed work (the CLI runs no
  handlers: it lists what is owed, an operator or script reports it);
- `tick [--advance D]` fires the timers due by then; `pause`, `resume`, `cancel ID`;
- `status ID`, `log ID`, `list` and `verify ID` (replay the audit log) read;
- `migrate --to NEW.wf` moves the running instances to a new version (`migrate.py`);
- `reroute ID --to STATE`, `rollback ID`, `redrive ID` are an operator's repairs
  (`--actor`, `--reason`, `--permission role:operator`; `operations.py`).

`--audit-key-file FILE` (or `STATEWRIGHT_AUDIT_KEY_FILE`) gives every
subcommand the audit key: instances started with it keep an HMAC-SHA256 chain,
and `verify` then checks authenticity, not only integrity (`runtime.audit`).

Events an action emits are delivered within the same command. The clock is the
system clock unless `--now` (ms since the epoch or ISO 8601, UTC by default)
fixes it; see `session` for how it is kept from running backwards and
for the exit codes (0 done, 1 refused by the workflow, 2 usage or input error).
"""

from statewright.cli.run import migrate, operations
from statewright.cli.run.commands import app

app.command()(migrate.migrate)
app.command()(operations.reroute)
app.command()(operations.rollback)
app.command()(operations.redrive)

__all__ = ["app"]
