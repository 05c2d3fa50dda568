// The run page while its run is going: ask the server for the run's and each task's state
// every data-poll milliseconds, recolour the graph, and reload once the run has ended (for
// the timeline and failures). Text is only ever set with textContent, never as markup.
(function () {
  "use strict";
  var box = document.getElementById("run");
  if (!box || box.dataset.running !== "yes") { return; }
  var every = parseInt(box.dataset.poll, 10) || 500;
  var url = "/api/runs/" + encodeURIComponent(box.dataset.run) + "/status";

  function setBadge(el, state, colour) {
    el.textContent = state;
    el.dataset.state = state;
    el.style.background = colour;
  }

  function apply(data) {
    var badge = document.querySelector("#run-state .badge");
    if (badge) { setBadge(badge, data.run.state, data.run.color); }
    var message = document.getElementById("run-message");
    if (message) { message.textContent = data.run.message || ""; }
    var nodes = document.querySelectorAll("#graph g.node");
    for (var i = 0; i < nodes.length; i++) {
      var g = nodes[i];
      var info = data.nodes[g.dataset.slug];
      if (!info) { continue; }
      g.dataset.state = info.state;
      g.querySelector("rect").setAttribute("fill", info.color);
      var sub = g.querySelector("text.sub");
      if (info.children) {
        sub.textContent = info.children.map(function (c) {
          return c.count + " " + c.state;
        }).join(", ");
      } else {
        sub.textContent = info.state;
      }
    }
    return data.run.running;
  }

  function poll() {
    fetch(url, {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (data) {
      if (data.error) { return; }
      if (apply(data)) { window.setTimeout(poll, every); } else { window.location.reload(); }
    }).catch(function () { window.setTimeout(poll, every * 4); });
  }
  window.setTimeout(poll, every);
}());
