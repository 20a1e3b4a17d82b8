/* Calling mode: keyboard shortcuts and focus. No inline code (CSP): the page
   carries its links in data-* attributes of #calling.
   N next customer · P previous · S skip to the next one not done ·
   Ctrl/⌘+Enter saves and moves on (from any field). */
(function () {
  "use strict";

  function typing(target) {
    if (!target) { return false; }
    var tag = target.tagName;
    return target.isContentEditable || tag === "TEXTAREA" || tag === "SELECT" ||
      (tag === "INPUT" && !/^(radio|checkbox|button|submit)$/i.test(target.type));
  }

  function go(url) {
    if (url) { window.location.assign(url); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("calling");
    var form = document.getElementById("calling-form");
    if (!root || !form) { return; }
    var summary = form.querySelector("textarea[name=summary]");
    var saving = false;

    // the rep starts typing at once; on a phone the keyboard would hide the
    // customer, so only focus when the screen is wide enough
    if (summary && window.matchMedia("(min-width: 768px)").matches) {
      summary.focus({ preventScroll: true });
    }

    form.addEventListener("submit", function (event) {
      if (saving) { event.preventDefault(); return; }  // no double-logged call
      saving = true;
      var button = document.getElementById("calling-submit");
      if (button) { button.setAttribute("aria-busy", "true"); button.classList.add("disabled"); }
    });

    document.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        if (typeof form.requestSubmit === "function") { form.requestSubmit(); } else { form.submit(); }
        return;
      }
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
      var key = event.key.toLowerCase();
      if (key === "n") { event.preventDefault(); go(root.dataset.nextUrl); }
      else if (key === "p") { event.preventDefault(); go(root.dataset.prevUrl); }
      else if (key === "s") { event.preventDefault(); go(root.dataset.skipUrl); }
      else if (key === "escape") { go(root.dataset.backUrl); }
    });
  });
})();
