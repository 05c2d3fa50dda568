// The run page while its run is going: ask the server for the run's and each task's state
// every data-poll milliseconds, recolour the graph, redraw the timeline, and reload once the
// run has ended (for the failures). Text is only ever set with textContent, never as markup.
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

  var SVG = "http://www.w3.org/2000/svg";

  function seconds(value) {  // as the server formats durations
    if (value === null || value === undefined) { return "-"; }
    if (value < 1) { return Math.round(value * 1000) + "ms"; }
    if (value < 60) { return value.toFixed(2) + "s"; }
    var minutes = Math.floor(value / 60), secs = Math.floor(value % 60);
    if (minutes >= 60) {
      return Math.floor(minutes / 60) + "h" + String(minutes % 60).padStart(2, "0") + "m";
    }
    return minutes + "m" + String(secs).padStart(2, "0") + "s";
  }

  function svgText(x, y, text, cls, anchor) {
    var el = document.createElementNS(SVG, "text");
    el.setAttribute("x", x);
    el.setAttribute("y", y);
    el.setAttribute("class", cls);
    if (anchor) { el.setAttribute("text-anchor", anchor); }
    el.textContent = text;
    return el;
  }

  function drawTimeline(line) {
    var svg = document.getElementById("timeline-svg");
    if (!svg || !line.bars.length) { return; }
    document.getElementById("timeline").hidden = false;
    var empty = document.getElementById("no-timeline");
    if (empty) { empty.remove(); }
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var scale = 640 / line.span;
    svg.setAttribute("height", 24 + line.bars.length * 20);
    svg.appendChild(svgText(240, 12, "0", "axis"));
    svg.appendChild(svgText(880, 12, seconds(line.span), "axis end", "end"));
    line.bars.forEach(function (b, i) {
      var y = 20 + i * 20, width = Math.max(b.length * scale, 2);
      var link = document.createElementNS(SVG, "a");
      link.setAttribute("href", "/runs/" + encodeURIComponent(box.dataset.run) + "/tasks/" +
        encodeURIComponent(b.slug) + (b.index === null ? "" : "?index=" + b.index));
      var g = document.createElementNS(SVG, "g");
      g.setAttribute("class", "bar");
      g.dataset.label = b.label;
      g.appendChild(svgText(232, y + 12, b.label, "label", "end"));
      var rect = document.createElementNS(SVG, "rect");
      [["x", 240 + b.offset * scale], ["y", y + 2], ["width", width], ["height", 14],
       ["rx", 2], ["fill", b.color]].forEach(function (a) { rect.setAttribute(a[0], a[1]); });
      g.appendChild(rect);
      var title = document.createElementNS(SVG, "title");
      title.textContent = b.label + ": " + b.state + ", " + seconds(b.length);
      g.appendChild(title);
      if (b.retries) {
        g.appendChild(svgText(244 + b.offset * scale + width, y + 13, "\u21bb" + b.retries,
          "retries"));
      }
      link.appendChild(g);
      svg.appendChild(link);
    });
  }

  function apply(data) {
    var duration = document.getElementById("run-duration");
    if (duration) { duration.textContent = seconds(data.run.duration) + " (running)"; }
    drawTimeline(data.timeline);
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
