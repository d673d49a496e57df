// Live task page: polls our JSON endpoint and redraws the progress panel and the newest events
// without a reload. Polling stops when the task has finished (after one last look, so the final
// events show) and pauses while the tab is hidden. The endpoint URL comes from the panel's
// data-progress-url attribute (no inline script: CSP).
(function () {
  "use strict";

  var POLL_MS = 2000;
  var MAX_BACKOFF_MS = 30000;
  var CHART_SAMPLES = 60;
  var SVG_NS = "http://www.w3.org/2000/svg";

  function start(panel) {
    var url = panel.getAttribute("data-progress-url");
    var liveEvents = panel.getAttribute("data-live-events") === "true";
    var summary = panel.querySelector("[data-live-summary]");
    var errorNote = panel.querySelector("[data-poll-error]");
    var bar = panel.querySelector("[data-bar]");
    var chart = panel.querySelector("[data-rate-chart]");
    var events = document.querySelector("[data-events]");
    var delay = POLL_MS;
    var timer = null;
    var finished = panel.getAttribute("data-done") === "true";
    var samples = [];

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

    function basisWords(basis) {
      return basis === "bytes" ? "of the data" : basis === "files" ? "of the files" : "of the items";
    }

    // The rate between polls (bytes moved per second), drawn as a line scaled to its peak.
    function drawChart(doc) {
      if (!chart || doc.is_done) { return; }
      samples.push({ t: Date.now() / 1000, bytes: doc.bytes_transferred });
      if (samples.length > CHART_SAMPLES + 1) { samples.shift(); }
      if (samples.length < 3) { return; }
      var rates = [];
      for (var i = 1; i < samples.length; i += 1) {
        var seconds = samples[i].t - samples[i - 1].t;
        rates.push(seconds > 0 ? Math.max(0, (samples[i].bytes - samples[i - 1].bytes) / seconds) : 0);
      }
      var peak = Math.max.apply(null, rates);
      var points = rates.map(function (rate, index) {
        var x = rates.length === 1 ? 300 : (index * 300) / (rates.length - 1);
        var y = peak > 0 ? 58 - (rate / peak) * 56 : 58;
        return x.toFixed(1) + "," + y.toFixed(1);
      });
      chart.querySelector("polyline").setAttribute("points", points.join(" "));
      var peakNode = chart.querySelector("[data-rate-peak]");
      if (peakNode) { peakNode.textContent = formatRate(peak); }
      chart.hidden = false;
    }

    function formatRate(value) {
      var units = ["bytes", "KB", "MB", "GB", "TB"];
      var size = value;
      var unit = 0;
      while (size >= 1000 && unit < units.length - 1) { size /= 1000; unit += 1; }
      return (unit === 0 ? Math.round(size) : size.toFixed(1)) + " " + units[unit] + "/s";
    }

    function drawEvents(doc) {
      if (!events || !liveEvents || !doc.events) { return; }
      var body = events.querySelector("[data-events-body]");
      var table = events.querySelector("[data-events-table]");
      var empty = events.querySelector("[data-events-empty]");
      if (!body) { return; }
      while (body.firstChild) { body.removeChild(body.firstChild); }
      doc.events.forEach(function (event) {
        var row = document.createElement("tr");
        if (event.is_error) { row.className = "event-error"; }
        var when = document.createElement("td");
        if (event.time) {
          var time = document.createElement("time");
          time.setAttribute("datetime", event.time);
          time.textContent = event.time_text;
          when.appendChild(time);
        }
        var what = document.createElement("td");
        what.textContent = event.text;
        if (event.is_error) {
          var badge = document.createElement("span");
          badge.className = "badge badge--warn";
          badge.textContent = "error";
          what.appendChild(document.createTextNode(" "));
          what.appendChild(badge);
        }
        var details = document.createElement("td");
        details.className = "optional name";
        details.textContent = event.details;
        row.appendChild(when);
        row.appendChild(what);
        row.appendChild(details);
        body.appendChild(row);
      });
      if (table) { table.hidden = doc.events.length === 0; }
      if (empty) { empty.hidden = doc.events.length > 0; }
    }

    function draw(doc) {
      ["status_label", "percent", "files", "files_transferred", "files_skipped", "skipped_errors", "bytes_text",
       "rate_text", "faults", "progress_text", "outcome_text"].forEach(function (name) {
        if (doc[name] !== undefined) { setField(name, doc[name]); }
      });
      setField("completed_text", doc.completed_text || "not yet");
      setField("percent_text", doc.percent + "% " + basisWords(doc.progress_basis));
      setField("eta_text", doc.eta_text ? " · " + doc.eta_text : "");
      if (bar) { bar.hidden = !doc.shows_bar; }
      var outcome = panel.querySelector('[data-field="outcome_text"]');
      if (outcome) {
        outcome.hidden = !doc.is_done;
        outcome.className = "task-outcome task-outcome--" + doc.status_class;
      }
      var status = panel.querySelector('[data-field="status_label"]');
      if (status) { status.className = "status status--" + doc.status_class; }
      // Announce only real changes, so screen readers are not flooded every two seconds.
      if (summary && summary.textContent !== doc.progress_text) { summary.textContent = doc.progress_text; }
      toggleActions(doc);
      drawChart(doc);
      if (doc.is_done && chart) { chart.hidden = true; }
      drawEvents(doc);
    }

    function schedule(ms) {
      if (timer !== null) { window.clearTimeout(timer); }
      timer = finished || document.hidden ? null : window.setTimeout(poll, ms);
    }

    function poll() {
      timer = null;
      var target = url + (liveEvents ? "?events=1" : "");
      fetch(target, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
        .then(function (response) {
          if (!response.ok) { throw new Error("HTTP " + response.status); }
          return response.json();
        })
        .then(function (doc) {
          if (errorNote) { errorNote.hidden = true; }
          delay = POLL_MS;
          draw(doc);
          finished = doc.is_done;
          panel.setAttribute("data-done", finished ? "true" : "false");
          schedule(delay);
        })
        .catch(function () {
          if (errorNote) { errorNote.hidden = false; }
          delay = Math.min(delay * 2, MAX_BACKOFF_MS);
          schedule(delay);
        });
    }

    document.addEventListener("visibilitychange", function () {
      // A hidden tab costs Transfer nothing; coming back catches up at once.
      if (document.hidden) {
        if (timer !== null) { window.clearTimeout(timer); timer = null; }
      } else if (!finished && timer === null) {
        poll();
      }
    });

    schedule(POLL_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-task-progress]"), start);
  });
})();
