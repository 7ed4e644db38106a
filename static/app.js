// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // The reader's time zone, so pages show visitors' dates in their own time (web/format.cpp).
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("tz=" + zone) < 0)
      document.cookie = "tz=" + zone + "; path=/; max-age=31536000; SameSite=Lax";
  } catch (e) { /* old browser: UTC */ }
  document.addEventListener("change", function (e) {
    if (e.target.classList && e.target.classList.contains("mw-autosubmit")) e.target.form.submit();
  });
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.classList && form.classList.contains("mw-confirm")) {
      if (!window.confirm(form.getAttribute("data-confirm") || "Are you sure?")) e.preventDefault();
    }
    // The client list's bulk form asks before a deletion only.
    var action = form.getAttribute && form.getAttribute("data-confirm-delete") && form.elements.namedItem("action");
    if (action && action.value === "delete" && !window.confirm(form.getAttribute("data-confirm-delete"))) e.preventDefault();
  });
  // "Select all" checkboxes: <input type=checkbox data-select-all="name">
  document.addEventListener("change", function (e) {
    var name = e.target.getAttribute && e.target.getAttribute("data-select-all");
    if (!name) return;
    document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
      if (!box.closest(".d-none")) box.checked = e.target.checked;
    });
  });
  // The mailing form's client search: a found client, once ticked, joins the chosen ones, so that
  // the next search (which replaces the results) keeps it.
  document.addEventListener("change", function (e) {
    var box = e.target;
    if (!box.checked || !box.closest || !box.closest("#client-results")) return;
    var list = document.getElementById("client-list");
    if (list) list.appendChild(box.closest(".form-check"));
  });
  // Client-side filter of a checkbox list: <input data-filter="#list">
  document.addEventListener("input", function (e) {
    var target = e.target.getAttribute && e.target.getAttribute("data-filter");
    if (!target) return;
    var q = e.target.value.toLowerCase();
    document.querySelectorAll(target + " [data-filter-text]").forEach(function (row) {
      row.classList.toggle("d-none", row.getAttribute("data-filter-text").toLowerCase().indexOf(q) < 0);
    });
  });
  // A mailing's page follows its schedule: when the mailing starts or finishes (status or last
  // run changes), the page reloads itself, so nobody has to press F5 to see a scheduled start.
  // <span data-watch="/api/v1/mailings/ID" data-status="created|running|completed">
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.querySelector("[data-watch]");
    if (!el || !window.fetch) return;
    var status = el.getAttribute("data-status");
    if (status === "completed") return;
    var lastRun;
    var poll = function () {
      fetch(el.getAttribute("data-watch"), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (m) {
          if (!m) return;  // logged out or gone: stop quietly
          if (lastRun === undefined) lastRun = m.last_run_at;
          if (m.status !== status || m.last_run_at !== lastRun) return window.location.reload();
          if (m.is_active) window.setTimeout(poll, 2000);
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    };
    window.setTimeout(poll, 1000);
  });
})();
