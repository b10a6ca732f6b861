/* Taskplane operator console: a little plain JavaScript over server-rendered pages.
   Everything works without it except the live parts (refresh, live output, schedule preview). */
(function () {
  "use strict";

  // --- humanised times: "3 min ago", the exact time in the title, kept current
  function ago(date) {
    var delta = (date.getTime() - Date.now()) / 1000, future = delta > 0, s = Math.abs(Math.round(delta)), text;
    if (s < 45) { text = s + " s"; }
    else if (s < 5400) { text = Math.max(1, Math.round(s / 60)) + " min"; }
    else if (s < 36 * 3600) { text = Math.round(s / 3600) + " h"; }
    else { text = Math.round(s / 86400) + " d"; }
    return future ? "in " + text : text + " ago";
  }
  function humanise(root) {
    (root || document).querySelectorAll("time[datetime][title]").forEach(function (el) {
      if (el.dataset.absolute !== undefined) { return; }
      var when = new Date(el.getAttribute("datetime"));
      if (!isNaN(when)) { el.textContent = ago(when); }
    });
  }
  setInterval(humanise, 20000);

  // --- parts of a page that refresh themselves from the server (?fragment=1)
  function refresher(el) {
    var seconds = parseFloat(el.dataset.refreshSeconds || "5"), url = el.dataset.refreshUrl;
    function tick() {
      if (el.contains(document.activeElement) && document.activeElement.matches("input, textarea, select")) {
        setTimeout(tick, seconds * 1000); return;  // never under someone's typing
      }
      fetch(url, {credentials: "same-origin", cache: "no-store", headers: {"X-Requested-With": "fetch"}})
        .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.text(); })
        .then(function (html) { el.innerHTML = html; el.classList.remove("stale"); humanise(el); })
        .catch(function (err) { el.classList.add("stale"); el.setAttribute("data-error", err.message); })
        .finally(function () { setTimeout(tick, seconds * 1000); });
    }
    setTimeout(tick, seconds * 1000);
  }

  // --- confirmations
  document.addEventListener("submit", function (event) {
    var form = event.target, text = form.getAttribute("data-confirm");
    if (text && !window.confirm(text)) { event.preventDefault(); }
  });

  // --- parameter rows: add one
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-param]");
    if (!button) { return; }
    event.preventDefault();
    var table = document.getElementById(button.getAttribute("data-add-param"));
    var rows = table.querySelectorAll("tr.param");
    var row = rows[rows.length - 1].cloneNode(true);
    row.querySelectorAll("input").forEach(function (input) { input.value = ""; });
    var n = rows.length + 1;
    row.querySelectorAll("input").forEach(function (input) { input.id = input.id.replace(/\d+$/, n); });
    row.querySelectorAll("label").forEach(function (label) { label.htmlFor = label.htmlFor.replace(/\d+$/, n); });
    rows[rows.length - 1].after(row);
    row.querySelector("input").focus();
  });

  // --- the task form: type and schedule kind show their fields; the schedule preview
  function taskForm(form) {
    function show(name, attr) {
      var checked = form.querySelector("[name=" + name + "]:checked") || form.querySelector("select[name=" + name + "]");
      var value = checked ? checked.value : "";
      form.querySelectorAll("[" + attr + "]").forEach(function (el) {
        var on = el.getAttribute(attr).split(" ").indexOf(value) >= 0;
        el.hidden = !on;
        el.querySelectorAll("input, select, textarea").forEach(function (input) { input.disabled = !on; });
      });
    }
    var preview = form.querySelector("#schedule-preview"), timer = null;
    function refreshPreview() {
      if (!preview) { return; }
      var kind = (form.querySelector("[name=schedule_kind]:checked") || {}).value;
      if (kind === "none") { preview.className = "preview"; preview.textContent = "No schedule: runs only when triggered."; return; }
      var params = new URLSearchParams();
      ["schedule_kind", "cron", "timezone", "interval_every", "interval_unit", "anchor", "at"].forEach(function (name) {
        var el = form.querySelector("[name=" + name + "]:not([type=radio])") || form.querySelector("[name=" + name + "]:checked");
        if (el && !el.disabled) { params.set(name, el.value); }
      });
      params.set("schedule_kind", kind);
      fetch(preview.getAttribute("data-url") + "?" + params.toString(), {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (data) {
          preview.innerHTML = "";
          if (data.error) { preview.className = "preview invalid"; preview.textContent = data.error; return; }
          preview.className = "preview";
          var words = document.createElement("strong"); words.textContent = data.words; preview.appendChild(words);
          var zone = document.createElement("span"); zone.className = "muted"; zone.textContent = " · next fires in " + data.zone;
          preview.appendChild(zone);
          var list = document.createElement("ol");
          data.fires.forEach(function (f) { var li = document.createElement("li"); li.textContent = f; list.appendChild(li); });
          preview.appendChild(list);
        })
        .catch(function () { preview.className = "preview invalid"; preview.textContent = "preview unavailable"; });
    }
    function update() { show("type", "data-type"); show("schedule_kind", "data-kind"); }
    form.addEventListener("change", function (event) {
      update();
      if (event.target.closest("[data-schedule]")) { clearTimeout(timer); timer = setTimeout(refreshPreview, 250); }
    });
    form.addEventListener("input", function (event) {
      if (event.target.closest("[data-schedule]")) { clearTimeout(timer); timer = setTimeout(refreshPreview, 400); }
    });
    form.addEventListener("click", function (event) {
      var preset = event.target.closest("[data-cron]");
      if (!preset) { return; }
      event.preventDefault();
      form.querySelector("[name=cron]").value = preset.getAttribute("data-cron");
      refreshPreview();
    });
    update();
    refreshPreview();
  }

  // --- live output of a run: Server-Sent Events from the API, replayed from line 1, resumed
  // after any reconnect from the last event id (EventSource sends it by itself; after a
  // reconnect we make ourselves, as ?last_event_id=)
  function liveLog(panel) {
    var url = panel.getAttribute("data-events-url"), state = document.getElementById("live-state");
    var follow = document.getElementById("follow"), final = (panel.getAttribute("data-final") || "").split(" ");
    var lastId = "", source = null, done = false, lines = 0, retry = null, opened = 0, shown = null;
    function setState(text, on) { if (state) { state.textContent = text; state.className = "live-state " + (on ? "on" : "off"); } }
    function atBottom() { return panel.scrollHeight - panel.scrollTop - panel.clientHeight < 24; }
    panel.addEventListener("scroll", function () { if (follow) { follow.checked = atBottom(); } });
    function place(div, n) {
      // Lines carry their number: a batch applied out of order still lands in its place.
      if (n) {
        var last = panel.lastElementChild;
        if (last && last.dataset.n && parseInt(last.dataset.n, 10) > n) {
          var after = null;
          panel.querySelectorAll(".line").forEach(function (el) { if (!after && parseInt(el.dataset.n, 10) > n) { after = el; } });
          if (after) { panel.insertBefore(div, after); return; }
        }
      }
      panel.appendChild(div);
    }
    function liveTexts() { return Array.prototype.map.call(panel.querySelectorAll(".line"), function (el) { return el.textContent; }); }
    function note(text) { var div = document.createElement("div"); div.className = "note"; div.textContent = text; panel.appendChild(div); }
    function onOutput(event) {
      lastId = event.lastEventId || lastId;
      var data = JSON.parse(event.data), stick = !follow || follow.checked;
      var empty = panel.querySelector(".waiting"); if (empty) { empty.remove(); }
      if (data.dropped && data.first_line && data.replayed && lines === 0) {
        note(data.dropped + " earlier line(s) are no longer kept live; the whole output is on this page once the run ends");
      }
      data.lines.forEach(function (pair, i) {
        var div = document.createElement("div");
        div.className = "line " + pair[0];
        var n = data.first_line ? data.first_line + i : null;
        if (n) { div.dataset.n = n; }
        div.textContent = pair[1];
        place(div, n);
        lines += 1;
      });
      if (data.dropped && !data.replayed) { note(data.dropped + " line(s) not forwarded live (too fast); they are in the captured output"); }
      panel.setAttribute("data-lines", String(lines));
      if (stick) { panel.scrollTop = panel.scrollHeight; }
    }
    var OUTCOME = {succeeded: "ok", failed: "bad", timed_out: "bad", lost: "bad", dead: "bad", pending: "active",
                   queued: "active", running: "active", retrying: "active"};
    function onStatus(event) {
      lastId = event.lastEventId || lastId;
      var data = JSON.parse(event.data), badge = document.getElementById("run-status");
      if (badge && badge.getAttribute("data-status") !== data.status) {
        badge.setAttribute("data-status", data.status);  // at once; the summary's refresh brings the rest
        badge.innerHTML = "";
        var span = document.createElement("span");
        span.className = "status status-" + data.status + " outcome-" + (OUTCOME[data.status] || "other");
        span.textContent = data.status.replace("_", " ");
        badge.appendChild(span);
      }
      refresh("summary");
      if (final.indexOf(data.status) >= 0) {
        done = true;
        setTimeout(function () {  // the stream's tail: late lines; then the captured output replaces the live one
          shown = liveTexts(); close(); refresh("summary"); refresh("output");
        }, 1200);
      }
    }
    function refresh(part) {
      var target = document.getElementById("run-" + part);
      if (!target) { return; }
      fetch(location.pathname + "?part=" + part, {credentials: "same-origin", cache: "no-store"})
        .then(function (r) { if (!r.ok) { throw new Error("HTTP " + r.status); } return r.text(); })
        .then(function (html) { target.innerHTML = html; humanise(target); })
        .catch(function () { /* the next status event tries again */ });
    }
    function close() { if (source) { source.close(); source = null; } setState(done ? "finished" : "disconnected", false); }
    function open() {
      clearTimeout(retry);
      var target = url + (lastId ? "?last_event_id=" + encodeURIComponent(lastId) : "");
      source = new EventSource(target);
      setState("connecting…", false);
      source.onopen = function () { opened += 1; setState("live", true); };
      source.addEventListener("output", onOutput);
      source.addEventListener("status", onStatus);
      source.onerror = function () {
        if (done) { return; }
        if (source && source.readyState === EventSource.CLOSED) {
          // Refused (a 503 when every stream slot is busy, say): EventSource gives up; we do not.
          source = null; setState("reconnecting…", false);
          retry = setTimeout(open, 2000);
        } else { setState("reconnecting…", false); }
      };
    }
    window.taskplaneLive = {
      reconnect: function () { if (source) { source.close(); source = null; } open(); },  // a forced reconnect
      lastEventId: function () { return lastId; },
      lines: function () { return lines; },
      shownLines: function () { return shown || liveTexts(); },  // what the live panel showed, kept once it is replaced
      connections: function () { return opened; }  // streams opened so far (reconnects included)
    };
    open();
  }

  document.addEventListener("DOMContentLoaded", function () {
    humanise();
    document.querySelectorAll("[data-refresh-url]").forEach(refresher);
    document.querySelectorAll("form[data-task-form]").forEach(taskForm);
    var panel = document.querySelector(".log[data-events-url]");
    if (panel) { liveLog(panel); }
  });
})();
