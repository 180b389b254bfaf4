"""A SIGKILLed import leaves the store exactly as before or exactly as after."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kam.store.repository import Store
from kam.store.snapshots import check_integrity

from .helpers import big_portfolio

ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS = 4000
TRIALS = 12

CHILD = """
import sys
from kam.store.repository import Store
from tests.store.helpers import big_portfolio

url, accounts = sys.argv[1], int(sys.argv[2])
changed = big_portfolio(accounts + 500, cents=1)
store = Store(url)
print("ready", flush=True)
store.import_portfolio(changed, replace=True)
print("done", flush=True)
"""


def start_child(script: Path, db: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, str(script), f"sqlite:///{db}", str(ACCOUNTS)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "ready\n"
    return child


def checksum(db: Path) -> str:
    store = Store(f"sqlite:///{db}")
    try:
        return store.checksum()
    finally:
        store.dispose()


@pytest.mark.slow
def test_a_killed_import_leaves_the_before_or_the_after_state(tmp_path: Path) -> None:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    base = tmp_path / "base.db"
    store = Store(f"sqlite:///{base}")
    store.upgrade()
    store.import_portfolio(big_portfolio(ACCOUNTS))
    store.dispose()
    before = checksum(base)

    finished = tmp_path / "finished.db"
    shutil.copy(base, finished)
    child = start_child(script, finished)
    started = time.perf_counter()
    out, _ = child.communicate(timeout=300)
    duration = time.perf_counter() - started
    assert child.returncode == 0
    assert out == "done\n"
    after = checksum(finished)
    assert after != before

    rng = random.Random(20240607)
    outcomes = []
    for trial in range(TRIALS):
        db = tmp_path / f"trial{trial}.db"
        shutil.copy(base, db)
        child = start_child(script, db)
        # Spread the kills over the whole import, snapshot included.
        time.sleep(rng.uniform(0, duration * 1.1))
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=60)
        assert child.returncode in (0, -signal.SIGKILL)
        check_integrity(db)
        result = checksum(db)
        assert result in (before, after), f"trial {trial}: a partial import is visible"
        outcomes.append("after" if result == after else "before")
    assert len(outcomes) == TRIALS
