"""Caches keyed by the store's data version.

- :class:`SnapshotCache`: the store's tables as Parquet files under
  ``<root>/v<data_version>/``, shared by every process that reads the same store.
  A version folder is written under a temporary name and renamed into place, so a
  reader never sees half a snapshot; when two processes build the same version at
  once, the first rename wins and the other drops its copy. Old versions are pruned,
  keeping the newest few so that a process still reading the previous version is not
  pulled from under its feet.
- :class:`ResultCache`: analysis results of one process, keyed by data version,
  analysis, parameters and readable accounts, least recently used first out.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable, Mapping
from pathlib import Path
from threading import Lock
from typing import Generic, TypeVar

from kam.errors import StoreError

__all__ = ["ResultCache", "SnapshotCache", "result_key"]

_VERSION_DIR = re.compile(r"^v(\d+)$")
#: Marker written last into a complete version folder.
COMPLETE = "_complete"

T = TypeVar("T")


class SnapshotCache:
    """Version folders of Parquet files under ``root`` (see the module doc)."""

    def __init__(self, root: Path, *, keep: int = 3) -> None:
        self.root = root
        self.keep = max(1, keep)

    def folder(self, version: int) -> Path:
        """Where the snapshot of ``version`` lives (it may not exist yet)."""
        return self.root / f"v{version}"

    def get(self, version: int) -> Path | None:
        """The complete folder of ``version``, or ``None``."""
        folder = self.folder(version)
        return folder if (folder / COMPLETE).exists() else None

    def versions(self) -> list[int]:
        """The versions with a complete folder, oldest first."""
        if not self.root.exists():
            return []
        found = []
        for child in self.root.iterdir():
            m = _VERSION_DIR.match(child.name)
            if m and (child / COMPLETE).exists():
                found.append(int(m.group(1)))
        return sorted(found)

    def build(self, write: Callable[[Path], int]) -> tuple[int, Path]:
        """Run ``write(tmp_folder) -> version`` and move the folder into place.

        ``write`` learns the version only while reading the store (one transaction),
        hence the callback. Returns the version and its folder.
        """
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            tmp = self.root / f".tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            tmp.mkdir()
        except OSError as exc:
            raise StoreError(
                f"cannot write the engine cache {self.root}: {exc}"
            ) from exc
        try:
            version = write(tmp)
            (tmp / COMPLETE).write_text(str(version), encoding="utf-8")
            final = self.folder(version)
            try:
                os.rename(tmp, final)
            except OSError:
                # Another process renamed its copy of this version first.
                if self.get(version) is None:
                    raise
                shutil.rmtree(tmp, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self.prune()
        return version, final

    def prune(self) -> None:
        """Remove all but the ``keep`` newest versions (and stale temp folders)."""
        if not self.root.exists():
            return
        for old in self.versions()[: -self.keep]:
            shutil.rmtree(self.folder(old), ignore_errors=True)
        for child in self.root.glob(".tmp-*"):
            pid = child.name.split("-")[1]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(child, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def result_key(
    version: int,
    analysis: str,
    params: Mapping[str, object],
    accounts: Collection[str] | None,
) -> Hashable:
    """The cache key of one analysis run."""
    scope = None if accounts is None else frozenset(accounts)
    return (
        version,
        analysis,
        tuple(sorted((k, str(v)) for k, v in params.items())),
        scope,
    )


class ResultCache(Generic[T]):
    """A small thread-safe LRU of results; entries of older versions age out."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = Lock()
        self.hits = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value of ``key``, computing (and keeping) it when absent."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.hits += 1
                return self._items[key]
        value = compute()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget every result."""
        with self._lock:
            self._items.clear()
