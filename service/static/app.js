// newsindex: small progressive enhancements. Every page works without this file:
// links and forms carry all state in the URL; this adds keys, type-ahead, auto-submit
// and range selection on the date histogram.
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
    if (!list || !name) { return; }  // editorial tags: the listed values only
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
    // Values of this search that match come first; the archive's other values (the endpoint) after them.
    if (list) { section.appendChild(list); }
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

  // Date histogram: drag across bars, or click a first and a last bar, to search that range.
  // Without this, each bar is a plain link to its own day, month or year.
  var chart = document.querySelector(".histogram svg");
  var range = document.querySelector("form.daterange");
  if (chart && range) {
    var bars = Array.prototype.slice.call(chart.querySelectorAll("a.bar"));
    var hint = document.querySelector(".histogram .range-hint");
    var fromInput = range.querySelector("[name=from]");
    var toInput = range.querySelector("[name=to]");
    var first = null;  // the bar clicked first, waiting for the last
    var drag = null;   // {start, end} while the pointer is down
    var swallowClick = false;
    var plainHint = hint ? hint.textContent : "";

    var nearest = function (x) {
      var best = null, distance = Infinity;
      bars.forEach(function (bar) {
        var box = bar.getBoundingClientRect();
        var d = x < box.left ? box.left - x : x > box.right ? x - box.right : 0;
        if (d < distance) { distance = d; best = bar; }
      });
      return best;
    };
    var span = function (a, b) {
      var from = a.dataset.from < b.dataset.from ? a.dataset.from : b.dataset.from;
      var to = a.dataset.to > b.dataset.to ? a.dataset.to : b.dataset.to;
      var count = 0;
      bars.forEach(function (bar) {
        if (bar.dataset.from >= from && bar.dataset.to <= to) { count += Number(bar.dataset.count); }
      });
      var labels = a.dataset.from <= b.dataset.from ? [a.dataset.label, b.dataset.label] : [b.dataset.label, a.dataset.label];
      return { from: from, to: to, count: count, label: labels[0] === labels[1] ? labels[0] : labels[0] + " to " + labels[1] };
    };
    var paint = function (chosen) {
      bars.forEach(function (bar) {
        var inside = chosen && bar.dataset.from >= chosen.from && bar.dataset.to <= chosen.to;
        bar.classList.toggle("inrange", Boolean(inside));
      });
      if (chosen) {
        fromInput.value = chosen.from;
        toInput.value = chosen.to;
      }
    };
    var say = function (text) { if (hint) { hint.textContent = text; } };
    var apply = function (chosen) {
      paint(chosen);
      say("Searching " + chosen.label + " (" + chosen.count + " articles)…");
      range.submit();
    };
    var cancel = function () {
      first = null;
      paint(null);
      say(plainHint);
    };

    chart.addEventListener("dragstart", function (event) { event.preventDefault(); });
    chart.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) { return; }
      var bar = nearest(event.clientX);
      if (!bar) { return; }
      drag = { start: bar, end: bar };
      if (event.pointerType === "mouse") { event.preventDefault(); }
    });
    document.addEventListener("pointermove", function (event) {
      if (!drag) { return; }
      var bar = nearest(event.clientX);
      if (bar && bar !== drag.end) {
        drag.end = bar;
        var chosen = span(drag.start, bar);
        paint(chosen);
        say(chosen.label + ": " + chosen.count + " articles (let go to search)");
      }
    });
    document.addEventListener("pointerup", function () {
      if (!drag) { return; }
      var done = drag;
      drag = null;
      if (done.end !== done.start) {
        swallowClick = true;
        first = null;
        apply(span(done.start, done.end));
      }
    });
    document.addEventListener("pointercancel", function () { drag = null; });
    chart.addEventListener("click", function (event) {
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) { return; }  // a new tab, as links do
      var bar = event.target.closest ? event.target.closest("a.bar") : null;
      event.preventDefault();
      if (swallowClick) { swallowClick = false; return; }
      if (!bar) { return; }
      if (!first) {
        first = bar;
        var chosen = span(bar, bar);
        paint(chosen);
        say("From " + chosen.label + ": click the last bar of the range (this one again for " +
            chosen.label + " alone; Esc to cancel).");
        return;
      }
      var start = first;
      first = null;
      apply(span(start, bar));
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && first) { cancel(); }
    });
  }
})();
