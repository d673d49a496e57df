// The automation form: default the time zone from the browser, show only the fields of the chosen
// repeat, and fetch the next five run times (GET /automations/preview) as the schedule changes.
// Without this script the form still works: the Preview button re-renders the page server-side.
(function () {
  "use strict";
  var form = document.getElementById("automation-form");
  if (!form) { return; }
  var zone = form.querySelector("#f-timezone");
  var preset = form.querySelector("#f-preset");
  var every = form.querySelector("#f-every");
  var panel = document.getElementById("preview");
  var SCHEDULE_FIELDS = ["preset", "every", "at", "day_of_month", "cron", "timezone", "starts_on", "ends_on", "max_runs"];

  if (zone && zone.dataset.defaultFromBrowser === "yes") {
    var browserZone = "";
    try { browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { browserZone = ""; }
    if (browserZone && zone.querySelector('option[value="' + browserZone.replace(/"/g, "") + '"]')) {
      zone.value = browserZone;
    }
  }

  function showPresetFields() {
    var chosen = preset.value;
    form.querySelectorAll("[data-presets]").forEach(function (element) {
      element.hidden = element.dataset.presets.split(" ").indexOf(chosen) === -1;
    });
    var help = every ? every.parentElement.querySelector("[data-minute-steps]") : null;
    if (!help) { return; }
    var steps = (chosen === "every_hours" ? help.dataset.hourSteps : help.dataset.minuteSteps).split(",");
    var current = every.value;
    if (Array.prototype.map.call(every.options, function (o) { return o.value; }).join(",") !== steps.join(",")) {
      every.innerHTML = "";
      steps.forEach(function (value) {
        var option = document.createElement("option");
        option.value = value;
        option.textContent = value;
        every.appendChild(option);
      });
      every.value = steps.indexOf(current) !== -1 ? current : steps[0];
    }
  }

  function clear(element) { while (element.firstChild) { element.removeChild(element.firstChild); } }

  function render(data) {
    var heading = panel.querySelector("h2");
    var button = panel.querySelector("button");
    clear(panel);
    panel.appendChild(heading);
    var line = document.createElement("p");
    if (data.error) {
      line.className = "field-error";
      line.textContent = data.error;
      panel.appendChild(line);
    } else {
      line.className = "muted";
      line.setAttribute("data-preview-description", "");
      line.textContent = data.description || (data.runs.length ? "" : "This schedule has no more runs.");
      panel.appendChild(line);
      var list = document.createElement("ol");
      list.setAttribute("data-preview-runs", "");
      data.runs.forEach(function (run) {
        var item = document.createElement("li");
        var time = document.createElement("time");
        time.setAttribute("datetime", run.utc);
        time.textContent = run.local;
        item.appendChild(time);
        list.appendChild(item);
      });
      panel.appendChild(list);
    }
    panel.appendChild(button);
  }

  var pending = null;
  function refresh() {
    showPresetFields();
    var query = new URLSearchParams();
    SCHEDULE_FIELDS.forEach(function (name) {
      var field = form.elements[name];
      if (field && field.value !== undefined) { query.append(name, field.value); }
    });
    form.querySelectorAll('input[name="days"]:checked').forEach(function (box) { query.append("days", box.value); });
    if (pending) { pending.abort(); }
    pending = new AbortController();
    fetch(form.dataset.previewUrl + "?" + query.toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      signal: pending.signal
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (data) { render(data); }
    }).catch(function () { /* aborted by a newer change, or offline: the Preview button still works */ });
  }

  form.addEventListener("change", function (event) {
    if (event.target.name && (SCHEDULE_FIELDS.indexOf(event.target.name) !== -1 || event.target.name === "days")) {
      refresh();
    }
  });
  form.addEventListener("input", function (event) {
    if (event.target.name === "cron" || event.target.name === "at") { refresh(); }
  });
  refresh();
})();
