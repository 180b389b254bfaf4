"""Benchmark cases for the KA dashboard and retention analyses."""

from __future__ import annotations
