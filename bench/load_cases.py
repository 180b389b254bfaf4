"""The web load case: signed-in users browsing a 10k-account workspace.

=========  ==========================================================  ==========
case       what is measured                                            size
=========  ==========================================================  ==========
web_load   ``users`` signed-in users browse the portfolio, Pareto,     accounts
           ABC and account pages for ``seconds`` against one server
           process on loopback; p50/p95 per page and the error rate
=========  ==========================================================  ==========

``dashboard_load`` runs the same users on the Dashboard and Retention pages (the
issue's target: dashboard p95 ≤ 400 ms with 50 users at 10k accounts).

Two more cases for the stakeholder decision map (issue 8's targets: analysis plus
layout of a 300-stakeholder account ≤ 0.2 s; the map page's p95 ≤ 300 ms at 50 users):

- ``stakeholder_map_load``: the same users, the same server, only the map pages
  (``/accounts/{id}/stakeholders``) of 20 accounts holding 300 stakeholders each
  (:func:`stakeholder_portfolio`, imported on top of the generated portfolio);
- ``stakeholder_map``: the map analysis and the org-chart layout of one 300-person
  account in one process; the notes give the first run and the warm median, wall and
  CPU time (the size is ignored).

The setup imports the generated portfolio into a SQLite store and creates the users
(analysts and executives, who read every account). The measured run starts the
server (``uvicorn``, one process, 127.0.0.1) as a subprocess, signs every user in
once, warms each page once (the first request of a page builds the analytics
snapshot, which is a one-off per data version), then runs the users concurrently:
each requests a page, waits a think time of 0.5–1.5 s (a person reading it), and
goes on, until the time is up. Every request is recorded, with its status; any
status other than 200, or a transport error, counts as an error.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.generate import default_dir, generate
from bench.harness import Case, Clock, Impl, Params, register
from bench.import_cases import _load

if TYPE_CHECKING:
    from kam.model import Portfolio

__all__ = ["kam_setup_web_load", "kam_web_load", "serve"]

USERS = 50
SECONDS = 60.0
PASSWORD = "bench password, long enough"
PAGES = ("portfolio", "pareto", "abc", "account")
THINK = (0.5, 1.5)


def _db(params: Mapping[str, str]) -> Path:
    return Path(params["work"]) / "kam.db"


def kam_setup_web_load(params: Mapping[str, str]) -> None:
    """Import the portfolio into a new store and create the users."""
    from kam.store.repository import Store
    from kam.users import create_user

    store = Store(f"sqlite:///{_db(params)}")
    try:
        store.upgrade()
        store.import_portfolio(_load(Path(params["path"])), source=params["path"])
        for i in range(int(params.get("users", USERS))):
            role = "analyst" if i % 2 else "executive"
            create_user(store.engine, f"user{i}@bench.example", role, password=PASSWORD)
    finally:
        store.dispose()


def serve(db: str, port: int) -> None:
    """Serve the workspace over the store ``db`` on 127.0.0.1:``port``."""
    import uvicorn

    from kam.config import Settings
    from kam.web import create_app

    app = create_app(Settings(database_url=f"sqlite:///{db}"))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", workers=1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def _start(db: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    code = f"from bench.load_cases import serve; serve({str(db)!r}, {port})"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    server = subprocess.Popen([sys.executable, "-c", code], env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server, base
        except OSError:
            if server.poll() is not None:
                raise RuntimeError("the server exited at start") from None
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("the server did not start within 60 s")


async def _sign_in(client: Any, email: str) -> None:
    form = await client.get("/signin")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    if token is None:
        raise RuntimeError("no sign-in form")
    done = await client.post(
        "/signin",
        data={"csrf_token": token.group(1), "email": email, "password": PASSWORD},
    )
    if done.status_code != 303:
        raise RuntimeError(f"sign-in of {email} failed: {done.status_code}")


def _path(page: str, accounts: list[str], rng: random.Random) -> str:
    if page == "portfolio":
        return "/"
    if page == "stakeholders":
        return f"/accounts/{rng.choice(accounts)}/stakeholders"
    if page == "account":
        return f"/accounts/{rng.choice(accounts)}"
    if page in ("plan", "timeline", "divisions", "raci"):  # planning_load
        return f"/accounts/{rng.choice(accounts)}/{page}"
    if page == "charter":
        return "/programme/charter"
    if page in ("dashboard", "retention"):
        return f"/{page}"
    return f"/tools/{page}"


async def _user(
    client: Any,
    accounts: list[str],
    until: float,
    seed: int,
    record: dict[str, list[float]],
    errors: dict[str, int],
    kinds: dict[str, int],
    pages: tuple[str, ...] = PAGES,
) -> None:
    import httpx2

    rng = random.Random(seed)
    i = rng.randrange(len(pages))
    while time.perf_counter() < until:
        page = pages[i % len(pages)]
        i += 1
        started = time.perf_counter()
        try:
            response = await client.get(_path(page, accounts, rng))
            kind = "" if response.status_code == 200 else str(response.status_code)
        except httpx2.HTTPError as exc:
            kind = type(exc).__name__
        elapsed = time.perf_counter() - started
        record[page].append(elapsed)
        if kind:
            errors[page] += 1
            kinds[kind] = kinds.get(kind, 0) + 1
        await asyncio.sleep(rng.uniform(*THINK))


def _percentile(values: list[float], q: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def _load_run(
    base: str,
    users: int,
    seconds: float,
    accounts: list[str],
    clock: Clock,
    pages: tuple[str, ...] = PAGES,
    warm: tuple[str, ...] = (),
) -> dict[str, Any]:
    import httpx2

    limits = httpx2.Limits(max_connections=1)
    clients = [
        httpx2.AsyncClient(base_url=base, timeout=60.0, limits=limits)
        for _ in range(users)
    ]
    try:
        for i, client in enumerate(clients):
            await _sign_in(client, f"user{i}@bench.example")
        for page in pages:  # builds the snapshot and the first results
            await clients[0].get(_path(page, accounts, random.Random(0)))
        for path in warm:  # results computed once per data version, like the above
            await clients[0].get(path)
        record: dict[str, list[float]] = {p: [] for p in pages}
        errors = dict.fromkeys(pages, 0)
        kinds: dict[str, int] = {}
        with clock("load"):
            until = time.perf_counter() + seconds
            await asyncio.gather(
                *(
                    _user(c, accounts, until, i, record, errors, kinds, pages)
                    for i, c in enumerate(clients)
                )
            )
    finally:
        for client in clients:
            await client.aclose()
    total = sum(len(v) for v in record.values())
    by_page = {
        p: {
            "requests": len(record[p]),
            "errors": errors[p],
            "p50_ms": round(_percentile(record[p], 50) * 1000, 1),
            "p95_ms": round(_percentile(record[p], 95) * 1000, 1),
        }
        for p in pages
    }
    error_rate = sum(errors.values()) / total if total else 1.0
    note = "; ".join(
        f"{p} p50 {v['p50_ms']:.0f} ms p95 {v['p95_ms']:.0f} ms"
        for p, v in by_page.items()
    )
    return {
        "users": users,
        "seconds": seconds,
        "requests": total,
        "error_rate": error_rate,
        "pages": by_page,
        "errors": kinds,
        "note": f"{note}; {total} requests, error rate {error_rate:.2%} {kinds}",
    }


def kam_web_load(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """Start the server, sign the users in, browse for ``seconds``; stop it."""
    from kam.store.repository import Store

    store = Store(f"sqlite:///{_db(params)}")
    try:
        table = store.load_portfolio(sheets=["Accounts"]).tables["Accounts"]
        accounts = [str(a) for a in table.data["account_id"]]
    finally:
        store.dispose()
    server, base = _start(_db(params))
    try:
        users = int(params.get("users", USERS))
        seconds = float(params.get("seconds", SECONDS))
        return asyncio.run(_load_run(base, users, seconds, accounts, clock))
    finally:
        server.terminate()
        server.wait(timeout=30)


def _prepare(size: int, seed: int, data_dir: Path) -> Params:
    folder = generate(size, seed=seed, out=default_dir(size, seed, data_dir=data_dir))
    return {
        "path": str(folder),
        "users": str(int(os.environ.get("KAM_BENCH_USERS", USERS))),
        "seconds": str(float(os.environ.get("KAM_BENCH_SECONDS", SECONDS))),
    }


register(
    Case(
        name="web_load",
        description="50 signed-in users browse the portfolio, Pareto, ABC and "
        "account pages for 60 s (think time 0.5-1.5 s) against one server process "
        "on loopback; p50/p95 per page and the error rate in the notes",
        unit="accounts",
        prepare=_prepare,
        kam=Impl(
            "bench.load_cases:kam_web_load", setup="bench.load_cases:kam_setup_web_load"
        ),
        baseline=None,
    )
)


# --------------------------------------------------------------------------- map

#: Stakeholders per mapped account, and how many accounts get a map.
MAP_PEOPLE = 300
MAP_ACCOUNTS = 20
_ROLES = (
    "decision_maker",
    "economic_buyer",
    "technical_buyer",
    "user",
    "influencer",
    "gatekeeper",
    "coach",
)


def stakeholder_portfolio(
    accounts: list[str], *, people: int = MAP_PEOPLE, seed: int = 1
) -> Any:
    """Team, Stakeholders, Influences and Touchpoints: ``people`` per account.

    Each account's chart is one tree of its own people (every person reports to
    someone among the previous fifth to third, so the tree is 5-7 levels deep and
    wide at the bottom) plus ten consultants of a third party in a tree of their
    own; a third as many dotted lines as people; eight team members who know
    about one person in twenty each.
    """
    from datetime import date, timedelta

    from kam.model import SHEETS, Portfolio, Table, store_columns

    rng = random.Random(seed)
    team: list[dict[str, object]] = [
        {"member_id": f"M{i}", "name": f"Member {i}"} for i in range(8)
    ]
    stakeholders: list[dict[str, object]] = []
    influences: list[dict[str, object]] = []
    touchpoints: list[dict[str, object]] = []
    for account in accounts:
        ids = [f"{account}-S{i:03d}" for i in range(people)]
        external = set(ids[-10:])
        for i, sid in enumerate(ids):
            if i == 0 or i == people - 10:
                manager = None
            elif sid in external:
                manager = ids[people - 10]
            else:
                manager = ids[rng.randrange((i - 1) // 5, (i - 1) // 3 + 1)]
            stakeholders.append(
                {
                    "stakeholder_id": sid,
                    "account_id": account,
                    "name": f"Person {sid}",
                    "title": "Director" if i < 40 else "Manager",
                    "organisation": "Consultancy" if sid in external else None,
                    "reports_to": manager,
                    "decision_power": rng.choice((1, 1, 2, 2, 3, 3, 4, 5)),
                    "interest": rng.randint(1, 5),
                    "attitude": rng.randint(-2, 2),
                    "buying_role": rng.choice(_ROLES),
                }
            )
        pairs: set[tuple[str, str]] = set()
        while len(pairs) < people // 3:
            a, b = rng.sample(ids, 2)
            pairs.add((a, b))
        for a, b in sorted(pairs):
            influences.append(
                {
                    "from_id": a,
                    "to_id": b,
                    "strength": rng.randint(1, 3),
                    "sentiment": rng.choice(
                        ("positive", "positive", "neutral", "negative")
                    ),
                }
            )
        for m in team:
            for sid in rng.sample(ids, people // 20):
                touchpoints.append(
                    {
                        "member_id": m["member_id"],
                        "stakeholder_id": sid,
                        "strength": rng.randint(1, 3),
                        "last_contact_on": date(2025, 1, 1)
                        + timedelta(days=rng.randrange(365)),
                        "key": rng.random() < 0.2,
                    }
                )

    def table(name: str, rows: list[dict[str, object]]) -> Table:
        return Table.from_rows(store_columns(SHEETS[name]), rows)

    return Portfolio(
        {
            "Team": table("Team", team),
            "Stakeholders": table("Stakeholders", stakeholders),
            "Influences": table("Influences", influences),
            "Touchpoints": table("Touchpoints", touchpoints),
        }
    )


def _mapped(params: Mapping[str, str]) -> list[str]:
    return params["map_accounts"].split(",")


def setup_web_load_with(
    params: Mapping[str, str], extra: Portfolio, source: str
) -> None:
    """The web_load store, plus ``extra`` imported on top of it."""
    from kam.store.repository import Store

    kam_setup_web_load(params)
    store = Store(f"sqlite:///{_db(params)}")
    try:
        store.import_portfolio(extra, source=source)
    finally:
        store.dispose()


def kam_setup_map_load(params: Mapping[str, str]) -> None:
    """The web_load store, plus a 300-person map on each of the mapped accounts."""
    setup_web_load_with(
        params, stakeholder_portfolio(_mapped(params)), "bench stakeholders"
    )


def _process_cpu(pid: int) -> float:
    """User plus system CPU seconds of process ``pid`` so far (Linux)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


