// The two-pane file manager: drag a selection onto the other pane to transfer it there, and the
// last two folders opened per collection, one click away. Progressive enhancement: the transfer
// buttons (keyboard and no-script) do everything dragging does.
(function () {
  "use strict";

  var STORE_KEY = "gateway.recentFolders";
  var PER_COLLECTION = 2;
  var COLLECTIONS_KEPT = 20;

  // Recent folders stay in this browser (localStorage): they are a convenience of one device,
  // recording them on the server would make every folder view (a GET) write to the database.
  function readRecent() {
    try {
      var value = JSON.parse(window.localStorage.getItem(STORE_KEY) || "{}");
      return value && typeof value === "object" && !Array.isArray(value) ? value : {};
    } catch (error) {
      return {};
    }
  }

  function writeRecent(recent) {
    try {
      window.localStorage.setItem(STORE_KEY, JSON.stringify(recent));
    } catch (error) {
      // Storage full or disabled (private mode): the list is a convenience, the page works without it.
      return;
    }
  }

  function remember(collectionId, name, folder) {
    var recent = readRecent();
    var entry = recent[collectionId] || { name: name, folders: [], at: 0 };
    var folders = (entry.folders || []).filter(function (kept) { return kept !== folder; });
    folders.unshift(folder);
    recent[collectionId] = { name: name, folders: folders.slice(0, PER_COLLECTION), at: Date.now() };
    var ids = Object.keys(recent).sort(function (a, b) { return (recent[b].at || 0) - (recent[a].at || 0); });
    ids.slice(COLLECTIONS_KEPT).forEach(function (id) { delete recent[id]; });
    writeRecent(recent);
  }

  function paneUrl(side, collectionId, folder) {
    var url = new URL(window.location.href);
    [side, side + "_path", side + "_offset", side + "_filter", side + "_q", side + "_scope"].forEach(function (key) {
      url.searchParams.delete(key);
    });
    url.searchParams.set(side, collectionId);
    url.searchParams.set(side + "_path", folder);
    return url.pathname + "?" + url.searchParams.toString();
  }

  function showRecent(pane) {
    var nav = pane.querySelector("[data-recent-folders]");
    if (!nav) { return; }
    var side = pane.getAttribute("data-pane");
    var here = pane.getAttribute("data-collection");
    var recent = readRecent();
    var ids = Object.keys(recent).sort(function (a, b) { return (recent[b].at || 0) - (recent[a].at || 0); });
    if (here) { ids = ids.filter(function (id) { return id === here; }); }
    var links = [];
    ids.forEach(function (id) {
      (recent[id].folders || []).forEach(function (folder) {
        if (id === here && folder === pane.getAttribute("data-folder")) { return; }
        links.push({ id: id, name: recent[id].name || id, folder: folder });
      });
    });
    links = links.slice(0, here ? PER_COLLECTION : 6);
    if (links.length === 0) { return; }
    var label = document.createElement("span");
    label.className = "muted";
    label.textContent = "Recent folders: ";
    nav.appendChild(label);
    links.forEach(function (link) {
      var anchor = document.createElement("a");
      anchor.href = paneUrl(side, link.id, link.folder);
      // textContent, never innerHTML: names and paths are data.
      anchor.textContent = here ? link.folder : link.name + " " + link.folder;
      nav.appendChild(anchor);
    });
    nav.hidden = false;
  }

  function selectedIn(pane) {
    return pane.querySelectorAll("input[data-selectable]:checked").length;
  }

  function setUpDragging(pane, panes) {
    var side = pane.getAttribute("data-pane");
    var button = document.querySelector("button[data-transfer-from='" + side + "']");
    var other = panes.filter(function (candidate) { return candidate !== pane; })[0];
    if (!button || !other || !other.hasAttribute("data-drop-target")) { return; }
    Array.prototype.forEach.call(pane.querySelectorAll("tbody tr"), function (row) {
      var box = row.querySelector("input[data-selectable]");
      if (!box) { return; }
      row.draggable = true;
      row.addEventListener("dragstart", function (event) {
        // Dragging an unselected row drags that row alone, as file managers do.
        if (!box.checked) {
          Array.prototype.forEach.call(pane.querySelectorAll("input[data-selectable]:checked"), function (checked) {
            checked.checked = false;
          });
          box.checked = true;
          box.dispatchEvent(new Event("change", { bubbles: true }));
        }
        event.dataTransfer.effectAllowed = "copy";
        event.dataTransfer.setData("application/x-gateway-pane", side);
        event.dataTransfer.setData("text/plain", selectedIn(pane) + " selected");
        other.classList.add("pane--drop-ready");
      });
      row.addEventListener("dragend", function () { other.classList.remove("pane--drop-ready", "pane--drop-over"); });
    });
    other.addEventListener("dragover", function (event) {
      if (Array.prototype.indexOf.call(event.dataTransfer.types, "application/x-gateway-pane") < 0) { return; }
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      other.classList.add("pane--drop-over");
    });
    other.addEventListener("dragleave", function (event) {
      if (!other.contains(event.relatedTarget)) { other.classList.remove("pane--drop-over"); }
    });
    other.addEventListener("drop", function (event) {
      if (event.dataTransfer.getData("application/x-gateway-pane") !== side) { return; }
      event.preventDefault();
      other.classList.remove("pane--drop-ready", "pane--drop-over");
      if (selectedIn(pane) > 0) {
        // The same submission as pressing the pane's transfer button, with the options below.
        button.form.requestSubmit(button);
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var panes = Array.prototype.slice.call(document.querySelectorAll("section[data-pane]"));
    panes.forEach(function (pane) {
      showRecent(pane);
      setUpDragging(pane, panes);
    });
    panes.forEach(function (pane) {
      var id = pane.getAttribute("data-collection");
      var folder = pane.getAttribute("data-folder");
      if (id && folder) { remember(id, pane.getAttribute("data-collection-name") || id, folder); }
    });
  });
})();
