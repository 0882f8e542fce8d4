"""Simulated rescuers and hotline: realistic, deterministic per seed."""

from __future__ import annotations

import numpy as np

from simulators.hotline import day_of_entrapments
from simulators.rescue import Answer, RescuerAgents


def test_agents_are_deterministic_per_rescuer_and_realistic() -> None:
    a, b = RescuerAgents(3), RescuerAgents(3)
    assert [a.answer(7) for _ in range(5)] == [b.answer(7) for _ in range(5)]
    answers = [RescuerAgents(3).answer(r)[0] for r in range(2000)]
    accept = answers.count(Answer.ACCEPT) / len(answers)
    assert 0.75 < accept < 0.9
    assert a.answer(1, busy=True)[0] is Answer.DECLINE
    on_site = np.array([a.on_site_s(r) for r in range(2000)]) / 60
    assert 6 < on_site.mean() < 8
    assert a.travel_s(1, 5000, 8.0) > 0


def test_day_of_entrapments_peaks() -> None:
    day = day_of_entrapments(1000, 5000, 1)
    hours = np.array([i.at_s // 3600 for i in day])
    assert (np.diff([i.at_s for i in day]) >= 0).all()
    assert (hours == 18).sum() > 3 * (hours == 3).sum()
    missed = [i for i in day if not i.detected]
    assert 0.05 < len(missed) / len(day) < 0.15
    assert all(i.call_after_s for i in missed)