class _ServerCpu(Clock):
    """The run's clock, also taking the server's CPU time and the load averages
    over the ``load`` phase: the machine is shared, so a slow percentile is read
    next to what the server itself spent."""

    def __init__(self, clock: Clock, pid: int) -> None:
        super().__init__()
        self.clock, self.pid = clock, pid
        self.cpu = 0.0
        self.loadavg: list[str] = []

    @contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        with self.clock(phase):
            if phase != "load":
                yield
                return
            self.loadavg.append(_loadavg())
            started = _process_cpu(self.pid)
            try:
                yield
            finally:
                self.cpu += _process_cpu(self.pid) - started
                self.loadavg.append(_loadavg())


def kam_map_load(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """``users`` users open the map pages of the mapped accounts for ``seconds``.

    Besides the latencies, the note gives the server's CPU seconds during the load
    (per second and per request) and the load averages before and after.
    """
    server, base = _start(_db(params))
    try:
        users = int(params.get("users", USERS))
        seconds = float(params.get("seconds", SECONDS))
        measured = _ServerCpu(clock, server.pid)
        found = asyncio.run(
            _load_run(
                base,
                users,
                seconds,
                _mapped(params),
                measured,
                pages=("stakeholders",),
                # Each account's map is computed once per data version; the
                # measured requests are those of people reading computed maps.
                warm=tuple(f"/accounts/{a}/stakeholders" for a in _mapped(params)),
            )
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    requests = max(1, int(found["requests"]))
    found["server_cpu_s"] = round(measured.cpu, 2)
    found["note"] += (
        f"; server CPU {measured.cpu / seconds:.2f} s/s, "
        f"{measured.cpu / requests * 1000:.1f} ms/request; "
        f"load average {' → '.join(measured.loadavg)}"
    )
    return found


def _prepare_map(size: int, seed: int, data_dir: Path) -> Params:
    params = _prepare(size, seed, data_dir)
    # The first MAP_ACCOUNTS account ids of the generated portfolio.
    folder = Path(params["path"])
    found = sorted(folder.glob("Accounts.csv")) or sorted(
        folder.glob("**/Accounts.csv")
    )
    with found[0].open(encoding="utf-8") as f:
        ids = [line.split(",", 1)[0] for line in f.readlines()[1 : MAP_ACCOUNTS + 1]]
    return {**params, "map_accounts": ",".join(ids)}


def kam_map_analysis(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """The map analysis and the org-chart layout of one 300-person account."""
    from kam.analysis.orgchart import org_chart
    from kam.analysis.stakeholders import stakeholder_map
    from kam.config import Settings
    from kam.engine import Engine
    from kam.engine.sources import PortfolioSource
    from kam.model import SHEETS, Portfolio, Table, store_columns

    people = int(params.get("people", MAP_PEOPLE))
    portfolio = stakeholder_portfolio(["A1"], people=people)
    portfolio.tables["Accounts"] = Table.from_rows(
        store_columns(SHEETS["Accounts"]), [{"account_id": "A1", "name": "Mapped"}]
    )
    engine = Engine(PortfolioSource(Portfolio(portfolio.tables)), settings=Settings())
    try:
        tables = engine.analysis_tables("stakeholders")
        runs, cpu = [], []
        for i in range(6):
            started, cpu_started = time.perf_counter(), time.process_time()
            with clock("analysis" if i == 0 else "warm"):
                result = stakeholder_map(tables, account="A1")
            with clock("layout" if i == 0 else "warm"):
                chart = org_chart(
                    (str(r["stakeholder_id"]), r["reports_to"], r["organisation"])  # type: ignore[misc]
                    for r in result.rows
                )
            runs.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
    finally:
        engine.close()
    warm = statistics.median(runs[1:])
    warm_cpu = statistics.median(cpu[1:])
    return {
        "stakeholders": len(result.rows),
        "paths": len(result.tables["paths"]),
        "boxes": len(chart.boxes),
        "first_s": round(runs[0], 4),
        "warm_median_s": round(warm, 4),
        "warm_median_cpu_s": round(warm_cpu, 4),
        "note": f"first run {runs[0] * 1000:.0f} ms, warm median {warm * 1000:.0f} ms "
        f"wall / {warm_cpu * 1000:.0f} ms CPU (analysis + layout, "
        f"{len(result.rows)} stakeholders)",
    }


def _prepare_people(size: int, seed: int, data_dir: Path) -> Params:
    return {"people": str(MAP_PEOPLE)}


register(
    Case(
        name="stakeholder_map",
        description="the stakeholder map analysis plus the org-chart layout of one "
        "account with 300 stakeholders, 100 dotted lines and 120 touchpoints "
        "(the size is ignored); first run and warm median in the notes",
        unit="accounts",
        prepare=_prepare_people,
        kam=Impl("bench.load_cases:kam_map_analysis"),
        baseline=None,
        phases=("analysis", "layout"),
    )
)

register(
    Case(
        name="stakeholder_map_load",
        description="50 signed-in users open the decision-map pages of 20 accounts "
        "with 300 stakeholders each, for 60 s (think time 0.5-1.5 s), one server "
        "process on loopback; p50/p95 and the error rate in the notes",
        unit="accounts",
        prepare=_prepare_map,
        kam=Impl(
            "bench.load_cases:kam_map_load", setup="bench.load_cases:kam_setup_map_load"
        ),
        baseline=None,
    )
)


# --------------------------------------------------------------------- dashboard


def kam_dashboard_load(params: Mapping[str, str], clock: Clock) -> dict[str, Any]:
    """``users`` users open the Dashboard and Retention pages for ``seconds``."""
    server, base = _start(_db(params))
    try:
        users = int(params.get("users", USERS))
        seconds = float(params.get("seconds", SECONDS))
        return asyncio.run(
            _load_run(base, users, seconds, [], clock, pages=("dashboard", "retention"))
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


register(
    Case(
        name="dashboard_load",
        description="50 signed-in users (analysts and executives) open the Dashboard "
        "and Retention pages for 60 s (think time 0.5-1.5 s), one server process on "
        "loopback; the analyses are computed once per data version by the warm-up; "
        "p50/p95 and the error rate in the notes",
        unit="accounts",
        prepare=_prepare,
        kam=Impl(
            "bench.load_cases:kam_dashboard_load",
            setup="bench.load_cases:kam_setup_web_load",
        ),
        baseline=None,
    )
)
