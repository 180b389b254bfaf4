"""What an analysis is: its parameters and how to call it (the registry's entries).

Each analysis module may define its own :class:`Analysis`; ``kam.analysis.registry``
collects them into one registry.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from kam.analysis.periods import parse_period
from kam.analysis.preagg import METRIC_SHEETS
from kam.analysis.result import AnalysisResult
from kam.errors import InputError, ParameterError

__all__ = ["PLAN_ACCOUNT", "Analysis", "ParamType", "Parameter"]

ParamType = Literal[
    "choice", "float", "int", "bool", "period", "date", "floats", "text"
]

_TRUE = {"true", "yes", "y", "1", "on", "x"}
_FALSE = {"false", "no", "n", "0", "off"}


def _bound_text(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


@dataclass(frozen=True)
class Parameter:
    """One parameter of an analysis.

    ``type``: choice | float | int | bool | period | date | floats (a comma-separated
    list, ``length`` long) | text (trimmed, such as an account id).
    ``minimum``/``maximum`` bound numbers (open bounds when ``exclusive``);
    ``setting`` is the Settings key that supplies the default.
    """

    name: str
    type: ParamType
    default: object
    help: str
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    exclusive: bool = False
    setting: str | None = None
    length: int | None = None

    @property
    def accepted(self) -> str:
        """What a valid value looks like, in the user's words."""
        if self.type == "choice":
            return "one of " + ", ".join(self.choices)
        words = {
            "float": "a number",
            "int": "a whole number",
            "bool": "true or false",
            "period": "a period (YYYY, YYYY-Qn or YYYY-MM)",
            "date": "a date (YYYY-MM-DD)",
            "floats": f"{self.length or 'several'} numbers separated by commas",
            "text": "text (an id)",
        }
        text = words[self.type]
        if self.minimum is not None and self.maximum is not None:
            lo, hi = _bound_text(self.minimum), _bound_text(self.maximum)
            text += f" in ({lo}, {hi})" if self.exclusive else f" from {lo} to {hi}"
        return text

    def _fail(self, value: object) -> ParameterError:
        return ParameterError(self.name, f"{value!r} is not {self.accepted}")

    def _number(self, value: object, raw: object) -> float:
        if isinstance(value, bool) or not isinstance(
            value, int | float | str | Decimal
        ):
            raise self._fail(raw)
        try:
            number = float(value.strip() if isinstance(value, str) else value)
        except ValueError as exc:
            raise self._fail(raw) from exc
        if not math.isfinite(number):
            raise self._fail(raw)
        lo, hi = self.minimum, self.maximum
        below = lo is not None and (number <= lo if self.exclusive else number < lo)
        above = hi is not None and (number >= hi if self.exclusive else number > hi)
        if below or above:
            raise ParameterError(self.name, f"{raw!r} is outside {self.accepted}")
        return number

    def parse(self, value: object) -> object:
        """The value the analysis takes, from text or a Python value.

        Raises ParameterError naming the parameter and what it accepts.
        """
        if value is None:
            return None
        text = value.strip() if isinstance(value, str) else None
        if self.type == "text":
            # Ids are compared exactly (case-sensitive) once trimmed.
            return text if text is not None else str(value)
        if self.type == "choice":
            choice = (text if text is not None else str(value)).lower()
            if choice not in self.choices:
                raise self._fail(value)
            return choice
        if self.type == "bool":
            if isinstance(value, bool):
                return value
            word = (text if text is not None else str(value)).lower()
            if word in _TRUE:
                return True
            if word in _FALSE:
                return False
            raise self._fail(value)
        if self.type == "int":
            number = self._number(value, value)
            if not number.is_integer():
                raise self._fail(value)
            return int(number)
        if self.type == "float":
            return self._number(value, value)
        if self.type == "floats":
            parts: Sequence[object] = (
                text.split(",") if text is not None else value  # type: ignore[assignment]
            )
            if not isinstance(parts, Sequence) or isinstance(parts, str):
                raise self._fail(value)
            numbers = tuple(self._number(p, value) for p in parts)
            if self.length is not None and len(numbers) != self.length:
                raise self._fail(value)
            if any(a >= b for a, b in itertools.pairwise(numbers)):
                raise ParameterError(self.name, f"{value!r}: the values must increase")
            return numbers
        if self.type == "date":
            if isinstance(value, date):
                return value
            try:
                return date.fromisoformat(text if text is not None else str(value))
            except ValueError as exc:
                raise self._fail(value) from exc
        try:
            return parse_period(text if text is not None else str(value)).text
        except InputError as exc:
            raise self._fail(value) from exc


@dataclass(frozen=True)
class Analysis:
    """One tool: its function and how to call it.

    ``needs``: sheets always required; an analysis with a ``metric`` parameter also
    needs the metric's sheet. ``run(tables, **parameters)`` returns an
    :class:`AnalysisResult` whose rows have the keys of ``output_columns``.
    """

    name: str
    title: str
    description: str
    parameters: tuple[Parameter, ...]
    needs: tuple[str, ...]
    output_columns: tuple[tuple[str, str], ...]
    run: Callable[..., AnalysisResult]

    def parameter(self, name: str) -> Parameter:
        """The parameter called ``name``; ParameterError lists the known ones."""
        for p in self.parameters:
            if p.name == name:
                return p
        known = ", ".join(p.name for p in self.parameters)
        raise ParameterError(
            name, f"{self.name} has no such parameter (known: {known})"
        )

    def resolve(
        self,
        params: Mapping[str, object] | None = None,
        defaults: Mapping[str, object] | None = None,
    ) -> dict[str, object]:
        """Every parameter's value: given > ``defaults[name]`` > ``defaults[setting]``
        > the built-in default. Blank text and ``None`` count as not given."""
        given = dict(params or {})
        for key in given:
            self.parameter(key)
        fallback = dict(defaults or {})
        values: dict[str, object] = {}
        for p in self.parameters:
            for source in (given.get(p.name), fallback.get(p.name)):
                if not _blank(source):
                    values[p.name] = p.parse(source)
                    break
            else:
                from_setting = fallback.get(p.setting) if p.setting else None
                values[p.name] = (
                    p.default if _blank(from_setting) else p.parse(from_setting)
                )
        return values

    def sheets_needed(self, values: Mapping[str, object]) -> list[str]:
        """The sheets this run reads, given the resolved parameter values."""
        needed = list(self.needs)
        metric = values.get("metric")
        if isinstance(metric, str) and metric in METRIC_SHEETS:
            needed.append(METRIC_SHEETS[metric])
        return needed


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


#: The ``account`` parameter of the planning tools (timeline, RACI, plans).
PLAN_ACCOUNT = Parameter(
    "account",
    "text",
    None,
    "the account whose plan to read (blank = the KAM programme)",
)
