// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  document.addEventListener("change", function (e) {
    if (e.target.classList && e.target.classList.contains("mw-autosubmit")) e.target.form.submit();
  });
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.classList && form.classList.contains("mw-confirm")) {
      if (!window.confirm(form.getAttribute("data-confirm") || "Are you sure?")) e.preventDefault();
    }
  });
  // "Select all" checkboxes: <input type=checkbox data-select-all="name">
  document.addEventListener("change", function (e) {
    var name = e.target.getAttribute && e.target.getAttribute("data-select-all");
    if (!name) return;
    document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
      if (!box.closest(".d-none")) box.checked = e.target.checked;
    });
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
})();
