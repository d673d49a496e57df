// Live task progress: polls our JSON endpoint and redraws the progress panel without a reload.
// The endpoint URL comes from the panel's data-progress-url attribute (no inline script: CSP).
(function () {
  "use strict";

  var POLL_MS = 2000;
  var MAX_BACKOFF_MS = 30000;

  function start(panel) {
    var url = panel.getAttribute("data-progress-url");
    var summary = panel.querySelector("[data-live-summary]");
    var errorNote = panel.querySelector("[data-poll-error]");
    var doneNote = panel.querySelector("[data-done-note]");
    var delay = POLL_MS;
    var lastSummary = summary ? summary.textContent : "";

    function setField(name, value) {
      Array.prototype.forEach.call(panel.querySelectorAll('[data-field="' + name + '"]'), function (node) {
        if (node.tagName === "PROGRESS") {
          node.value = value;
          node.textContent = value + "%";
        } else {
          node.textContent = value;
        }
      });
    }

    function toggleActions(doc) {
      Array.prototype.forEach.call(document.querySelectorAll("[data-show-when]"), function (node) {
        node.hidden = !doc[node.getAttribute("data-show-when")];
      });
    }

    function draw(doc) {
      ["status_label", "percent", "files", "files_transferred", "files_skipped", "skipped_errors", "bytes_text",
       "rate_text", "faults"].forEach(function (name) { setField(name, doc[name]); });
      setField("completed_text", doc.completed_text || "not yet");
      var status = panel.querySelector('[data-field="status_label"]');
      if (status) { status.className = "status status--" + doc.status; }
      var fatal = panel.querySelector('[data-field="fatal_error"]');
      if (fatal) { fatal.textContent = doc.fatal_error || ""; fatal.hidden = !doc.fatal_error; }
      var text = doc.status_label + ": " + doc.percent + "% done, " + doc.files_transferred + " of " + doc.files + " files.";
      // Announce only real changes, so screen readers are not flooded every two seconds.
      if (summary && text !== lastSummary) { summary.textContent = text; lastSummary = text; }
      toggleActions(doc);
      if (doneNote) { doneNote.hidden = !doc.is_done; }
    }

    function poll() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(function (doc) {
          if (errorNote) { errorNote.hidden = true; }
          delay = POLL_MS;
          draw(doc);
          panel.setAttribute("data-done", doc.is_done ? "true" : "false");
          if (!doc.is_done) { window.setTimeout(poll, delay); }
        })
        .catch(function () {
          if (errorNote) { errorNote.hidden = false; }
          delay = Math.min(delay * 2, MAX_BACKOFF_MS);
          window.setTimeout(poll, delay);
        });
    }

    if (panel.getAttribute("data-done") !== "true") { window.setTimeout(poll, POLL_MS); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-task-progress]"), start);
  });
})();
