// newsindex: small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Article view: step through the matches with the buttons or the n / p keys.
  var marks = Array.prototype.slice.call(document.querySelectorAll(".article mark"));
  var current = -1;
  var counter = document.querySelector(".matchcount");
  function show(i) {
    if (!marks.length) { return; }
    if (current >= 0) { marks[current].classList.remove("current"); }
    current = (i + marks.length) % marks.length;
    marks[current].classList.add("current");
    marks[current].scrollIntoView({ block: "center" });
    if (counter) { counter.textContent = "Match " + (current + 1) + " of " + marks.length; }
  }
  document.querySelectorAll(".matchnav button").forEach(function (button) {
    button.addEventListener("click", function () { show(current + Number(button.dataset.step)); });
  });
  if (counter && marks.length) { counter.textContent = marks.length + " matches"; }
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.key === "n") { show(current + 1); }
    if (event.key === "p") { show(current - 1); }
  });
  // Opened at a passage (#p3): start stepping from the first match inside it.
  if (location.hash && marks.length) {
    var target = document.getElementById(location.hash.slice(1));
    if (target) {
      var first = marks.findIndex(function (m) { return target.contains(m); });
      if (first >= 0) { current = first - 1; }
    }
  }
  // Sort select submits on change.
  var sort = document.getElementById("sort");
  if (sort) { sort.addEventListener("change", function () { sort.form.submit(); }); }
})();
