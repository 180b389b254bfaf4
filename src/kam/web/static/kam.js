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

// Tables with class "sortable": a click on a header sorts by that column (again:
// the other way). Cells may carry the exact value in data-value; numbers compare
// as numbers. Headers holding a link sort on the server instead (works without JS).
(function () {
  "use strict";
  function key(cell) {
    var raw = cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent.trim();
    var num = parseFloat(raw.replace(/[ ,%]/g, ""));
    return isNaN(num) || !/^[-+]?[\d.,\s%]+$/.test(raw) ? raw.toLowerCase() : num;
  }
  function sortBy(table, index, th) {
    var body = table.tBodies[0];
    var down = th.getAttribute("aria-sort") === "ascending";
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[index]), y = key(b.cells[index]);
      var order = x < y ? -1 : x > y ? 1 : 0;
      return down ? -order : order;
    });
    rows.forEach(function (r) { body.appendChild(r); });
    table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", down ? "descending" : "ascending");
  }
  function init() {
    document.querySelectorAll("table.sortable").forEach(function (table) {
      table.querySelectorAll("thead th").forEach(function (th, index) {
        if (th.querySelector("a")) { return; }
        th.classList.add("sorts");
        th.addEventListener("click", function () { sortBy(table, index, th); });
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
