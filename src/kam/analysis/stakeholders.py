"""The stakeholder decision map of one account (analyses.md §6).

Fetches the account's small tables (its stakeholders, the dotted lines and
touchpoints that touch them, our team) and works on them in Python: the reports-to
forest is validated, every stakeholder is placed on the grids and given its
engagement, and the influence paths to the targets come from
:mod:`kam.analysis.influence`. Checks live in :mod:`kam.analysis.stakeholder_data`,
grids and gaps in :mod:`kam.analysis.stakeholder_grids`.

Rules, all fixed by the method (the thresholds for "high" on the power × interest
grid and for a stale contact are parameters):

- target: decision power ≥ 4 and attitude ≤ 0; champion: attitude +2; blocker:
  attitude < 0 and decision power ≥ 4;
- targets are ranked by decision power (descending), then by the probability of
  their best path (ascending: the hardest to reach first, no path at all counting as
  0), then by id.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import ibis.expr.types as ir

from kam.analysis.influence import InfluencePath, influence_graph, influence_paths
from kam.analysis.result import AnalysisResult
from kam.analysis.spec import Analysis, Parameter
from kam.analysis.stakeholder_data import MapData, Touch, load_map
from kam.analysis.stakeholder_grids import (
    QUADRANTS,
    coverage_gaps,
    power_attitude_grid,
    power_interest_grid,
    quadrant,
)

__all__ = [
    "ANALYSIS",
    "OUTPUT_COLUMNS",
    "QUADRANTS",
    "TARGET_POWER",
    "coverage_gaps",
    "quadrant",
    "stakeholder_map",
]

#: The columns of a stakeholder row, with their meaning.
OUTPUT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("stakeholder_id", "the stakeholder"),
    ("name", "name"),
    ("title", "job title"),
    ("organisation", "blank = the account; else the third party they work for"),
    ("reports_to", "their manager (a stakeholder), blank for a root of the chart"),
    ("decision_power", "1–5"),
    ("interest", "1–5 (blank counts as low on the grid)"),
    ("attitude", "−2 hostile … +2 champion"),
    ("buying_role", "role in the buying decision"),
    ("quadrant", "manage closely, keep satisfied, keep informed or monitor"),
    ("is_target", "decision power ≥ 4 and attitude ≤ 0"),
    ("target_rank", "1 = the first target to work on; blank for non-targets"),
    ("is_champion", "attitude +2"),
    ("is_blocker", "attitude < 0 and decision power ≥ 4"),
    ("coverage", "covered (a touchpoint of strength ≥ 2), weak (strength 1) or none"),
    ("team", "who on our team knows them, with the strength: 'Name (3), Name (1)'"),
    ("touchpoint_strength", "the strongest touchpoint, 1–3; blank without one"),
    ("last_contact_on", "the latest contact over their touchpoints"),
    ("days_since_contact", "days from last_contact_on to as_of"),
    ("stale", "a touchpoint whose latest contact is older than stale_days or unknown"),
    ("best_path_probability", "targets: the probability of the best path"),
    ("best_path", "targets: the best path, by name"),
)

#: Decision power from which a neutral or negative stakeholder is a target.
TARGET_POWER = 4


def stakeholder_map(
    tables: Mapping[str, ir.Table],
    *,
    account: str | None = None,
    as_of: date | None = None,
    stale_days: int = 90,
    high_from: int = 3,
    paths: int = 3,
    max_edges: int = 4,
) -> AnalysisResult:
    """The decision map of ``account``: stakeholder rows, targets and their paths.

    ``tables``: Ibis tables keyed by store name (``stakeholders``; ``influences``,
    ``touchpoints``, ``team`` and ``accounts`` when present). ``account`` may be left
    out when only one account has stakeholders. ``as_of`` (default: today) dates the
    engagement; ``high_from`` is the power and interest from which a stakeholder is
    "high" on the power × interest grid; ``paths`` best paths per target, each of at
    most ``max_edges`` edges.

    Rows: :data:`OUTPUT_COLUMNS`, targets first (by rank), then by decision power
    (descending) and id. Tables: ``paths`` (``target``, ``rank``, ``path`` as ids
    from the team member, ``names``, ``probability``, ``weakest_link`` as the two ids,
    ``weakest_p``, ``kinds``), ``targets``, ``power_interest``, ``power_attitude``,
    ``gaps``, ``influences`` and ``touchpoints`` (for drawing the chart).

    Raises WorkbookError naming every reports-to cycle and unknown id.
    """
    day = as_of or date.today()
    data = load_map(tables, account)
    touches = data.touches_by_stakeholder()
    graph = influence_graph(
        {s: p.attitude for s, p in data.people.items()},
        {s: p.reports_to for s, p in data.people.items()},
        ((i.source, i.target, i.strength, i.sentiment) for i in data.influences),
        ((t.member, t.stakeholder, t.strength) for t in data.touchpoints),
    )

    targets = [
        s
        for s, p in data.people.items()
        if p.decision_power >= TARGET_POWER and p.attitude <= 0
    ]
    found = influence_paths(graph, targets, k=paths, max_edges=max_edges)

    def best(t: str) -> float:
        return found[t][0].probability if found[t] else 0.0

    targets.sort(key=lambda t: (-data.people[t].decision_power, best(t), t))
    rank = {t: i for i, t in enumerate(targets, start=1)}

    path_rows: list[dict[str, object]] = []
    for t in targets:
        for i, path in enumerate(found[t], start=1):
            a, b = path.weakest_link
            path_rows.append(
                {
                    "target": t,
                    "rank": i,
                    "path": list(path.nodes),
                    "names": [data.member_name(path.nodes[0])]
                    + [data.name(s) for s in path.nodes[1:]],
                    "probability": round(path.probability, 6),
                    "weakest_link": [a, b],
                    "weakest_p": path.edges[path.weakest],
                    "kinds": list(path.kinds),
                }
            )
    best_text = {
        t: " → ".join(
            [data.member_name(ps[0].nodes[0])] + [data.name(x) for x in ps[0].nodes[1:]]
        )
        for t, ps in found.items()
        if ps
    }

    rows = [
        _row(
            sid,
            data,
            touches.get(sid, []),
            day=day,
            stale_days=stale_days,
            high_from=high_from,
            rank=rank.get(sid),
            best=round(best(sid), 6) if sid in rank else None,
            best_path=best_text.get(sid),
        )
        for sid in data.people
    ]
    rows.sort(
        key=lambda r: (
            r["target_rank"] is None,
            r["target_rank"] or 0,
            -data.people[str(r["stakeholder_id"])].decision_power,
            str(r["stakeholder_id"]),
        )
    )
    target_rows = [
        {
            k: r[k]
            for k in (
                "target_rank",
                "stakeholder_id",
                "name",
                "title",
                "decision_power",
                "attitude",
                "best_path_probability",
                "best_path",
            )
        }
        for r in rows
        if r["is_target"]
    ]
    gaps = coverage_gaps(data, touches, target_power=TARGET_POWER)
    summary = _summary(data, rows, gaps, found)
    return AnalysisResult(
        analysis="stakeholders",
        parameters={
            "account": data.account,
            "as_of": day,
            "stale_days": stale_days,
            "high_from": high_from,
            "paths": paths,
            "max_edges": max_edges,
        },
        summary=summary,
        rows=rows,
        tables={
            "paths": path_rows,
            "targets": target_rows,
            "power_interest": power_interest_grid(rows),
            "power_attitude": power_attitude_grid(rows),
            "gaps": gaps,
            "influences": [i.as_row() for i in data.influences],
            "touchpoints": [
                t.as_row(data.member_name(t.member)) for t in data.touchpoints
            ],
        },
        warnings=list(data.warnings),
        top_level=("paths",),
    )


def _row(
    sid: str,
    data: MapData,
    touches: list[Touch],
    *,
    day: date,
    stale_days: int,
    high_from: int,
    rank: int | None,
    best: float | None,
    best_path: str | None,
) -> dict[str, object]:
    person = data.people[sid]
    power, attitude = person.decision_power, person.attitude
    strength = max((t.strength for t in touches), default=None)
    dates = [t.last_contact_on for t in touches if t.last_contact_on is not None]
    last = max(dates, default=None)
    days = (day - last).days if last is not None else None
    ordered = sorted(touches, key=lambda t: (-t.strength, data.member_name(t.member)))
    return {
        "stakeholder_id": sid,
        "name": person.name,
        "title": person.title,
        "organisation": person.organisation,
        "reports_to": person.reports_to,
        "decision_power": power,
        "interest": person.interest,
        "attitude": attitude,
        "buying_role": person.buying_role,
        "quadrant": quadrant(power, person.interest, high_from),
        "is_target": rank is not None,
        "target_rank": rank,
        "is_champion": attitude == 2,
        "is_blocker": attitude < 0 and power >= TARGET_POWER,
        "coverage": "none"
        if strength is None
        else ("covered" if strength >= 2 else "weak"),
        "team": ", ".join(
            f"{data.member_name(t.member)} ({t.strength})" for t in ordered
        ),
        "touchpoint_strength": strength,
        "last_contact_on": last,
        "days_since_contact": days,
        "stale": bool(touches) and (days is None or days > stale_days),
        "best_path_probability": best,
        "best_path": best_path,
    }


def _summary(
    data: MapData,
    rows: list[dict[str, object]],
    gaps: list[dict[str, object]],
    found: Mapping[str, list[InfluencePath]],
) -> dict[str, object]:
    def ids(flag: str) -> list[str]:
        return sorted(str(r["stakeholder_id"]) for r in rows if r[flag])

    targets = [str(r["stakeholder_id"]) for r in rows if r["is_target"]]
    champions, blockers = ids("is_champion"), ids("is_blocker")
    kinds = {str(g["gap"]) for g in gaps}
    lines = [
        f"{data.account_name} ({data.account}): {len(rows)} stakeholders, "
        f"{len(targets)} targets, {len(champions)} champions, "
        f"{len(blockers)} blockers."
    ]
    for r in rows:
        if not r["is_target"]:
            continue
        sid = str(r["stakeholder_id"])
        person = data.people[sid]
        lines.append(
            f"{r['target_rank']}. {sid} {person.name} "
            f"({person.title or 'no title'}, power {person.decision_power}, "
            f"attitude {person.attitude:+d})"
        )
        if not found[sid]:
            lines.append("   no path from our team within the edge limit")
        for path in found[sid]:
            a, b = path.weakest_link
            names = [data.member_name(path.nodes[0])] + [
                data.name(x) for x in path.nodes[1:]
            ]
            lines.append(
                f"   {' → '.join(names)}: {path.probability * 100:.1f} % "
                f"(weakest link {data.label(a)} → {data.label(b)}, "
                f"p {path.edges[path.weakest]:.2f})"
            )
    for g in gaps:
        lines.append(f"Gap: {g['detail']}")
    return {
        "headline": "\n".join(lines),
        "account": data.account,
        "account_name": data.account_name,
        "stakeholders": len(rows),
        "targets": targets,
        "champions": champions,
        "blockers": blockers,
        "single_threaded": "single_threaded" in kinds,
        "no_decision_maker": "no_decision_maker" in kinds,
        "no_economic_buyer": "no_economic_buyer" in kinds,
        "uncovered_high_power": sorted(
            str(g["stakeholder_id"]) for g in gaps if g["gap"] == "no_touchpoint"
        ),
        "stale": ids("stale"),
    }


#: The registry entry.
ANALYSIS = Analysis(
    name="stakeholders",
    title="Stakeholder decision map",
    description="Targets, champions and blockers of one account, the coverage gaps "
    "and the best paths from our team to each target.",
    parameters=(
        Parameter(
            "account",
            "text",
            None,
            "the account (default: the only one with stakeholders)",
        ),
        Parameter(
            "as_of",
            "date",
            None,
            "date the days since the last contact are counted to (default: today)",
            setting="as_of",
        ),
        Parameter(
            "stale_days",
            "int",
            90,
            "a contact older than this many days is stale",
            minimum=1,
            maximum=3650,
        ),
        Parameter(
            "high_from",
            "int",
            3,
            "power and interest from which a stakeholder is high on the grid",
            minimum=1,
            maximum=5,
        ),
        Parameter(
            "paths", "int", 3, "best paths shown per target", minimum=1, maximum=10
        ),
        Parameter(
            "max_edges",
            "int",
            4,
            "longest path, in steps from our team member to the target",
            minimum=1,
            maximum=6,
        ),
    ),
    needs=("Stakeholders",),
    output_columns=OUTPUT_COLUMNS,
    run=stakeholder_map,
)
