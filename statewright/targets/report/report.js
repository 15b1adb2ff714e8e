(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("sw-data").textContent);
  var caption = document.getElementById("sw-caption");
  var diagram = document.getElementById("sw-diagram");
  var timer = null;

  function each(selector, action) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), action);
  }
  function clear(name) {
    each("." + name, function (element) { element.classList.remove(name); });
  }
  function mark(ids, name) {
    ids.forEach(function (id) {
      var element = document.getElementById(id);
      if (element) { element.classList.add(name); }
    });
  }
  function show(path, index) {
    var step = path[index];
    clear("sw-step");
    mark(step.states, "sw-step");
    mark(step.transition ? [step.transition] : [], "sw-step");
    diagram.setAttribute("data-step", String(index));
    var what = index === 0 ? "start" : step.label;
    var where = step.states.length ? "" : " (no move: the walk ends here)";
    caption.textContent = "counterexample step " + (index + 1) + " of " + path.length + ": " + what + where;
  }
  function play(path) {
    if (timer !== null) { clearInterval(timer); timer = null; }
    clear("sw-step");
    diagram.removeAttribute("data-step");
    if (!path.length) { caption.textContent = "this finding has no counterexample"; return; }
    var index = 0;
    show(path, index);
    var pause = Number(diagram.getAttribute("data-step-ms")) || 900;
    timer = setInterval(function () {
      index += 1;
      if (index >= path.length) { clearInterval(timer); timer = null; return; }
      show(path, index);
    }, pause);
  }
  var zoom = document.getElementById("sw-zoom");
  zoom.addEventListener("click", function () {
    var actual = diagram.classList.toggle("sw-actual");
    zoom.setAttribute("aria-pressed", String(actual));
    zoom.textContent = actual ? "fit to width" : "actual size";
  });
  each("button.sw-finding", function (button) {
    button.addEventListener("click", function () {
      var finding = data.findings[Number(button.getAttribute("data-finding"))];
      clear("sw-hl");
      clear("sw-active");
      button.classList.add("sw-active");
      mark(finding.states, "sw-hl");
      play(finding.path);
    });
  });
})();
