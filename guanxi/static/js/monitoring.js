/* Charts of the monitoring page (ECharts). No inline code: each chart is a
   <div data-chart="kind" data-chart-data="id"> whose data is a json_script block;
   a click on a bar opens the customers behind it (the URL comes with the data). */
(function () {
  "use strict";

  var charts = [];
  var AXIS = "#5b6578";
  var PALETTE = ["#8a94a6", "#16a34a", "#65a30d", "#d94f3d", "#f59e0b", "#2458c6",
                 "#60a5fa", "#a78bfa", "#6b7280", "#0ea5e9"];

  function readData(id) {
    var node = id && document.getElementById(id);
    if (!node) { return null; }
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  function escapeText(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  /* Tooltips are plain text lines: the default ones carry colour markers with inline
     style attributes, which the CSP refuses. */
  function axisTooltip(items) {
    var out = [escapeText(items[0].axisValueLabel || items[0].name)];
    items.forEach(function (p) {
      if (p.value === null || p.value === undefined) { return; }
      if (p.value === 0 && items.length > 4) { return; } /* stock: skip empty classes */
      out.push(escapeText(p.seriesName + ": " + p.value));
    });
    return out.join("<br>");
  }

  var builders = {
    /* stacked bars: customers per class for each rep */
    stock: function (d) {
      return {
        color: PALETTE,
        grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
        legend: { top: 0, type: "scroll" },
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: axisTooltip },
        xAxis: { type: "value", axisLabel: { color: AXIS } },
        yAxis: { type: "category", data: d.reps, axisLabel: { color: AXIS } },
        series: d.classes.map(function (name, i) {
          return { name: name, type: "bar", stack: "stock", data: d.series[i], cursor: "pointer" };
        })
      };
    },
    /* planned vs done per working day, with the contacts logged */
    calls: function (d) {
      return {
        color: ["#b5cbf1", "#2458c6", "#d94f3d"],
        grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
        legend: { top: 0 },
        tooltip: { trigger: "axis", formatter: axisTooltip },
        xAxis: { type: "category", data: d.days, axisLabel: { color: AXIS } },
        yAxis: { type: "value", minInterval: 1, axisLabel: { color: AXIS } },
        series: [
          { name: d.names[0], type: "bar", data: d.planned, cursor: "pointer" },
          { name: d.names[1], type: "bar", data: d.done, cursor: "pointer" },
          { name: d.names[2], type: "line", data: d.logged, symbolSize: 6 }
        ]
      };
    },
    /* customers due on each of the next working days against the standard */
    plan: function (d) {
      return {
        color: ["#2458c6", "#d94f3d"],
        grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
        legend: { top: 0 },
        tooltip: { trigger: "axis", formatter: axisTooltip },
        xAxis: { type: "category", data: d.days, axisLabel: { color: AXIS } },
        yAxis: { type: "value", minInterval: 1, axisLabel: { color: AXIS } },
        series: [
          { name: d.names[0], type: "bar", data: d.counts, cursor: "pointer" },
          { name: d.names[1], type: "line", data: d.targets, symbol: "rect", lineStyle: { type: "dashed" } }
        ]
      };
    }
  };

  function urlFor(kind, data, p) {
    if (kind === "stock") { return data.urls[p.seriesIndex] && data.urls[p.seriesIndex][p.dataIndex]; }
    if (p.seriesType !== "bar") { return null; }
    return data.urls[p.dataIndex];
  }

  var withEcharts = window.guanxiWithEcharts; /* app.js: shared lazy loader */

  function init(el) {
    if (el.getAttribute("data-chart-ready")) { return; }
    if (!window.echarts) {
      withEcharts(el.getAttribute("data-echarts-src"), function () { init(el); });
      return;
    }
    var kind = el.getAttribute("data-chart");
    var data = readData(el.getAttribute("data-chart-data"));
    if (!data || !builders[kind]) { return; }
    var chart = window.echarts.init(el);
    chart.setOption(builders[kind](data));
    chart.on("click", function (p) {
      var url = urlFor(kind, data, p);
      if (url) { window.location.href = url; }
    });
    el.setAttribute("data-chart-ready", "1");
    charts.push(chart);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-chart]").forEach(init);
    var pending = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(function () {
        charts.forEach(function (chart) { chart.resize(); });
      }, 150);
    });
  });
})();
