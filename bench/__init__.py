"""The benchmark of kam: synthetic data, cases and a harness (``python -m bench``).

See ``bench/README.md``. Nothing is imported here, so that ``python -m bench._child``
starts without loading the cases.
"""
