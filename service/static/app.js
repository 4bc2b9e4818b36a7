// newsindex: small progressive enhancements. Every page works without this file:
// links and forms carry all state in the URL; this adds keys, type-ahead and auto-submit.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function typing(target) {
    var tag = (target.tagName || "").toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  // "/" jumps to the query box from anywhere.
  var box = document.getElementById("q");
  document.addEventListener("keydown", function (event) {
    if (event.key === "/" && box && !typing(event.target) && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      box.focus();
      box.select();
    }
  });

  // A select marked data-autosubmit submits its form on change (the Sort button stays for no-JS).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });

  // Article view: step through the matches with the buttons or the n / p keys.
  var marks = Array.prototype.slice.call(document.querySelectorAll(".passages mark"));
  var counter = document.querySelector(".matchcount");
  var current = -1;
  function show(i, scroll) {
    if (!marks.length) { return; }
    if (current >= 0) { marks[current].classList.remove("current"); }
    current = (i + marks.length) % marks.length;
    var mark = marks[current];
    mark.classList.add("current");
    if (scroll !== false) { mark.scrollIntoView({ block: "center" }); }
    if (counter) { counter.textContent = "Match " + (current + 1) + " of " + marks.length; }
  }
  document.querySelectorAll(".matchnav button[data-step]").forEach(function (button) {
    button.addEventListener("click", function () { show(current + Number(button.dataset.step)); });
  });
  document.addEventListener("keydown", function (event) {
    if (!marks.length || typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.key === "n") { show(current + 1); }
    if (event.key === "p") { show(current - 1); }
  });
  // Opened at a passage (#p3): its first match is the current one, and stepping goes on from there.
  function fromHash() {
    var target = location.hash && document.getElementById(location.hash.slice(1));
    if (!target || !marks.length) { return; }
    var first = marks.findIndex(function (m) { return target.contains(m); });
    if (first >= 0) { show(first, false); }
  }
  fromHash();
  window.addEventListener("hashchange", fromHash);

  // Facet filter boxes: narrow the listed values as you type, and ask the facet value
  // endpoint for values beyond the list (where it exists; a 404 turns that off).
  var endpointMissing = false;
  function searchUrlWith(name, value) {
    var url = new URL(location.href);
    url.searchParams.append(name, value);
    url.searchParams.delete("page");
    return url.pathname + url.search;
  }
  function suggest(input, list, name, prefix, listed) {
    if (endpointMissing || prefix.length < 2) { list.textContent = ""; return; }
    var api = "/api/v1/facets/" + encodeURIComponent(name) + "?limit=10&prefix=" + encodeURIComponent(prefix);
    fetch(api, { headers: { Accept: "application/json" } }).then(function (response) {
      if (response.status === 404) { endpointMissing = true; return null; }
      return response.ok ? response.json() : null;
    }).then(function (body) {
      if (!body || input.value.trim() !== prefix) { return; }
      list.textContent = "";
      (body.values || []).forEach(function (item) {
        if (listed.indexOf(item.value.toLowerCase()) >= 0) { return; }
        var li = document.createElement("li");
        var a = document.createElement("a");
        a.href = searchUrlWith(name, item.value);
        a.textContent = item.value;
        var count = document.createElement("span");
        count.className = "count";
        count.textContent = item.count;
        li.appendChild(a);
        li.appendChild(count);
        list.appendChild(li);
      });
    }).catch(function () { /* offline or refused: the listed values still filter */ });
  }
  document.querySelectorAll("[data-facet-filter]").forEach(function (input) {
    var section = input.closest(".facet");
    var name = input.dataset.facetFilter;
    var list = section.querySelector(".facet-suggest");
    var more = section.querySelector("details.more");
    var items = Array.prototype.slice.call(section.querySelectorAll(".facet-values li"));
    var timer = null;
    input.closest(".facet-filter").hidden = false;
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      var listed = [];
      items.forEach(function (li) {
        var value = (li.querySelector("[data-value]") || li).textContent.trim().toLowerCase();
        var hit = !needle || value.indexOf(needle) >= 0;
        li.hidden = !hit;
        if (hit) { listed.push(value); }
      });
      if (more && needle) { more.open = true; }
      clearTimeout(timer);
      timer = setTimeout(function () { suggest(input, list, name, input.value.trim(), listed); }, 150);
    });
  });
})();
