// Multi-selection helpers for listing tables, and one-press submit buttons.
// Progressive enhancement only: every page works without this script.
(function () {
  "use strict";

  function setUpTable(table) {
    var boxes = Array.prototype.slice.call(table.querySelectorAll("input[data-selectable]"));
    var all = table.querySelector("input[data-select-all]");
    var section = table.closest("section") || document;
    var counter = section.querySelector("[data-selection-count]");

    function refresh() {
      var chosen = boxes.filter(function (box) { return box.checked; }).length;
      if (all) {
        all.checked = chosen > 0 && chosen === boxes.length;
        all.indeterminate = chosen > 0 && chosen < boxes.length;
      }
      if (counter) {
        counter.textContent = chosen === 0 ? "" : chosen + (chosen === 1 ? " item selected" : " items selected");
      }
    }

    if (all && boxes.length > 0) {
      all.hidden = false;
      all.addEventListener("change", function () {
        boxes.forEach(function (box) { box.checked = all.checked; });
        refresh();
      });
    }
    // Shift-click selects (or clears) every box between the last one clicked and this one, as file
    // managers do. The keyboard keeps Space on each box; nothing here changes that.
    var lastClicked = null;
    boxes.forEach(function (box) {
      box.addEventListener("click", function (event) {
        if (event.shiftKey && lastClicked !== null && lastClicked !== box) {
          var from = boxes.indexOf(lastClicked);
          var to = boxes.indexOf(box);
          var low = Math.min(from, to);
          var high = Math.max(from, to);
          for (var i = low; i <= high; i += 1) { boxes[i].checked = box.checked; }
        }
        lastClicked = box;
      });
      box.addEventListener("change", refresh);
    });
    // A click anywhere on a row's name cell (not on its link or menu) toggles the row, so a range
    // can be shift-clicked on the names too.
    Array.prototype.forEach.call(table.querySelectorAll("tbody tr"), function (row) {
      var box = row.querySelector("input[data-selectable]");
      var cell = row.querySelector("td.name");
      if (!box || !cell) { return; }
      cell.addEventListener("click", function (event) {
        if (event.target.closest("a, button, summary, input")) { return; }
        box.dispatchEvent(new MouseEvent("click", { shiftKey: event.shiftKey, bubbles: true }));
      });
    });
    table.addEventListener("change", refresh);
    refresh();
  }

  function setUpSubmitOnce(form) {
    // The server already guarantees one task per form; this only spares the user a confusing double click.
    form.addEventListener("submit", function () {
      var buttons = form.querySelectorAll("button[type=submit]");
      window.setTimeout(function () {
        Array.prototype.forEach.call(buttons, function (button) {
          button.disabled = true;
          button.setAttribute("aria-busy", "true");
        });
      }, 0);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("table[data-selection-table]"), setUpTable);
    Array.prototype.forEach.call(document.querySelectorAll("form[data-submit-once]"), setUpSubmitOnce);
  });
})();
