"""Run benchmark cases, each measured step in a fresh child process.

A :class:`Case` names two implementations of the same work, ``kam`` and a pandas
``baseline``. Each :class:`Impl` is a function ``(params, clock) -> info`` given by
its dotted name, so that a child process (``python -m bench._child``) can import and
run it; the function times its own phases with the :class:`Clock` it is given (so
that setup such as creating an empty store is not timed). An optional ``setup``
function runs once per size in its own child before the repeats (the stored data a
re-import starts from), so its memory does not count.

The peak memory of a step is the child's maximum resident set size plus that of the
processes it waited for (the workbook parser runs in one): an upper bound of what the
step held at once.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "CASES",
    "Case",
    "Clock",
    "Impl",
    "Measurement",
    "Row",
    "StepFailed",
    "format_size",
    "parse_sizes",
    "register",
    "run_step",
    "summarise",
]

#: Marks the result line a child prints on stdout (other output is passed through).
RESULT_MARK = "BENCH-RESULT "
BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent

Params = dict[str, str]


class StepFailed(RuntimeError):
    """A child process failed; the message holds the end of its stderr."""


class Clock:
    """Wall-time phases of one measured run: ``with clock("write"): ...``."""

    def __init__(self) -> None:
        self.phases: dict[str, float] = {}

    @contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            self.phases[phase] = self.phases.get(phase, 0.0) + elapsed


@dataclass(frozen=True)
class Impl:
    """One implementation: ``run`` and ``setup`` are ``"module:function"`` names.

    ``run(params, clock) -> dict`` is measured; the dict it returns (row counts,
    flags) lands in the JSON results. ``setup(params) -> None`` runs before the
    repeats in its own child.
    """

    run: str
    setup: str | None = None


@dataclass(frozen=True)
class Case:
    """A benchmark case.

    ``prepare(size, seed, data_dir) -> params`` runs in the harness (it generates or
    finds the input files); ``unit`` says what ``size`` counts; ``phases`` are the
    phases reported as rows of their own besides the total.
    """

    name: str
    description: str
    unit: str
    prepare: Callable[[int, int, Path], Params]
    kam: Impl
    baseline: Impl | None
    phases: tuple[str, ...] = ()
    #: Further baselines by label (``("duckdb-sql", Impl(...))``): each gets a row of
    #: its own, ``<case> [<label>]``, with kam's figures beside it.
    extra_baselines: tuple[tuple[str, Impl], ...] = ()


#: The case registry: name -> case, in the order they run and print.
CASES: dict[str, Case] = {}


def register(case: Case) -> Case:
    """Add a case to :data:`CASES` (names are unique)."""
    if case.name in CASES:
        raise ValueError(f"benchmark case {case.name!r} is already registered")
    CASES[case.name] = case
    return case


@dataclass(frozen=True)
class Measurement:
    """One child run: phase seconds, peak resident memory in bytes, info."""

    phases: dict[str, float]
    peak_bytes: int
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(self.phases.values())


@dataclass(frozen=True)
class Row:
    """One line of the result table: a case (or one of its phases) at one size."""

    case: str
    size: int
    unit: str
    kam: dict[str, float] | None
    baseline: dict[str, float] | None
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        """Baseline median over kam median (> 1: kam is faster)."""
        if not self.kam or not self.baseline or self.kam["median_s"] <= 0:
            return None
        return self.baseline["median_s"] / self.kam["median_s"]


def parse_sizes(text: str) -> list[int]:
    """``"10k,100k,1M"`` -> ``[10000, 100000, 1000000]`` (k = 10³, M = 10⁶)."""
    sizes: list[int] = []
    for part in text.split(","):
        token = part.strip()
        if not token:
            continue
        factor = 1
        if token[-1] in "kK":
            factor, token = 1_000, token[:-1]
        elif token[-1] in "mM":
            factor, token = 1_000_000, token[:-1]
        try:
            value = float(token) * factor
        except ValueError:
            raise ValueError(
                f"size {part.strip()!r} is not a number like 10k or 1M"
            ) from None
        if value < 1 or not value.is_integer():
            raise ValueError(f"size {part.strip()!r} must be a whole number ≥ 1")
        sizes.append(int(value))
    if not sizes:
        raise ValueError("no sizes given")
    return sizes


def format_size(n: int) -> str:
    """The short form used in tables: 10000 -> ``10k``, 1000000 -> ``1M``."""
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    # The children import bench from this checkout whatever the working directory.
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), env.get("PYTHONPATH")) if p
    )
    return env


def run_step(
    function: str,
    params: Mapping[str, str],
    *,
    timeout: float | None = None,
    python: str = sys.executable,
) -> Measurement:
    """Run ``function`` (``"module:function"``) in a fresh child; its measurement."""
    spec = json.dumps({"function": function, "params": dict(params)})
    try:
        done = subprocess.run(
            [python, "-m", "bench._child", spec],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=_child_env(),
            cwd=ROOT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise StepFailed(f"{function} took more than {timeout} s") from exc
    result = None
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            result = json.loads(line[len(RESULT_MARK) :])
    if done.returncode != 0 or result is None:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        raise StepFailed(f"{function} failed (exit {done.returncode}):\n{tail}")
    return Measurement(
        phases={k: float(v) for k, v in result["phases"].items()},
        peak_bytes=int(result["peak_bytes"]),
        info=dict(result.get("info", {})),
    )


def summarise(
    runs: Sequence[Measurement], phase: str | None = None
) -> dict[str, float]:
    """Median and min seconds (of ``phase``, or of the total) and the peak MiB."""
    seconds = [r.total if phase is None else r.phases.get(phase, 0.0) for r in runs]
    return {
        "median_s": statistics.median(seconds),
        "min_s": min(seconds),
        "peak_mib": max(r.peak_bytes for r in runs) / 2**20,
        "runs": len(runs),
    }


@dataclass
class _ImplResult:
    runs: list[Measurement] = field(default_factory=list)
    error: str | None = None


def _measure(
    impl: Impl,
    params: Params,
    repeat: int,
    timeout: float | None,
    log: Callable[[str], None],
) -> _ImplResult:
    result = _ImplResult()
    work = Path(tempfile.mkdtemp(prefix="kam-bench-"))
    step_params = {**params, "work": str(work)}
    try:
        if impl.setup is not None:
            log(f"    setup {impl.setup}")
            run_step(impl.setup, step_params, timeout=timeout)
        for i in range(repeat):
            m = run_step(impl.run, step_params, timeout=timeout)
            log(
                f"    run {i + 1}/{repeat}: {m.total:.2f} s, "
                f"{m.peak_bytes / 2**20:.0f} MiB"
            )
            result.runs.append(m)
    except StepFailed as exc:
        result.error = str(exc)
        log(f"    FAILED: {exc}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return result


def run_case(
    case: Case,
    size: int,
    *,
    seed: int,
    repeat: int,
    data_dir: Path,
    timeout: float | None = None,
    baseline: bool = True,
    log: Callable[[str], None] = lambda s: None,
) -> tuple[list[Row], dict[str, Any]]:
    """Measure both implementations of ``case`` at ``size``; rows and a JSON record."""
    try:
        params = case.prepare(size, seed, data_dir)
    except ValueError as exc:  # the size does not apply (an xlsx beyond Excel's rows)
        row = Row(case.name, size, case.unit, None, None, [f"skipped: {exc}"])
        return [row], {"case": case.name, "size": size, "skipped": str(exc)}
    results: dict[str, _ImplResult] = {}
    impls = {"kam": case.kam}
    if baseline and case.baseline is not None:
        impls["baseline"] = case.baseline
    if baseline:
        impls.update(case.extra_baselines)
    for label, impl in impls.items():
        log(f"  {case.name} [{format_size(size)} {case.unit}] {label}")
        results[label] = _measure(impl, params, repeat, timeout, log)

    rows: list[Row] = []
    for phase in (*case.phases, None):
        title = case.name if phase is None else f"{case.name}: {phase}"
        stats: dict[str, dict[str, float] | None] = {}
        notes: list[str] = []
        for label in ("kam", "baseline"):
            r = results.get(label)
            if r is None or not r.runs:
                stats[label] = None
                if r is not None and r.error:
                    notes.append(f"{label} failed")
                continue
            stats[label] = summarise(r.runs, phase)
        if phase is None:
            notes += _info_notes(results) + _check_notes(results)
        rows.append(Row(title, size, case.unit, stats["kam"], stats["baseline"], notes))
    for label, _ in case.extra_baselines:
        extra = results.get(label)
        if extra is None:
            continue
        kam_runs = results["kam"].runs
        rows.append(
            Row(
                f"{case.name} [{label}]",
                size,
                case.unit,
                summarise(kam_runs) if kam_runs else None,
                summarise(extra.runs) if extra.runs else None,
                [f"{label} failed"] if extra.error else [],
            )
        )

    record = {
        "case": case.name,
        "size": size,
        "unit": case.unit,
        "params": params,
        "implementations": {
            label: {
                "error": r.error,
                "runs": [
                    {"phases": m.phases, "peak_bytes": m.peak_bytes, "info": m.info}
                    for m in r.runs
                ],
            }
            for label, r in results.items()
        },
        "rows": [_row_record(row) for row in rows],
    }
    return rows, record


def _info_notes(results: Mapping[str, _ImplResult]) -> list[str]:
    # A step may flag what the table must show, e.g. a re-import that changed data.
    notes: list[str] = []
    for label, r in results.items():
        for m in r.runs[:1]:
            note = m.info.get("note")
            if note:
                notes.append(f"{label}: {note}")
    return notes


def _check_notes(results: Mapping[str, _ImplResult]) -> list[str]:
    # Implementations that return a "check" digest must agree on it; a disagreement
    # marks the row failed (the exit status says so).
    checks = {
        label: r.runs[0].info["check"]
        for label, r in results.items()
        if r.runs and "check" in r.runs[0].info
    }
    if len(checks) < 2:
        return []
    if len(set(checks.values())) == 1:
        return [f"results agree ({', '.join(checks)})"]
    return [f"failed: results differ ({', '.join(sorted(checks))})"]


def _row_record(row: Row) -> dict[str, Any]:
    return {
        "case": row.case,
        "size": row.size,
        "unit": row.unit,
        "kam": row.kam,
        "baseline": row.baseline,
        "ratio_baseline_over_kam": row.ratio,
        "notes": row.notes,
    }


def format_table(rows: Sequence[Row]) -> str:
    """The result table in Markdown (it reads in a terminal and pastes into docs)."""
    header = [
        "case",
        "size",
        "kam median s",
        "kam min s",
        "kam peak MiB",
        "baseline median s",
        "baseline min s",
        "baseline peak MiB",
        "ratio baseline/kam",
        "notes",
    ]
    body: list[list[str]] = []
    for r in rows:
        k, b = r.kam, r.baseline
        body.append(
            [
                r.case,
                f"{format_size(r.size)} {r.unit}",
                _num(k, "median_s", 2),
                _num(k, "min_s", 2),
                _num(k, "peak_mib", 0),
                _num(b, "median_s", 2),
                _num(b, "min_s", 2),
                _num(b, "peak_mib", 0),
                "—" if r.ratio is None else f"{r.ratio:.2f}",
                "; ".join(r.notes),
            ]
        )
    widths = [
        max(len(h), *(len(line[i]) for line in body)) for i, h in enumerate(header)
    ]
    numeric = set(range(2, 9))

    def line(cells: Sequence[str]) -> str:
        padded = [
            c.rjust(widths[i]) if i in numeric else c.ljust(widths[i])
            for i, c in enumerate(cells)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(
            "-" * (w + 1) + ":" if i in numeric else "-" * (w + 2)
            for i, w in enumerate(widths)
        )
        + "|"
    )
    return "\n".join([line(header), rule, *(line(b) for b in body)])


def _num(stats: Mapping[str, float] | None, key: str, digits: int) -> str:
    if stats is None:
        return "—"
    return f"{stats[key]:.{digits}f}"


def machine_info() -> dict[str, Any]:
    """Where the numbers come from: Python, CPU count, versions of the libraries."""
    import platform
    from importlib import metadata

    versions: dict[str, str] = {}
    for package in (
        "kam",
        "pandas",
        "numpy",
        "pyarrow",
        "openpyxl",
        "python-calamine",
        "sqlalchemy",
    ):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "absent"
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "versions": versions,
    }
