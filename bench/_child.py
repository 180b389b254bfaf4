"""Child process of the harness: run one step and print its result as JSON.

Usage: ``python -m bench._child '{"function": "module:function", "params": {...}}'``.
A function with the signature ``(params, clock)`` is a measured run; one with
``(params)`` is a setup. The last stdout line starting with ``BENCH-RESULT`` holds
``{"phases", "peak_bytes", "info"}``.
"""

from __future__ import annotations

import importlib
import inspect
import json
import resource
import sys
from typing import Any

from bench.harness import RESULT_MARK, Clock


def _peak_bytes() -> int:
    # ru_maxrss is in KiB on Linux. The children term covers the workbook parser,
    # which runs in a process of its own while this one waits.
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return int(own + children) * 1024


def main(argv: list[str]) -> int:
    """Run the step named in ``argv[0]`` and print its result line."""
    spec = json.loads(argv[0])
    module_name, _, function_name = spec["function"].partition(":")
    function = getattr(importlib.import_module(module_name), function_name)
    params: dict[str, str] = spec["params"]
    clock = Clock()
    info: Any
    if len(inspect.signature(function).parameters) == 2:
        info = function(params, clock)
    else:
        info = function(params)
    result = {"phases": clock.phases, "peak_bytes": _peak_bytes(), "info": info or {}}
    print(RESULT_MARK + json.dumps(result, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
