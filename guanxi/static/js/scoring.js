/* Charts of the classification pages (ECharts). No inline code: each chart is a
   <div data-chart="kind" data-chart-data="id"> whose data is a json_script block.
   Tooltips are plain text, because the CSP refuses inline style attributes. */
(function () {
  "use strict";

  var charts = [];
  var AXIS = "#5b6578";
  var BLUE = "#2458c6";
  var RED = "#d94f3d";
  var DAY = 24 * 3600 * 1000;

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

  function lines() {
    return Array.prototype.map.call(arguments, escapeText).join("<br>");
  }

  var builders = {
    /* value × potential matrix; a click opens the customers of the cell */
    heatmap: function (d) {
      return {
        grid: { left: 8, right: 8, top: 10, bottom: 56, containLabel: true },
        tooltip: {
          formatter: function (p) {
            var x = p.value[0], y = p.value[1];
            return lines(d.names[y][x], d.seriesName + ": " + p.value[2]);
          }
        },
        xAxis: { type: "category", data: d.x, splitArea: { show: true }, axisLabel: { color: AXIS } },
        yAxis: { type: "category", data: d.y, splitArea: { show: true }, axisLabel: { color: AXIS } },
        visualMap: {
          min: 0, max: Math.max(d.max, 1), calculable: false, orient: "horizontal",
          left: "center", bottom: 0, itemHeight: 120,
          inRange: { color: ["#f4f6fa", "#b5cbf1", BLUE] }
        },
        series: [{
          name: d.seriesName, type: "heatmap",
          data: d.data.map(function (cell) {
            var dark = d.max > 0 && cell[2] > d.max * 0.6;
            return { value: cell, label: { color: dark ? "#fff" : "#14213d" } };
          }),
          label: { show: true, fontWeight: "bold" },
          emphasis: { itemStyle: { borderColor: RED, borderWidth: 2 } },
          cursor: "pointer"
        }]
      };
    },

    /* cumulative share of sales against the share of customers */
    pareto: function (d) {
      var marks = [];
      /* low on its line, clear of the points where the curve crosses 80% */
      if (d.top20 !== null) {
        marks.push({ xAxis: 20, name: d.top20Label, label: { position: "insideStartTop" } });
      }
      var points = [];
      if (d.top20 !== null) { points.push({ coord: [20, d.top20], value: d.top20 + "%" }); }
      /* above its point: the top-20% point sits just below and to the left */
      if (d.reach80 !== null) {
        points.push({ coord: [d.reach80, 80], value: d.reach80 + "%", label: { position: "top" } });
      }
      return {
        grid: { left: 12, right: 28, top: 40, bottom: 36, containLabel: true },
        tooltip: {
          trigger: "axis",
          formatter: function (items) {
            var p = items[0];
            return lines(d.xName + ": " + p.data[0] + "%", d.yName + ": " + p.data[1] + "%");
          }
        },
        xAxis: {
          type: "value", min: 0, max: 100, name: d.xName, nameLocation: "middle", nameGap: 24,
          axisLabel: { formatter: "{value}%", color: AXIS }
        },
        yAxis: {
          type: "value", min: 0, max: 100, name: d.yName,
          nameTextStyle: { align: "left", color: AXIS },
          axisLabel: { formatter: "{value}%", color: AXIS }
        },
        series: [{
          name: d.seriesName, type: "line", data: d.points, showSymbol: false, smooth: false,
          lineStyle: { color: BLUE, width: 2 }, areaStyle: { color: "rgba(36, 88, 198, 0.08)" },
          markLine: {
            silent: true, symbol: "none", lineStyle: { color: RED, type: "dashed" },
            label: { formatter: "{b}", color: RED, position: "insideEndTop" },
            data: marks.concat([{ yAxis: 80, name: d.reach80Label }])
          },
          markPoint: {
            symbol: "circle", symbolSize: 9, itemStyle: { color: RED },
            label: { position: "right", color: RED, fontWeight: "bold" },
            data: points
          }
        }]
      };
    },

    /* health score over time, on the grade bands of the standard */
    trend: function (d) {
      var colours = ["rgba(220, 38, 38, 0.07)", "rgba(245, 158, 11, 0.08)", "rgba(22, 163, 74, 0.08)"];
      var areas = d.bands.map(function (b, i) {
        return [{ yAxis: b[0], name: b[2], itemStyle: { color: colours[i % colours.length] } }, { yAxis: b[1] }];
      });
      /* at least a month up to the latest point, and a day beyond either end so no
         symbol sits on the edge: a lone point gets the month before it, not an axis
         of hours or of weeks that have not come yet */
      var times = d.points.map(function (p) { return Date.parse(p[0]); });
      var first = Math.min.apply(null, times), last = Math.max.apply(null, times);
      var range = [Math.min(first, last - 30 * DAY) - DAY, last + DAY];
      return {
        grid: { left: 8, right: 24, top: 16, bottom: 8, containLabel: true },
        tooltip: {
          trigger: "axis",
          formatter: function (items) {
            var p = items[0];
            return lines(p.data[0], d.name + ": " + p.data[1]);
          }
        },
        xAxis: {
          type: "time", minInterval: DAY, min: range[0], max: range[1],
          axisLabel: { color: AXIS, formatter: "{yyyy}-{MM}-{dd}", hideOverlap: true }
        },
        yAxis: { type: "value", min: 0, max: 100, axisLabel: { color: AXIS } },
        series: [{
          name: d.name, type: "line", data: d.points, symbolSize: 7,
          lineStyle: { color: BLUE, width: 2 }, itemStyle: { color: BLUE },
          markArea: {
            silent: true, data: areas,
            label: { position: "insideTopLeft", color: AXIS, fontSize: 11 }
          }
        }]
      };
    }
  };

  /* ECharts is fetched the first time a chart is shown (app.js, shared loader). */
  var withEcharts = window.guanxiWithEcharts;

  function init(el) {
    if (el.getAttribute("data-chart-ready")) { return; }
    if (el.offsetParent === null) { return; } /* hidden tab: wait until it is shown */
    if (!window.echarts) {
      withEcharts(el.getAttribute("data-echarts-src"), function () { init(el); });
      return;
    }
    var kind = el.getAttribute("data-chart");
    var data = readData(el.getAttribute("data-chart-data"));
    if (!data || !builders[kind]) { return; }
    var chart = window.echarts.init(el);
    chart.setOption(builders[kind](data));
    if (kind === "heatmap") {
      chart.on("click", function (p) {
        var at = p.value || [];
        var url = data.urls[at[1]] && data.urls[at[1]][at[0]];
        if (url) { window.location.href = url; }
      });
    }
    el.setAttribute("data-chart-ready", "1");
    charts.push(chart);
  }

  function initAll() {
    document.querySelectorAll("[data-chart]").forEach(init);
    charts.forEach(function (chart) { chart.resize(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    initAll();
    document.querySelectorAll('[data-bs-toggle="tab"]').forEach(function (button) {
      button.addEventListener("shown.bs.tab", initAll);
    });
    var pending = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(pending);
      pending = window.setTimeout(function () {
        charts.forEach(function (chart) { chart.resize(); });
      }, 150);
    });
  });
})();
