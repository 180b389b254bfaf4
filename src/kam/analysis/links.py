"""Predecessor links of a task list: ``T1; T2 SS-1; T3 FF+2``.

Shared by the workbook's Tasks check and the timeline; kept free of heavy imports
so that validation does not load the scheduling libraries.
"""

from __future__ import annotations

import re

__all__ = ["LINK_TYPES", "parse_predecessors"]

#: Link types: finish-to-start, start-to-start, finish-to-finish, start-to-finish.
LINK_TYPES = ("FS", "SS", "FF", "SF")

_PRED_RE = re.compile(r"(FS|SS|FF|SF)?\s*(?:([+-])\s*(\d+))?", re.IGNORECASE)


def parse_predecessors(
    text: str, task_ids: set[str] | None = None
) -> list[tuple[str, str, int]]:
    """Parse a predecessor list: ``T1``, ``T1 FS+2``, ``T2 SS-1; T3 FF``.

    Items are separated by ``;`` or ``,``; each is a task id, then optionally a
    link type (FS, SS, FF, SF; default FS) and an integer lag in working days.
    Returns ``(task_id, type, lag)`` triples; raises ``ValueError`` on a malformed
    item. An item equal to a known task id (in ``task_ids``) is taken whole, so ids
    may contain spaces.
    """
    out: list[tuple[str, str, int]] = []
    for item in re.split(r"[;,]", text):
        item = item.strip()
        if not item:
            continue
        if task_ids is not None and item in task_ids:
            out.append((item, "FS", 0))
            continue
        head, _, rest = item.partition(" ")
        m = re.fullmatch(r"(\S+?)([+-]\d+)?", head) if not rest else None
        if m is not None and m[2]:
            raise ValueError(
                f"{item!r}: give the link type before the lag, e.g. FS{m[2]}"
            )
        found = _PRED_RE.fullmatch(rest.strip())
        if found is None or (rest.strip() and not found[1]):
            raise ValueError(
                f"{item!r} is not a predecessor like T1, T1 FS+2 or T2 SS-1"
            )
        lag = int(found[3]) * (-1 if found[2] == "-" else 1) if found[3] else 0
        out.append((head, (found[1] or "FS").upper(), lag))
    return out
