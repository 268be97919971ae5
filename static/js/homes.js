// Homes (issue 17): the approvals page's "all shown" box ticks or unticks every round, and picking a village
// shows its rounds at once (the filter form has a button only without JavaScript).
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    document.querySelectorAll("input[data-select-all]").forEach(function (all) {
      var form = all.form;
      var name = all.getAttribute("data-select-all");
      var boxes = function () {
        return form.querySelectorAll('input[type=checkbox][name="' + name + '"]');
      };
      all.addEventListener("change", function () {
        boxes().forEach(function (box) { box.checked = all.checked; });
      });
      form.addEventListener("change", function (event) {
        if (event.target === all) return;
        var list = Array.prototype.slice.call(boxes());
        all.checked = list.every(function (box) { return box.checked; });
        all.indeterminate = !all.checked && list.some(function (box) { return box.checked; });
      });
    });
    document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
      form.addEventListener("change", function () { form.submit(); });
    });
  });
})();
