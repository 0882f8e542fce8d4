"""Who owns which partition: a pure, deterministic assignment from the set of live
members, so every member computes the same answer from the same view.

Balanced rendezvous hashing: each partition ranks the members by a hash of (partition,
member) and goes to the best-ranked member that still has room (floor(P/N), or one more
for P mod N of them). N members hold P/N partitions each (±1); most partitions stay where
they were when a member leaves or joins; a member that comes back (same id) gets the same
partitions back (the assignment is a function of the set of member ids)."""

from __future__ import annotations

import hashlib
from collections.abc import Collection


def _score(partition: int, member: str) -> int:
    digest = hashlib.blake2b(f"{partition}/{member}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def assign(partitions: int, members: Collection[str]) -> dict[str, list[int]]:
    """Partitions of each member (every member present, perhaps with none): each holds
    floor(P/N) or ceil(P/N) partitions."""
    names = sorted(set(members))
    owned: dict[str, list[int]] = {name: [] for name in names}
    if not names:
        return owned
    floor, extra = divmod(partitions, len(names))
    bigger = 0  # members holding floor + 1 (at most ``extra`` of them)

    def has_room(name: str) -> bool:
        held = len(owned[name])
        return held < floor or (held == floor and bigger < extra)

    for partition in range(partitions):
        ranked = sorted(names, key=lambda name: (-_score(partition, name), name))
        owner = next(name for name in ranked if has_room(name))
        owned[owner].append(partition)
        bigger += len(owned[owner]) == floor + 1
    return owned


class Membership:
    """Members heard within ``timeout_s`` (seconds on the caller's clock)."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self._heard: dict[str, float] = {}

    def heard(self, member: str, at: float) -> None:
        self._heard[member] = max(at, self._heard.get(member, at))

    def left(self, member: str) -> None:
        self._heard.pop(member, None)

    def live(self, now: float) -> set[str]:
        gone = [m for m, at in self._heard.items() if now - at > self.timeout_s]
        for member in gone:
            del self._heard[member]
        return set(self._heard)
