// Draw every chart of the page: <div class="chart" data-figure="ID"> takes its
// figure (data and layout) from the JSON in <script type="application/json" id="ID">.
(function () {
  "use strict";
  function draw() {
    document.querySelectorAll(".chart[data-figure]").forEach(function (el) {
      var source = document.getElementById(el.dataset.figure);
      if (!source || typeof Plotly === "undefined") { return; }
      var fig = JSON.parse(source.textContent);
      Plotly.newPlot(el, fig.data, fig.layout || {}, {
        responsive: true, displaylogo: false
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
