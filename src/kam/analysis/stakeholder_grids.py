"""The grids and coverage gaps of a stakeholder map (analyses.md §6)."""

from __future__ import annotations

from collections.abc import Mapping

from kam.analysis.stakeholder_data import MapData, Touch

__all__ = [
    "QUADRANTS",
    "coverage_gaps",
    "power_attitude_grid",
    "power_interest_grid",
    "quadrant",
]


#: The power × interest quadrants, in display order.
QUADRANTS = ("manage closely", "keep satisfied", "keep informed", "monitor")


def quadrant(power: int, interest: int | None, high_from: int = 3) -> str:
    """The power × interest quadrant; "high" is ``high_from`` or more, a blank
    interest counts as low."""
    high_power = power >= high_from
    high_interest = interest is not None and interest >= high_from
    if high_power:
        return QUADRANTS[0] if high_interest else QUADRANTS[1]
    return QUADRANTS[2] if high_interest else QUADRANTS[3]


def power_interest_grid(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """One row per quadrant: ``quadrant``, ``count``, ``stakeholders`` (ids)."""
    return [
        {
            "quadrant": q,
            "count": len(
                ids := sorted(
                    str(r["stakeholder_id"]) for r in rows if r["quadrant"] == q
                )
            ),
            "stakeholders": ids,
        }
        for q in QUADRANTS
    ]


def power_attitude_grid(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """One row per cell, power 5…1 by attitude −2…+2: ``decision_power``,
    ``attitude``, ``count``, ``stakeholders`` (ids)."""
    cells: dict[tuple[object, object], list[str]] = {}
    for r in rows:
        cells.setdefault((r["decision_power"], r["attitude"]), []).append(
            str(r["stakeholder_id"])
        )
    return [
        {
            "decision_power": power,
            "attitude": attitude,
            "count": len(cells.get((power, attitude), [])),
            "stakeholders": sorted(cells.get((power, attitude), [])),
        }
        for power in range(5, 0, -1)
        for attitude in range(-2, 3)
    ]


def coverage_gaps(
    data: MapData, touches: Mapping[str, list[Touch]], *, target_power: int
) -> list[dict[str, object]]:
    """The holes in our coverage: ``gap``, ``stakeholder_id`` (blank for an
    account-wide gap), ``detail``.

    - ``no_touchpoint``: decision power ≥ ``target_power`` and nobody of ours knows
      them;
    - ``single_threaded``: at most one stakeholder has a touchpoint of strength ≥ 2;
    - ``no_decision_maker`` / ``no_economic_buyer``: nobody has that buying role.
    """
    gaps: list[dict[str, object]] = []
    for sid, person in data.people.items():
        if person.decision_power >= target_power and not touches.get(sid):
            gaps.append(
                {
                    "gap": "no_touchpoint",
                    "stakeholder_id": sid,
                    "detail": f"{person.name} ({sid}, power "
                    f"{person.decision_power}) has no touchpoint with our team",
                }
            )
    strong = sorted(
        sid for sid, ts in touches.items() if any(t.strength >= 2 for t in ts)
    )
    if data.people and len(strong) <= 1:
        who = f"only {strong[0]}" if strong else "nobody"
        gaps.append(
            {
                "gap": "single_threaded",
                "stakeholder_id": None,
                "detail": f"single-threaded: {who} has a touchpoint of strength ≥ 2",
            }
        )
    roles = {p.buying_role for p in data.people.values()}
    for role, gap in (
        ("decision_maker", "no_decision_maker"),
        ("economic_buyer", "no_economic_buyer"),
    ):
        if data.people and role not in roles:
            gaps.append(
                {
                    "gap": gap,
                    "stakeholder_id": None,
                    "detail": "no stakeholder is known as the "
                    + role.replace("_", " "),
                }
            )
    return gaps
