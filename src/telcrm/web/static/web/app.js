// telcrm page behaviour: charts drawn from data embedded with json_script, and search URLs
// that never keep a raw phone or ID number in the address bar or history.
(function () {
  "use strict";

  var PALETTE = ["#0b5cab", "#2f9e6e", "#e0a526", "#8e5ad6", "#d9534f", "#17a2b8", "#7f8c8d",
    "#c2185b"];

  function buildConfig(spec) {
    var datasets = spec.series.map(function (s, i) {
      var color = PALETTE[i % PALETTE.length];
      return {
        label: s.label, data: s.data, yAxisID: s.axis || "y",
        backgroundColor: color, borderColor: color, borderWidth: spec.type === "line" ? 2 : 0,
        tension: 0.25, pointRadius: spec.type === "line" ? 2 : 0,
      };
    });
    var scales = {
      x: { stacked: !!spec.stacked, grid: { display: false } },
      y: { stacked: !!spec.stacked, beginAtZero: true, title: { display: !!spec.yTitle, text: spec.yTitle } },
    };
    if (spec.y2Title) {
      scales.y2 = { position: "right", beginAtZero: true, grid: { drawOnChartArea: false },
        title: { display: true, text: spec.y2Title } };
    }
    return {
      type: spec.type, data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
        scales: scales,
      },
    };
  }

  function drawCharts(root) {
    if (typeof Chart === "undefined") { return; }
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (Chart.getChart(canvas)) { return; }
      var source = document.getElementById(canvas.dataset.chart);
      if (!source) { return; }
      var spec = JSON.parse(source.textContent);
      if (!spec.labels.length) { return; }
      new Chart(canvas, buildConfig(spec));
    });
  }

  function hideRawQuery() {
    var marker = document.querySelector("[data-search-token]");
    if (!marker || !window.history.replaceState) { return; }
    var url = new URL(window.location.href);
    if (!url.searchParams.has("q")) { return; }
    url.searchParams.delete("q");
    url.searchParams.set("s", marker.dataset.searchToken);
    window.history.replaceState(null, "", url.pathname + "?" + url.searchParams.toString());
  }

  document.addEventListener("DOMContentLoaded", function () {
    drawCharts(document);
    hideRawQuery();
  });
  document.addEventListener("htmx:afterSwap", function (event) { drawCharts(event.target); });
})();
