"""For each built-in code: an example of what it reports, and the fix where its help does not say it.

`statewright explain CODE` and docs/CODES.md show a code's name, title, this example and
the fix (`fix_of`: the table's fix, else the code's help). The table is data beside the
catalog, keyed by code; `tests/diagnostics/test_examples.py` fails for a built-in code
that has no example or no fix, so a new code comes with both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from statewright.diagnostics.model import Code


@dataclass(frozen=True, slots=True)
class Example:
    """What a code's finding looks like: a short input (or situation) and, when needed, the fix."""

    text: str
    fix: str = ""


_E = Example

EXAMPLES: Mapping[str, Example] = MappingProxyType(
    {
        # --- SW0xx: reading and parsing input ---
        "SW001": _E("statewright check ordr.wf        # the file is order.wf"),
        "SW002": _E("statewright check /dev/null   # a device, not a regular file"),
        "SW003": _E('a .wf file saved as Latin-1, with `doc "Bestätigung"` in it'),
        "SW004": _E("statewright check huge.wf --max-bytes 1000   # huge.wf is 5,000 bytes"),
        "SW005": _E("an empty file, or one holding only comments"),
        "SW006": _E("guard ((((((((...)))))))) nested more than 64 levels deep"),
        "SW007": _E("statewright check secret.wf   # chmod 000 secret.wf"),
        "SW008": _E("statewright check logo.png.wf   # a binary file renamed"),
        "SW010": _E(
            "on submit when amount = 5 -> Review",
            "write the construct as the message says: here `==` compares (`amount == 5`); "
            "see docs/LANGUAGE.md",
        ),
        "SW011": _E("on submit -> Review ;"),
        "SW012": _E('doc "the claim is waiting'),
        "SW013": _E('doc "C:\\temp"          # `\\t` is fine, `\\q` is not: "C:\\q"'),
        "SW014": _E("workflow W {\n  initial state A {\n    on go -> B\n  }\n# the file ends here"),
        "SW015": _E("on submit -> A -> B"),
        "SW016": _E(
            "timeout 200y -> Expired",
            "keep durations within 100 years, backoff factors within 100 and numbers within 60 digits",
        ),
        "SW017": _E("workflow A { ... }\nworkflow B { ... }"),
        "SW018": _E('doc "line one<U+0007>bell"   # a raw control character inside the string'),
        # --- SW06x: configuration and suppressions ---
        "SW060": _E('[tool.statewright]\nselect = ["SW6"'),
        "SW061": _E('[tool.statewright]\ncolour = "always"'),
        "SW062": _E('[tool.statewright]\nstrict = "yes"'),
        "SW063": _E('[tool.statewright]\nignore = ["SW3O1"]   # the letter O'),
        "SW065": _E(
            "state Review {   # statewright: ignore[SW601] decided by the caller's deadline\n"
            "  on approve -> Done\n  timeout 3d -> Expired\n}"
        ),
        "SW066": _E("state Review {   # statewright: ignore[SW601]"),
        "SW067": _E("state Review {   # statewright: ignore the caller times out"),
        # --- SW07x: an operator's repairs of running instances ---
        "SW070": _E("run reroute order.wf o-1 --to Quarantine --reason r --actor ann   # no --permission"),
        "SW071": _E("run reroute order.wf o-1 --to Quarantaine ...   # no state of that name"),
        "SW072": _E("run reroute order.wf o-1 --to Fulfilling.charge_card ...   # a saga step"),
        "SW073": _E("run rollback order.wf o-1 ...   # o-1 is at the saga's first step"),
        "SW074": _E("run redrive order.wf o-1 ...   # o-1 is running and nothing failed"),
        # --- SW1xx: names ---
        "SW101": _E("state Review { ... }\nstate Review { ... }"),
        "SW102": _E(
            "on approve -> Aproved   # the state is `Approved`",
            "name a state that exists (the message suggests the closest name), or declare it",
        ),
        "SW103": _E("events { submit }\n...\non sbumit -> Review"),
        "SW104": _E("events { submit submit }", "remove one of the two declarations"),
        "SW105": _E(
            "context {\n  amount: decimal\n  amount: int\n}", "give each context field one declaration"
        ),
        "SW106": _E(
            "on submit when amout > 100 -> Review   # the field is `amount`",
            "use a context field or an enum member of the value it is compared with",
        ),
        "SW107": _E("workflow W {\n  state A { on go -> B }\n  final state B\n}"),
        "SW108": _E("initial state A { ... }\ninitial state B { ... }"),
        "SW109": _E(
            "context { and: bool }",
            "rename the field: `and`, `or`, `not`, `in`, `true` and `false` are the guard language's",
        ),
        "SW110": _E(
            "level 1 { approvers role:lead quorum 1 timeout 3d escalate -> level 3 }   # only levels 1 and 2",
            "escalate to a level the approval has, or to a state",
        ),
        "SW112": _E('invoke check key "k" timeout 1m timeout 2m -> Failed', "keep one of the two items"),
        "SW113": _E(
            "approval A { level 1 { approvers role:lead timeout 3d escalate -> Expired } }   # no outcomes",
            "add the missing item the message names (e.g. `approved -> T` and `rejected -> T`)",
        ),
        "SW114": _E(
            "parallel P { region R1 { ... } }\n...\non go -> R1   # a region is not a transition target",
            "target a state inside the region, or the parallel state itself",
        ),
        "SW115": _E("level 1 { ... }\nlevel 1 { ... }", "number the levels 1, 2, 3, ... once each"),
        "SW116": _E("events { }", "put something in the block, or remove it"),
        "SW117": _E("tier: enum { gold, gold }", "list each enum member once"),
        "SW118": _E("context {\n  gold: bool\n  tier: enum { gold, silver }\n}"),
        "SW119": _E("state AVeryLongStateName...   # 129 characters"),
        "SW120": _E('level 1 { approvers user:"ann", user:"ann" quorum 2 ... }'),
        "SW121": _E("on submit when payload.amount > 5 -> Review   # `event.amount`"),
        "SW122": _E("events { submit(amount: decimal, amount: int) }"),
        "SW123": _E("state Route {\n  always when amount > 5 -> Big\n  on cancel -> Cancelled\n}"),
        "SW124": _E("parallel P { ... done when ready -> Next }"),
        "SW125": _E("events { note(text: string) }\n...\non go -> B { emit note }"),
        "SW126": _E("requirements { durabilty: machine_loss }   # misspelt key"),
        "SW127": _E("requirements { hosting: cloud }   # serverless, managed, self_hosted or either"),
        "SW128": _E("requirements { longest_run: 0s }"),
        # --- SW2xx: types ---
        "SW201": _E(
            'on submit when amount > "100" -> Review', "compare values of one type: `amount > 100.00`"
        ),
        "SW202": _E(
            "on submit when amount -> Review", "write a condition that is true or false: `amount > 0.00`"
        ),
        "SW203": _E('retries: int = "three"', "give a default of the field's type, within its bounds"),
        "SW204": _E(
            "tier: enum { gold, silver }\n...\non go when tier == bronze -> B",
            "use a member the enum lists, or add it to the enum",
        ),
        "SW205": _E("attempts: int 10..1", "write the bounds low..high"),
        "SW206": _E("set approved = 5   # approved: bool", "assign a value of the field's type"),
        "SW207": _E("set share = count / 2   # count: int"),
        "SW208": _E("on go when n > 99999999999999999999 -> B", "use a constant within -2^63..2^63-1"),
        "SW209": _E("timeout 3d -> Expired { set note = event.reason }   # a timer carries no event"),
        "SW210": _E("events { reject(reason: string) }\n...\non reject -> Returned { set note = event.why }"),
        # --- SW3xx: structure ---
        "SW301": _E(
            "initial state A { on go -> C }\nstate B { on go -> C }   # nothing leads to B\nfinal state C"
        ),
        "SW302": _E("state Loop { on retry -> Loop }   # no way to a final state"),
        "SW303": _E('state Stuck { doc "waits for nothing" }'),
        "SW304": _E("events { submit, audit }   # `audit` appears in no transition"),
        "SW305": _E("state Approve { ... }   # name what is true: `Approved`, `Approving`"),
        "SW310": _E("state A {\n  on go -> B\n  on go -> C\n}"),
        "SW311": _E("events { submit, cancel }\n...\nstate Review { on submit -> Done }   # and on cancel?"),
        "SW312": _E("on a -> S { emit b }\non b -> S { emit a }   # a and b trigger each other forever"),
        # --- SW4xx: guards ---
        "SW401": _E("on go when amount > 10 and amount < 5 -> B"),
        "SW402": _E("on go when amount > 10 -> Big\non go when amount > 5 -> Medium   # 11 satisfies both"),
        "SW403": _E(
            "on go when amount > 10 -> Big\non go when amount < 5 -> Small   # 5..10 decides nothing"
        ),
        "SW404": _E("state Route {\n  always when amount > 10 -> Big\n  always when amount < 5 -> Small\n}"),
        "SW405": _E("invariant attempts <= 3\n...\non retry -> A { set attempts = attempts + 1 }"),
        "SW406": _E("attempts: int 0..3\n...\non retry -> A { set attempts = attempts + 1 }"),
        "SW407": _E("limit: int = 0\ninvariant limit > 0"),
        "SW408": _E("on go when total / count > 2.00 -> B   # count can be 0"),
        "SW409": _E("statewright check big.wf --smt-timeout 1   # a guard too hard to decide in 1 ms"),
        # --- SW5xx: sagas ---
        "SW501": _E(
            'saga S {\n  step charge key "c-{id}"   # no compensate, no pivot, no no_compensation\n  ...\n}'
        ),
        "SW502": _E("step charge_card compensate refund_card   # no key, no compensate_key"),
        "SW503": _E("saga S { ... compensation_failed -> Stuck }\nstate Stuck { on retry -> Stuck }"),
        "SW504": _E("saga S { step s1 ... step s11 ... }   # eleven steps"),
        "SW505": _E("saga S { step a service s1 ... step e service s5 ... }   # five services"),
        "SW506": _E("a plugin rule or hand-edited IR where a saga's compensations run in forward order"),
        "SW507": _E(
            "state Outer {\n  timeout 1h -> Failed   # leaves the saga inside without compensating\n"
            "  saga S { ... }\n}"
        ),
        "SW508": _E(
            'state Retry { invoke fetch key "fetch-{id}" ... on again -> Retry }   # same key every pass'
        ),
        # --- SW6xx: waits and approvals ---
        "SW601": _E(
            "state AwaitingApproval {\n  on approve -> Approved\n  on reject -> Rejected\n}   # waits forever"
        ),
        "SW602": _E(
            "level 1 { ... timeout 3d escalate -> level 2 }\nlevel 2 { ... timeout 3d escalate -> level 1 }"
        ),
        "SW603": _E("level 1 { approvers role:cfo quorum 2 ... }   # one approver"),
        "SW604": _E(
            "state Waiting {\n  on approve -> Done\n  on error Timeout -> Expired # deadline as failure\n}"
        ),
        "SW605": _E("level 1 { approvers role:lead delegation allowed ... }   # no timeout on the level"),
        "SW606": _E("approval A { ... approved -> Paid }\nstate Paid { on recall -> Draft }"),
        "SW607": _E("level 1 { ... timeout 3d escalate -> level 3 }   # level 2 is never asked"),
        "SW608": _E(
            "level 1 { approvers ... quorum 2 timeout 3d escalate -> level 2 }\nlevel 2 { ... quorum 1 }"
        ),
        # --- SW7xx: retries ---
        "SW701": _E('invoke fetch key "f"\nretry unlimited backoff fixed 10s'),
        "SW702": _E("retry 10 backoff exponential 1s   # no cap: 1s..?"),
        "SW703": _E('invoke fetch key "f" timeout 1m -> Failed retry 3 backoff fixed 1s   # no dead_letter'),
        "SW704": _E(
            'state Working { invoke crunch key "c" on done -> Finished }   # no timeout, no heartbeat'
        ),
        "SW705": _E("retry 3 backoff fixed 10s jitter none"),
        "SW706": _E("invoke charge_card timeout 1m -> Failed retry 3 ...   # no `key`"),
        "SW707": _E(
            "retry 3 retry_on Timeout ...\non error Timeout -> Failed   # retries take every Timeout"
        ),
        # --- SW8xx: parallel ---
        "SW801": _E(
            "parallel P {\n  region R {\n    initial state A { on go -> A }   # never reaches a final\n"
            "  }\n  ...\n}"
        ),
        "SW802": _E(
            "parallel P {\n  region R1 { ... on x -> Done1 }\n"
            "  region R2 { ... on x -> Stuck }   # both never final together\n}"
        ),
        "SW803": _E("a parallel state whose regions' product has more states than the exploration limit"),
        "SW804": _E("region R1 { state A { on ping -> B } }\nregion R2 { state C { on ping -> D } }"),
        "SW805": _E(
            "region R { final state Done }   # reachable, but the parallel is always left before its join"
        ),
        "SW810": _E(
            "requirements { durability: machine_loss, longest_run: 30d }   # statewright ranks the engines"
        ),
        "SW811": _E("a workflow without a `requirements { ... }` block"),
        "SW812": _E(
            "requirements { hosting: serverless, vendor_lock: avoid }   # serverless engines are one vendor's"
        ),
        "SW813": _E("requirements { human_steps: no }   # but the workflow has an approval"),
        # --- SW9xx: plugins and the command line ---
        "SW900": _E("an installed plugin whose module raises ImportError when statewright loads it"),
        "SW901": _E("statewright build order.wf -t pyhton -o out"),
        "SW902": _E("a plugin rule that raises KeyError on some machine"),
        "SW903": _E("statewright build order.wf -t python -o /read-only/dir"),
        "SW904": _E("two plugins that both register a target named `python`"),
        "SW905": _E("a plugin target that returns an artifact with the path `../../etc/passwd`"),
        "SW906": _E("statewright check docs/   # a directory with no .wf files"),
        "SW907": _E("a target whose generate() raises an exception"),
        "SW908": _E(
            "statewright build a/order.wf b/order.wf -t python -o out   # both write out/python/order.py"
        ),
        "SW909": _E("an unexpected exception inside statewright (a bug: please report it)"),
        "SW910": _E("statewright build order.wf -t svg -o out   # Graphviz is not installed"),
        "SW911": _E("statewright build order.wf -t svg -o out   # dot exits with an error"),
        "SW912": _E("statewright build order.wf -t all -o out   # Graphviz missing: svg skipped"),
        "SW913": _E("statewright build order.wf -t python --option python_form=fast -o out"),
        "SW914": _E("statewright build huge.wf -t pytest -o out   # too many paths to search"),
        "SW920": _E("statewright build order.wf -t asl --option resource_map=not-json -o out"),
        "SW921": _E("on go when amount % 7 == 3 -> B   # Choice rules cannot compute %"),
        "SW922": _E(
            "retry 3 backoff exponential 1s..30s jitter decorrelated   # Retry has no decorrelated jitter"
        ),
        "SW923": _E("timeout 1500ms -> Failed   # Step Functions waits whole seconds"),
        "SW924": _E('warn after 10m "slow"   # in an asl build'),
        "SW925": _E("state Waiting { on approve -> Done }   # no timeout: the callback waits asl_max_wait"),
        "SW926": _E("a parallel state whose regions share a context field they both set (asl build)"),
        "SW927": _E("state names longer than 80 characters once nested names are joined (asl build)"),
        "SW928": _E("a workflow so large that its ASL definition is over 1 MB"),
        "SW929": _E("a resource map whose Retry lists States.ALL before another error name"),
        "SW930": _E("a long saga with many retries whose worst case passes 25,000 history events"),
        "SW931": _E("state Poll { ... on again -> Poll }   # a loop: no bound on history events (asl build)"),
        "SW932": _E(
            "level 1 { approvers role:lead delegation allowed ... }   # asl build: fixed delegation slots"
        ),
        "SW933": _E("a workflow (or parallel region) with no reachable final state (asl build)"),
        "SW940": _E("retry 3 backoff fixed 30s   # -t bpmn: retried at once"),
        "SW941": _E("retry 3 backoff exponential 1s..1m jitter full   # -t bpmn"),
        "SW942": _E(
            'state Review { warn after 1d "slow" on approve -> Done }   # -t bpmn: a plain waiting state'
        ),
        "SW943": _E(
            "on resume -> Verifying.SmokeTests.Running   # -t bpmn: the sub-process starts every region"
        ),
        "SW944": _E(
            "parallel P { ... reject cancel ... }   # -t bpmn: the boundary event already interrupted P"
        ),
        "SW945": _E("state Idle { entry do log }   # -t bpmn: nothing to wait for"),
        "SW946": _E(
            "region R1 { state A { exit do cleanup } }\n"
            "region R2 { state B { on abort -> Failed } }   # -t bpmn"
        ),
        "SW947": _E(
            "state Outer { timeout 1h -> Failed  state A { on go -> B } state B { ... } }   # -t bpmn"
        ),
        "SW948": _E("a workflow whose final states cannot be reached (-t bpmn)"),
        "SW949": _E(
            "invoke fetch timeout 1m -> Failed retry 3 ...   # -t bpmn: the timer restarts with each attempt"
        ),
        "SW950": _E(
            "region R1 { on ping -> A }\nregion R2 { on ping -> B }   # -t bpmn: one ping, one receiver"
        ),
        "SW951": _E(
            'state Poll { invoke probe key "p" done -> Wait }\n'
            "state Wait { timeout 1m -> Poll }   # -t temporal: it loops by itself, without bound"
        ),
        "SW952": _E("a long saga with many retried steps whose longest run passes 51,200 history events"),
        "SW953": _E(
            "a parallel state whose regions can invoke more than 2,000 activities at once (-t temporal)"
        ),
        "SW954": _E("context { d1: decimal ... d1100: decimal }   # -t temporal: up to 2 KB each, past 2 MB"),
        "SW955": _E(
            "retry 3 backoff linear 10s..1m jitter full   # -t temporal: no linear backoff, no jitter"
        ),
        "SW956": _E("events { statewright_send }   # -t temporal: the generic update's name"),
        "SW957": _E('state notify { invoke check key "k" done -> Done { do notify } }   # -t temporal'),
        # --- SW96x-SW97x: the runtime ---
        "SW960": _E("statewright run send order.wf 42 approve --db orders.db   # 42 is still in Draft"),
        "SW961": _E(
            'reject withdraw "screening in progress"\n...\n'
            "statewright run send expense.wf 7 withdraw --db claims.db"
        ),
        "SW962": _E("on go when amount > 10 -> B   # sent while amount is 3, with no `else`"),
        "SW963": _E('on approve -> Approved requires "role:cfo"   # sent by an actor without role:cfo'),
        "SW964": _E("statewright run status order.wf no-such-id --db orders.db"),
        "SW965": _E("statewright run list order.wf --db notes.txt   # not a statewright store"),
        "SW966": _E("statewright run start order.wf --db orders.db --set amount=lots"),
        "SW967": _E("two processes send an event to the same instance at the same moment"),
        "SW968": _E("statewright run send order.wf 42 submit --db orders.db   # 42 already finished"),
        "SW969": _E("a store's instance of OrderFulfilment v3 driven with the v4 definition"),
        "SW970": _E("entry do notify_customer   # the runtime has no handler named notify_customer"),
        "SW971": _E("invariant attempts <= 3   # a step would set attempts to 4"),
        "SW972": _E('runtime.complete("42", work_key="unknown-key", result={})'),
        "SW973": _E("an audit log edited by hand so that replaying it leaves another state"),
        "SW974": _E(
            "events { pay(amount: decimal >= 0.00) }\n...\n"
            "statewright run send order.wf 42 pay --db orders.db --data '{\"amount\": -5}'"
        ),
        "SW975": _E("the same idempotency key sent with two different payloads"),
        "SW976": _E("an instance started under an older definition, driven after the .wf changed"),
        "SW977": _E("opening a store keyed with audit key A using audit key B"),
        "SW978": _E("an audit record whose stamp was recomputed without the audit key"),
        "SW979": _E("on a -> S { emit b }\non b -> S { emit a }   # at run time: past 1000 steps"),
        # --- SW98x: statewright test ---
        "SW980": _E("hand-written handler code that sets a field past its invariant during statewright test"),
        "SW981": _E("statewright test order.wf --targets asl   # the ASL run ends in another state"),
        "SW982": _E("statewright test order.wf --targets bpmn   # SpiffWorkflow is not installed"),
        "SW983": _E("a transition only reachable by paths longer than --depth"),
        "SW984": _E("a workflow whose generated module cannot be imported for the design test"),
        "SW985": _E(
            "statewright test data_flow.wf --targets bpmn   # an engine that does not report contexts"
        ),
        # --- SW99x: migrating running instances ---
        "SW990": _E("migrate { Review -> Reveiw }   # no state `Reveiw` in the new spec"),
        "SW991": _E("migrate { A -> B, B -> A }   # a cycle: rename in two versions"),
        "SW992": _E("statewright diff order_v4.wf order_v3.wf   # the new spec's version is not greater"),
        "SW993": _E("the new spec changes `timeout 2m` of Validating to `timeout 30s`"),
        "SW994": _E("the new spec narrows `items: int 1..500` to `items: int 1..100`"),
        "SW995": _E("the new spec drops state Quarantine and has no `migrate { Quarantine -> ... }`"),
        "SW996": _E("statewright run migrate order.wf --db o.db --to v4.wf   # one instance has items = 300"),
    }
)
"""Every built-in code's example (and, where its help is empty or not a fix, the fix)."""


def example_of(code: Code) -> Example | None:
    """Return `code`'s example, None for a code without one (a plugin's, unless it registered one)."""
    return EXAMPLES.get(code.code)


def fix_of(code: Code) -> str:
    """Return how to fix `code`'s findings: the example table's fix, else the code's help."""
    example = EXAMPLES.get(code.code)
    return example.fix if example is not None and example.fix else code.help
