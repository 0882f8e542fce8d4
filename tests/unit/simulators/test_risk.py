from __future__ import annotations

from collections import Counter
from datetime import date

import numpy as np

from simulators.fleet import generate_fleet
from simulators.risk import FAULT_KINDS, FleetFactors, fault_rates, simulate_fault_history

AS_OF = date(2026, 1, 1)


def test_rates_rise_with_age_poor_maintenance_and_condition() -> None:
    fleet = generate_fleet(2000, 5, AS_OF)
    f = FleetFactors.of(fleet)
    base = fault_rates(f, AS_OF)
    assert base.shape == (2000, len(FAULT_KINDS))
    assert (base > 0).all()
    later = fault_rates(f, date(2036, 1, 1))  # ten years older
    assert (later[:, 0] > base[:, 0]).all()
    for attr, delta in (("tech", -1.0), ("credit", -10.0), ("mgmt", -1.0), ("condition", 0.2)):
        worse = FleetFactors(**{**f.__dict__, attr: getattr(f, attr) + delta})
        assert (fault_rates(worse, AS_OF)[:, 0] > base[:, 0]).all(), attr


def test_history_is_deterministic_and_the_factors_predict_it() -> None:
    fleet = generate_fleet(20_000, 9, AS_OF)
    h1 = simulate_fault_history(fleet, AS_OF, 180, seed=4)
    assert h1 == simulate_fault_history(fleet, AS_OF, 180, seed=4)
    assert h1 != simulate_fault_history(fleet, AS_OF, 180, seed=5)
    assert all(g.is_fault and g.end_ms >= g.start_ms for g in h1)
    kinds = Counter(g.kind for g in h1)
    assert set(kinds) == {k.value for k in FAULT_KINDS}
    # Entrapments per elevator-month near Jiangsu's published 0.55 %.
    monthly = kinds["entrapment"] / len(fleet.elevators) / 6
    assert 0.002 < monthly < 0.012
    # Faults cluster where the rate model says: top decile of predicted risk has far
    # more faults per elevator than the bottom decile, but not deterministically.
    f = FleetFactors.of(fleet)
    predicted = fault_rates(f, AS_OF)[:, :8].sum(axis=1)
    index = {int(e): i for i, e in enumerate(f.elevator_id)}
    counts = np.zeros(len(fleet.elevators))
    mech = {k.value for k in FAULT_KINDS[:8]}
    for g in h1:
        if g.kind in mech:
            counts[index[g.elevator_id]] += 1
    order = np.argsort(predicted)
    low, high = counts[order[:2000]].mean(), counts[order[-2000:]].mean()
    assert high > 4 * low
    assert 0.2 < np.corrcoef(predicted, counts)[0, 1] < 0.9
    # The base factors alone (no hidden condition) still predict, less well.
    no_cond = FleetFactors(**{**f.__dict__, "condition": np.full(f.condition.size, 0.25)})
    base_only = fault_rates(no_cond, AS_OF)[:, :8].sum(axis=1)
    r_base = np.corrcoef(base_only, counts)[0, 1]
    assert 0.1 < r_base < np.corrcoef(predicted, counts)[0, 1]
