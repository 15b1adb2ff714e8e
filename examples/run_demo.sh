#!/bin/sh
# Drive one expense claim through expense_approval.wf on a fresh SQLite store,
# then print its audit log and replay it.  `make demo` runs this.
#
#   sh examples/run_demo.sh [DB]        DB defaults to build/demo.db (recreated)
#   STATEWRIGHT=path/to/statewright     picks the binary (default: statewright on PATH)
#
# Every step passes --now, so the run (and its log) is the same every time.
set -eu

SW=${STATEWRIGHT:-statewright}
DB=${1:-build/demo.db}
SPEC=$(dirname "$0")/expense_approval.wf

mkdir -p "$(dirname "$DB")"
rm -f "$DB" "$DB-wal" "$DB-shm"

step() {  # step "what happens" SUBCOMMAND ARGS...: run it quietly, say what it did
    if [ -n "$1" ]; then echo "  $1"; fi
    shift
    command=$1
    shift
    "$SW" run "$command" "$SPEC" --db "$DB" "$@" >/dev/null
}

echo "claim-1: EUR 12,500.00 of equipment, receipt attached"
step "ann starts and submits the claim" start --id claim-1 --actor ann --now 2026-01-05T09:00:00Z \
    --set amount=12500.00 --set category=equipment --set has_receipt=true --set cost_centre=CC-4711
step "" send claim-1 submit --actor ann --now 2026-01-05T09:05:00Z
step "the policy engine screens it: within policy" work claim-1 expense-claim-1-screen-0 --now 2026-01-05T09:06:00Z
step "" send claim-1 within_policy --now 2026-01-05T09:07:00Z
step "the line manager approves (level 1)" approve claim-1 --actor user:lena --role line_manager \
    --now 2026-01-05T14:00:00Z
step "the department head does not answer for 5 days: escalated to level 3" tick --now 2026-01-11T00:00:00Z
step "the finance director and the CFO both approve (quorum all)" approve claim-1 --actor user:farid \
    --role finance_director --now 2026-01-12T09:00:00Z
step "" approve claim-1 --actor user:chen --role cfo --now 2026-01-12T09:30:00Z
step "payroll fails once (BankUnavailable) and retries" work claim-1 expense-claim-1-payout-0 \
    --fail BankUnavailable --now 2026-01-12T09:31:00Z
step "" tick --now 2026-01-12T09:45:00Z
step "" work claim-1 expense-claim-1-payout-0 --now 2026-01-12T09:50:00Z
step "payroll confirms the transfer" send claim-1 paid --now 2026-01-13T08:00:00Z

echo "claim-2: EUR 900.00 of travel, flagged by the policy engine"
step "bo starts and submits the claim" start --id claim-2 --actor bo --now 2026-01-06T10:00:00Z \
    --set amount=900.00 --set category=travel --set has_receipt=true --set cost_centre=CC-0815
step "" send claim-2 submit --actor bo --now 2026-01-06T10:01:00Z
step "" work claim-2 expense-claim-2-screen-0 --now 2026-01-06T10:02:00Z
step "the violation comes with its reason (a typed payload), kept for bo" send claim-2 policy_violation \
    --data '{"reason": "hotel above the per-night ceiling"}' --now 2026-01-06T10:03:00Z
"$SW" run status "$SPEC" claim-2 --db "$DB" | grep -E "^state | return_reason = " | sed 's/^/    /'

echo
echo "== statewright run log $SPEC claim-1 --db $DB"
"$SW" run log "$SPEC" claim-1 --db "$DB"
echo
"$SW" run verify "$SPEC" claim-1 --db "$DB"
