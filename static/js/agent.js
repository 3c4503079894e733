/*
 * Back-office enhancements (loaded by templates/agent/base.html). Every page works without
 * this file; it adds the "select every row" box of a queue's bulk action, and fetches the
 * form of a panel opened before htmx was ready.
 */
(function () {
  "use strict";

  function setUp(all) {
    var table = all.closest("table");
    if (!table) {
      return;
    }
    var boxes = table.querySelectorAll("input[type=checkbox][data-row-select]");

    function sync() {
      var checked = 0;
      boxes.forEach(function (box) {
        if (box.checked) {
          checked += 1;
        }
      });
      all.checked = checked > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }

    all.hidden = false;
    all.closest("[data-select-all-wrap]").hidden = false;
    all.addEventListener("change", function () {
      boxes.forEach(function (box) {
        box.checked = all.checked;
      });
      sync();
    });
    boxes.forEach(function (box) {
      box.addEventListener("change", sync);
    });
    sync();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[type=checkbox][data-select-all]").forEach(setUp);
    // A panel opened before htmx was ready (a click while the page loads) missed the
    // "toggle" that fetches its form: ask again now that htmx listens.
    if (window.htmx) {
      document.querySelectorAll("details[open] .agent-form-slot").forEach(function (slot) {
        window.htmx.trigger(slot.closest("details"), "toggle");
      });
    }
  });
})();
