"""``python -m bench``: run the benchmark cases and print the result table.

Examples::

    python -m bench --list
    python -m bench --sizes 10k,100k --repeat 3
    python -m bench --sizes 1M --only import --no-baseline
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench import (  # registers the cases
    analysis_cases,
    dashboard_cases,
    deck_cases,
    import_cases,
    load_cases,
    planning_cases,
    selection_cases,
)
from bench.generate import DATA_DIR
from bench.harness import (
    BENCH_DIR,
    CASES,
    Row,
    format_table,
    machine_info,
    parse_sizes,
    run_case,
)

_ = (
    analysis_cases,
    dashboard_cases,
    deck_cases,
    import_cases,
    load_cases,
    planning_cases,
    selection_cases,
)
DEFAULT_SIZES = "10k,100k"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Time kam against idiomatic pandas, each step in a fresh process.",
    )
    p.add_argument(
        "--sizes",
        default=DEFAULT_SIZES,
        help=f"comma-separated sizes with k/M suffixes (default {DEFAULT_SIZES})",
    )
    p.add_argument("--only", default="", help="run only these cases (comma-separated)")
    p.add_argument("--repeat", type=int, default=3, help="runs per step (default 3)")
    p.add_argument("--seed", type=int, default=1, help="seed of the generated data")
    p.add_argument("--list", action="store_true", help="list the cases and exit")
    p.add_argument(
        "--no-baseline", action="store_true", help="measure kam only (skip pandas)"
    )
    p.add_argument(
        "--timeout", type=float, default=3600.0, help="seconds allowed per child run"
    )
    p.add_argument(
        "--data-dir", type=Path, default=DATA_DIR, help="cache of generated data"
    )
    p.add_argument(
        "--results-dir",
        type=Path,
        default=BENCH_DIR / "results",
        help="where the JSON results go",
    )
    return p


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run the cases, print the table, write the JSON."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.list:
        for case in CASES.values():
            print(f"{case.name:<26} size = {case.unit}: {case.description}")
        return 0
    try:
        sizes = parse_sizes(args.sizes)
    except ValueError as exc:
        parser.error(str(exc))
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; see --list")
    if args.repeat < 1:
        parser.error("--repeat must be ≥ 1")

    started = time.strftime("%Y%m%d-%H%M%S")
    rows: list[Row] = []
    records: list[dict[str, Any]] = []
    for size in sizes:
        for name in names:
            case_rows, record = run_case(
                CASES[name],
                size,
                seed=args.seed,
                repeat=args.repeat,
                data_dir=args.data_dir,
                timeout=args.timeout,
                baseline=not args.no_baseline,
                log=_log,
            )
            rows += case_rows
            records.append(record)

    print(format_table(rows))
    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / f"{started}.json"
    document = {
        "started": started,
        "arguments": {k: str(v) for k, v in vars(args).items()},
        "machine": machine_info(),
        "cases": records,
    }
    out.write_text(json.dumps(document, indent=2, default=str), encoding="utf-8")
    _log(f"results written to {out}")
    failed = any("failed" in note for row in rows for note in row.notes)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
