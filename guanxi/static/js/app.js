/* Guanxi front-end behaviour. Loaded before Alpine (CSP build): components are
   registered here with Alpine.data because the CSP build cannot evaluate inline code. */
(function () {
  "use strict";

  /* ECharts is large: pages with charts fetch it the first time a chart is shown
     (the customer page only when its Scores tab opens). One loader for every page
     script, so the library is requested once. */
  var echartsWaiting = null;
  window.guanxiWithEcharts = function (src, callback) {
    if (window.echarts) { callback(); return; }
    if (!echartsWaiting) {
      echartsWaiting = [];
      var script = document.createElement("script");
      script.src = src;
      script.addEventListener("load", function () {
        echartsWaiting.forEach(function (fn) { fn(); });
      });
      document.head.appendChild(script);
    }
    echartsWaiting.push(callback);
  };

  document.addEventListener("alpine:init", function () {
    /* Customer list: count the rows ticked for bulk reassignment. The row
       checkboxes live in the htmx-swapped table and point at #bulk-form. */
    window.Alpine.data("bulkSelect", function () {
      return {
        count: 0,
        empty: true,
        init: function () {
          var self = this;
          document.body.addEventListener("htmx:afterSettle", function () {
            self.refresh();
          });
          this.refresh();
        },
        boxes: function () {
          return Array.prototype.slice.call(
            document.querySelectorAll('input.row-check[form="bulk-form"]')
          );
        },
        refresh: function () {
          var ticked = this.boxes().filter(function (box) { return box.checked; });
          this.count = ticked.length;
          this.empty = ticked.length === 0;
        },
        toggleAll: function (event) {
          var on = event.target.checked;
          this.boxes().forEach(function (box) { box.checked = on; });
          this.refresh();
        }
      };
    });
  });

  /* Tabs of the customer page follow the URL hash (#timeline, #orders...), so a
     redirect after saving a contact or an order lands on the right tab. */
  function showTabFromHash() {
    var name = window.location.hash.replace("#", "");
    if (!name || !window.bootstrap) { return; }
    var button = document.querySelector('[data-bs-toggle="tab"][data-bs-target="#' + CSS.escape(name) + '"]');
    if (button) { window.bootstrap.Tab.getOrCreateInstance(button).show(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    showTabFromHash();
    document.querySelectorAll('[data-bs-toggle="tab"]').forEach(function (button) {
      button.addEventListener("shown.bs.tab", function () {
        var target = button.getAttribute("data-bs-target");
        if (target && window.history.replaceState) {
          window.history.replaceState(null, "", target);
        }
      });
    });
    document.querySelectorAll("[data-tab-link]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        window.location.hash = link.getAttribute("data-tab-link");
        showTabFromHash();
        var field = document.querySelector("#timeline-panel textarea");
        if (field) { field.focus(); }
      });
    });
  });
  window.addEventListener("hashchange", showTabFromHash);

  /* A session that expired answers htmx with the login page: reload the page so
     the browser follows the redirect instead of pasting a login form into a table. */
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.responseURL && xhr.responseURL.indexOf("/accounts/login/") !== -1) {
      event.detail.shouldSwap = false;
      window.location.reload();
    }
    /* Show the list's "unknown sort" message (HTTP 400) instead of ignoring it. */
    if (xhr && xhr.status === 400 && event.detail.target && event.detail.target.id === "results") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
