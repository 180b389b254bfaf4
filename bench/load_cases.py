"""The web load case: signed-in users browsing a 10k-account workspace.

=========  ==========================================================  ==========
case       what is measured                                            size
=========  ==========================================================  ==========
web_load   ``users`` signed-in users browse the portfolio, Pareto,     accounts
           ABC and account pages for ``seconds`` against one server
           process on loopback; p50/p95 per page and the error rate
=========  ==========================================================  ==========

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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench.generate import default_dir, generate
from bench.harness import Case, Clock, Impl, Params, register
from bench.import_cases import _load

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
    if page == "account":
        return f"/accounts/{rng.choice(accounts)}"
    return f"/tools/{page}"


async def _user(
    client: Any,
    accounts: list[str],
    until: float,
    seed: int,
    record: dict[str, list[float]],
    errors: dict[str, int],
    kinds: dict[str, int],
) -> None:
    import httpx2

    rng = random.Random(seed)
    i = rng.randrange(len(PAGES))
    while time.perf_counter() < until:
        page = PAGES[i % len(PAGES)]
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
    base: str, users: int, seconds: float, accounts: list[str], clock: Clock
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
        for page in PAGES:  # builds the snapshot and the first results
            await clients[0].get(_path(page, accounts, random.Random(0)))
        record: dict[str, list[float]] = {p: [] for p in PAGES}
        errors = dict.fromkeys(PAGES, 0)
        kinds: dict[str, int] = {}
        with clock("load"):
            until = time.perf_counter() + seconds
            await asyncio.gather(
                *(
                    _user(c, accounts, until, i, record, errors, kinds)
                    for i, c in enumerate(clients)
                )
            )
    finally:
        for client in clients:
            await client.aclose()
    total = sum(len(v) for v in record.values())
    pages = {
        p: {
            "requests": len(record[p]),
            "errors": errors[p],
            "p50_ms": round(_percentile(record[p], 50) * 1000, 1),
            "p95_ms": round(_percentile(record[p], 95) * 1000, 1),
        }
        for p in PAGES
    }
    error_rate = sum(errors.values()) / total if total else 1.0
    note = "; ".join(
        f"{p} p50 {v['p50_ms']:.0f} ms p95 {v['p95_ms']:.0f} ms"
        for p, v in pages.items()
    )
    return {
        "users": users,
        "seconds": seconds,
        "requests": total,
        "error_rate": error_rate,
        "pages": pages,
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
