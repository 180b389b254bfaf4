"""The combo-chart helper writes the chart XML the DrawingML schema prescribes.

The expected element sequences below are written from the schema (CT_PlotArea,
CT_LineChart, CT_LineSer, CT_CatAx, CT_ValAx), not read from the helper's output.
"""

from __future__ import annotations

from typing import Any

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.oxml.ns import qn
from pptx.util import Inches

from kam.deck.combo import SECONDARY_AXIS_IDS, add_combo_chart


def _local(element: Any) -> str:
    return str(element.tag).split("}")[1]


def _combo() -> Any:
    prs = Presentation()
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    data = CategoryChartData()
    data.categories = ["x", "y", "z"]
    data.add_series("value", (30.0, 20.0, 10.0))
    data.add_series("cumulative", (0.5, 0.833, 1.0))
    data.add_series("threshold", (0.8, 0.8, 0.8))
    box = (Inches(1), Inches(1), Inches(8), Inches(5))
    return add_combo_chart(slide.shapes, box, data)


def test_plot_area_holds_a_bar_then_a_line_chart_then_four_axes() -> None:
    # CT_PlotArea: layout? (charts)+ (axes)* ...; python-pptx writes no layout.
    plot_area = _combo()._chartSpace.chart.plotArea
    assert [_local(e) for e in plot_area] == [
        "barChart", "lineChart", "catAx", "valAx", "catAx", "valAx",
    ]  # fmt: skip


def test_line_chart_children_follow_the_schema_order() -> None:
    line = _combo()._chartSpace.chart.plotArea.find(qn("c:lineChart"))
    assert [_local(e) for e in line] == [
        "grouping", "varyColors", "ser", "ser", "marker", "axId", "axId",
    ]  # fmt: skip
    assert [e.get("val") for e in line.findall(qn("c:axId"))] == list(
        SECONDARY_AXIS_IDS
    )


def test_line_series_have_a_marker_after_the_title_and_smooth_last() -> None:
    line = _combo()._chartSpace.chart.plotArea.find(qn("c:lineChart"))
    for ser in line.findall(qn("c:ser")):
        tags = [_local(e) for e in ser]
        assert tags[:4] == ["idx", "order", "tx", "marker"]
        assert tags[-3:] == ["cat", "val", "smooth"]
        assert "invertIfNegative" not in tags
        assert ser.find(qn("c:smooth")).get("val") == "0"


def test_bar_chart_keeps_only_the_first_series_on_the_primary_axes() -> None:
    plot_area = _combo()._chartSpace.chart.plotArea
    bar = plot_area.find(qn("c:barChart"))
    assert len(bar.findall(qn("c:ser"))) == 1
    primary = [e.get("val") for e in bar.findall(qn("c:axId"))]
    assert set(primary).isdisjoint(SECONDARY_AXIS_IDS)


def test_secondary_axes_are_a_hidden_category_axis_and_a_right_percent_axis() -> None:
    plot_area = _combo()._chartSpace.chart.plotArea
    cat = plot_area.findall(qn("c:catAx"))[1]
    val = plot_area.findall(qn("c:valAx"))[1]
    assert [_local(e) for e in cat] == [
        "axId", "scaling", "delete", "axPos", "majorTickMark", "minorTickMark",
        "tickLblPos", "crossAx", "crosses", "auto", "lblAlgn", "lblOffset",
        "noMultiLvlLbl",
    ]  # fmt: skip
    assert [_local(e) for e in val] == [
        "axId", "scaling", "delete", "axPos", "numFmt", "majorTickMark",
        "minorTickMark", "tickLblPos", "crossAx", "crosses", "crossBetween",
        "majorUnit",
    ]  # fmt: skip
    assert cat.find(qn("c:delete")).get("val") == "1"
    assert cat.find(qn("c:crossAx")).get("val") == val.find(qn("c:axId")).get("val")
    assert val.find(qn("c:crossAx")).get("val") == cat.find(qn("c:axId")).get("val")
    assert val.find(qn("c:axPos")).get("val") == "r"
    assert val.find(qn("c:crosses")).get("val") == "max"
    assert val.find(qn("c:numFmt")).get("formatCode") == "0%"
    scaling = val.find(qn("c:scaling"))
    assert [_local(e) for e in scaling] == ["orientation", "max", "min"]
    assert scaling.find(qn("c:max")).get("val") == "1"


def test_python_pptx_reads_the_combo_as_a_bar_plot_and_a_line_plot() -> None:
    chart = _combo()
    kinds = [type(plot).__name__ for plot in chart.plots]
    assert kinds == ["BarPlot", "LinePlot"]
    assert list(chart.plots[0].series[0].values) == [30.0, 20.0, 10.0]
    assert [s.name for s in chart.plots[1].series] == ["cumulative", "threshold"]
    assert list(chart.plots[1].series[0].values) == [0.5, 0.833, 1.0]
