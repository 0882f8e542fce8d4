"""Login throttling with a fake clock: buckets per name and address, lockout back-off."""

from __future__ import annotations

from api.config import LoginSettings
from api.login_guard import LoginGuard
from api.tickets import TicketBook


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_name_gets_its_burst_then_waits_for_the_refill() -> None:
    clock = Clock()
    guard = LoginGuard(LoginSettings(name_burst=3, name_per_min=6), clock)
    assert [guard.retry_after("desk", "1.1.1.1") for _ in range(3)] == [0, 0, 0]
    assert guard.retry_after("desk", "1.1.1.1") == 10  # one more every 10 s
    assert guard.retry_after("other", "1.1.1.1") == 0  # other names are not held up
    assert guard.retry_after("DESK", "2.2.2.2") > 0  # names compare case-insensitively
    clock.now += 10
    assert guard.retry_after("desk", "1.1.1.1") == 0


def test_an_address_is_limited_across_names() -> None:
    clock = Clock()
    guard = LoginGuard(LoginSettings(address_burst=4, address_per_min=60), clock)
    assert [guard.retry_after(f"user{i}", "9.9.9.9") for i in range(5)] == [0, 0, 0, 0, 1]
    assert guard.retry_after("user9", "8.8.8.8") == 0


def test_failures_lock_a_name_with_doubling_back_off_and_success_clears() -> None:
    clock = Clock()
    settings = LoginSettings(
        name_burst=100, name_per_min=6000, lockout_after=3, lockout_s=30, lockout_max_s=100
    )
    guard = LoginGuard(settings, clock)
    for _ in range(2):
        guard.failed("desk")
    assert guard.retry_after("desk", "a") == 0
    guard.failed("desk")
    assert guard.retry_after("desk", "a") == 30
    clock.now += 30
    guard.failed("desk")
    assert guard.retry_after("desk", "a") == 60
    clock.now += 60
    guard.failed("desk")
    assert guard.retry_after("desk", "a") == 100  # capped
    clock.now += 100
    guard.succeeded("desk")
    guard.failed("desk")
    assert guard.retry_after("desk", "a") == 0


def test_memory_is_bounded() -> None:
    guard = LoginGuard(LoginSettings(max_entries=100), Clock())
    for i in range(1000):
        guard.retry_after(f"u{i}", f"a{i}")
        guard.failed(f"u{i}")
    assert len(guard._failures) == 100
    assert len(guard._names._buckets) == 100


def test_a_ticket_is_used_once() -> None:
    clock = Clock()
    book = TicketBook(clock, max_entries=2)
    assert book.use("a", 1010)
    assert not book.use("a", 1010)
    assert book.use("b", 1010)
    assert not book.use("c", 1010)  # full of live tickets: refuse rather than forget
    clock.now = 1011
    assert book.use("c", 1020)  # the expired ones were dropped
