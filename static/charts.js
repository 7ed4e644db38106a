// Charts and progress bars from data attributes (no inline scripts: the CSP forbids them).
(function () {
  "use strict";
  function draw(root) {
    root.querySelectorAll("[data-width]").forEach(function (el) {
      el.style.width = el.getAttribute("data-width") + "%";
    });
    if (!window.Chart) return;
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas._chart) canvas._chart.destroy();
      var d = JSON.parse(canvas.getAttribute("data-chart"));
      if (d.datasets) return line(canvas, d);
      canvas._chart = new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: d.labels,
          datasets: [
            { label: d.success_label, data: d.success, backgroundColor: "#198754", maxBarThickness: 56 },
            { label: d.failure_label, data: d.failure, backgroundColor: "#dc3545", maxBarThickness: 56 }
          ]
        },
        options: {
          animation: false, maintainAspectRatio: false, responsive: true,
          scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } }
        }
      });
    });
  }
  // {labels, datasets: [{label, data, color}]}: a line per series (the reports' engagement).
  function line(canvas, d) {
    canvas._chart = new window.Chart(canvas, {
      type: "line",
      data: {
        labels: d.labels,
        datasets: d.datasets.map(function (s) {
          return { label: s.label, data: s.data, borderColor: s.color, backgroundColor: s.color, tension: 0.2 };
        })
      },
      options: {
        animation: false, maintainAspectRatio: false, responsive: true,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (e) { draw(e.target.parentNode || document); });
})();
