// Draws the calls-per-day chart from the JSON the page embeds (no inline script: CSP allows only 'self').
(function () {
  "use strict";
  var source = document.getElementById("calls-data");
  var canvas = document.getElementById("calls-chart");
  if (!source || !canvas || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var colours = { block: "#b42318", screen: "#dc6803", voicemail: "#1849a9", forward: "#067647", unknown: "#667085" };
  var datasets = data.series.map(function (s) {
    return { label: s.label, data: s.counts, backgroundColor: colours[s.action] || "#667085", borderRadius: 3, maxBarThickness: 36 };
  });
  new Chart(canvas, {
    type: "bar",
    data: { labels: data.dates.map(function (d) { return d.slice(5); }), datasets: datasets },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { position: "bottom", labels: { boxWidth: 14 } } },
      scales: { x: { stacked: true, grid: { display: false } }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } }
    }
  });
})();
