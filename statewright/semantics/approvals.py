"""How approvals fill an approval level's listed approvers: a maximum matching (LANGUAGE.md §10).

Each listed approver is one quorum place. An approving actor stands for some of
them (by id, a held role, or a delegation), and one approval fills one place,
each by a different actor. Which place an approval fills is not fixed when it
is cast: the level counts the largest set of places that distinct approving
actors can fill at once (a maximum bipartite matching), so the order in which
people approve never matters. Filling "the first open place" instead lets an
actor who holds two roles take the place the next approver needed, and the
level stalls with a valid quorum on the table.

The runtime, the Step Functions evaluator and the BPMN task lists all count
through `filled` and `counts`; the places are few (a level lists a handful of
approvers), so Kuhn's augmenting paths, O(places x approvals^2), are plenty.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence


def filled(approvals: Sequence[Collection[str]]) -> int:
    """How many places the approvals fill at once (the size of a maximum matching).

    Each approval is the set of places its actor stood for; it fills at most one
    place, and each place holds at most one approval.
    """
    holder: dict[str, int] = {}  # place -> the approval filling it

    def place(approval: int, seen: set[str]) -> bool:
        for candidate in sorted(approvals[approval]):
            if candidate in seen:
                continue
            seen.add(candidate)
            if candidate not in holder or place(holder[candidate], seen):
                holder[candidate] = approval
                return True
        return False

    return sum(1 for index in range(len(approvals)) if place(index, set()))


def counts(approvals: Sequence[Collection[str]], standing: Collection[str]) -> bool:
    """Whether one more approval, by an actor standing for `standing`, fills another place.

    An approval that fills nothing new (every place it could take is needed by
    approvals already cast) is refused rather than recorded: it could never
    move the level toward its quorum.
    """
    return bool(standing) and filled([*approvals, standing]) > filled(approvals)
