// Draws the dashboard's charts from the JSON the page embeds (no inline script: CSP allows only 'self').
// Each chart has its numbers in a table beside it, for screen readers and for browsers without JavaScript.
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }

  function data(id) {
    var source = document.getElementById(id);
    return source ? JSON.parse(source.textContent) : null;
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) { new Chart(canvas, config); }
  }

  var legend = { position: "bottom", labels: { boxWidth: 14 } };
  var calls = data("calls-data");
  if (calls) {
    var colours = { block: "#b42318", screen: "#dc6803", voicemail: "#1849a9", forward: "#067647", unknown: "#667085" };
    draw("calls-chart", {
      type: "bar",
      data: {
        labels: calls.dates.map(function (d) { return d.slice(5); }),
        datasets: calls.series.map(function (s) {
          return { label: s.label, data: s.counts, backgroundColor: colours[s.action] || "#667085", borderRadius: 3, maxBarThickness: 36 };
        })
      },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: legend },
        scales: { x: { stacked: true, grid: { display: false } }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
  }

  var hourly = data("hourly-data");
  if (hourly) {
    var palette = ["#1d4ed8", "#067647", "#7a5af8", "#0e9384", "#c11574", "#854a0e"];
    var lines = hourly.lines.map(function (l, i) {
      var colour = palette[i % palette.length];
      return { label: l.label, data: l.counts, borderColor: colour, backgroundColor: colour, tension: 0, pointRadius: 2 };
    });
    if (hourly.threshold) {
      lines.push({ label: hourly.threshold_label, data: hourly.hours.map(function () { return hourly.threshold; }),
                   borderColor: "#b42318", backgroundColor: "#b42318", borderDash: [6, 4], pointRadius: 0, borderWidth: 2,
                   pointStyle: "line" });
    }
    draw("hourly-chart", {
      type: "line",
      data: { labels: hourly.hours, datasets: lines },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { position: "bottom", labels: { usePointStyle: true } } },
        scales: { x: { grid: { display: false }, ticks: { maxTicksLimit: 8 } }, y: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
  }

  var deliveries = data("deliveries-data");
  if (deliveries) {
    var outcomes = { sent: "#067647", queued: "#667085", failed: "#b42318" };
    draw("deliveries-chart", {
      type: "bar",
      data: {
        labels: deliveries.channels,
        datasets: deliveries.series.map(function (s) {
          return { label: s.label, data: s.counts, backgroundColor: outcomes[s.outcome] || "#667085", borderRadius: 3, maxBarThickness: 36 };
        })
      },
      options: {
        indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: legend },
        scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true, grid: { display: false } } }
      }
    });
  }
})();
