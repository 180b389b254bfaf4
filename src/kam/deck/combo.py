"""The Pareto combo chart: clustered columns plus lines on a secondary 0–100 % axis.

python-pptx writes no combo chart, so :func:`add_combo_chart` builds a clustered
column chart holding every series (the data, including the embedded workbook, stays
python-pptx's own) and then moves the line series into a ``c:lineChart`` that plots
against a second pair of axes::

    c:plotArea
      c:layout
      c:barChart   (first series, axes 1 and 2)
      c:lineChart  (the other series, axes 3 and 4)   ← added
      c:catAx  id 1   c:valAx id 2 (left)
      c:catAx  id 3   deleted, so the line shares the columns' categories   ← added
      c:valAx  id 4   right, crosses at max, 0 %–100 %                     ← added

Element order follows the DrawingML chart schema exactly (PowerPoint refuses a file
whose order differs; LibreOffice is lenient, so the golden-XML tests pin it).
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from pptx.enum.chart import XL_CHART_TYPE
from pptx.oxml.ns import qn
from pptx.oxml.xmlchemy import OxmlElement

__all__ = ["SECONDARY_AXIS_IDS", "add_combo_chart", "to_line_series"]

#: Ids of the axes the line plot uses (python-pptx numbers its own axes otherwise).
SECONDARY_AXIS_IDS = ("50020", "50030")

# Children of a bar c:ser that a line c:ser does not have.
_BAR_ONLY = ("c:invertIfNegative", "c:pictureOptions", "c:shape")
# A line c:ser's children that must come before c:marker.
_BEFORE_MARKER = ("c:idx", "c:order", "c:tx", "c:spPr")


def _el(tag: str, **attrs: str) -> Any:
    element: Any = OxmlElement(tag)
    for key, value in attrs.items():
        element.set(key, value)
    return element


def _sub(parent: Any, tag: str, **attrs: str) -> Any:
    child = _el(tag, **attrs)
    parent.append(child)
    return child


def to_line_series(bar_ser: Any) -> Any:
    """A copy of a bar chart's ``c:ser`` as a line ``c:ser``: bar-only children
    removed, ``c:marker`` (none) after ``c:tx``/``c:spPr``, ``c:smooth val=0`` last."""
    ser = deepcopy(bar_ser)
    for tag in _BAR_ONLY:
        for child in ser.findall(qn(tag)):
            ser.remove(child)
    marker = _el("c:marker")
    _sub(marker, "c:symbol", val="none")
    position = 0
    for index, child in enumerate(ser):
        if child.tag in {qn(t) for t in _BEFORE_MARKER}:
            position = index + 1
    ser.insert(position, marker)
    ext = ser.find(qn("c:extLst"))
    smooth = _el("c:smooth", val="0")
    if ext is None:
        ser.append(smooth)
    else:
        ext.addprevious(smooth)
    return ser


def _line_chart(series: list[Any]) -> Any:
    line = _el("c:lineChart")
    _sub(line, "c:grouping", val="standard")
    _sub(line, "c:varyColors", val="0")
    for ser in series:
        line.append(ser)
    _sub(line, "c:marker", val="1")
    for axis_id in SECONDARY_AXIS_IDS:
        _sub(line, "c:axId", val=axis_id)
    return line


def _secondary_axes(number_format: str) -> tuple[Any, Any]:
    cat_id, val_id = SECONDARY_AXIS_IDS
    cat = _el("c:catAx")
    _sub(cat, "c:axId", val=cat_id)
    _sub(_sub(cat, "c:scaling"), "c:orientation", val="minMax")
    _sub(cat, "c:delete", val="1")
    _sub(cat, "c:axPos", val="b")
    _sub(cat, "c:majorTickMark", val="none")
    _sub(cat, "c:minorTickMark", val="none")
    _sub(cat, "c:tickLblPos", val="nextTo")
    _sub(cat, "c:crossAx", val=val_id)
    _sub(cat, "c:crosses", val="autoZero")
    _sub(cat, "c:auto", val="1")
    _sub(cat, "c:lblAlgn", val="ctr")
    _sub(cat, "c:lblOffset", val="100")
    _sub(cat, "c:noMultiLvlLbl", val="0")

    val = _el("c:valAx")
    _sub(val, "c:axId", val=val_id)
    scaling = _sub(val, "c:scaling")
    _sub(scaling, "c:orientation", val="minMax")
    _sub(scaling, "c:max", val="1")
    _sub(scaling, "c:min", val="0")
    _sub(val, "c:delete", val="0")
    _sub(val, "c:axPos", val="r")
    _sub(val, "c:numFmt", formatCode=number_format, sourceLinked="0")
    _sub(val, "c:majorTickMark", val="out")
    _sub(val, "c:minorTickMark", val="none")
    _sub(val, "c:tickLblPos", val="nextTo")
    _sub(val, "c:crossAx", val=cat_id)
    _sub(val, "c:crosses", val="max")
    _sub(val, "c:crossBetween", val="between")
    _sub(val, "c:majorUnit", val="0.2")
    return cat, val


def add_combo_chart(
    shapes: Any,
    box: tuple[int, int, int, int],
    chart_data: Any,
    *,
    primary_format: str = "#,##0",
    secondary_format: str = "0%",
) -> Any:
    """Add a combo chart to ``shapes``; return the python-pptx Chart.

    The first series of ``chart_data`` is drawn as clustered columns on the left
    axis; every other series as a line on a right axis from 0 to 1 shown with
    ``secondary_format`` (the left axis with ``primary_format``: set here because
    python-pptx's axis accessors are not reliable once a chart has two value axes).
    Right-click → Edit Data opens the embedded workbook with
    all series.
    """
    x, y, cx, cy = box
    frame = shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, x, y, cx, cy, chart_data)
    chart = frame.chart
    chart.value_axis.tick_labels.number_format = primary_format
    chart.value_axis.tick_labels.number_format_is_linked = False
    plot_area = chart._chartSpace.chart.plotArea
    bar = plot_area.find(qn("c:barChart"))
    bar_series = bar.findall(qn("c:ser"))
    lines = [to_line_series(ser) for ser in bar_series[1:]]
    for ser in bar_series[1:]:
        bar.remove(ser)
    bar.addnext(_line_chart(lines))
    last_axis = plot_area.findall(qn("c:valAx"))[-1]
    cat, val = _secondary_axes(secondary_format)
    last_axis.addnext(cat)
    cat.addnext(val)
    return chart
