// tawasul: optional enhancements. Every page works without this script; it adds keyboard
// shortcuts and live updates (server-sent events) when a message arrives.
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-row]"));
  var current = -1;
  function select(i) {
    if (!rows.length) return;
    if (current >= 0) rows[current].classList.remove("selected");
    current = Math.max(0, Math.min(rows.length - 1, i));
    rows[current].classList.add("selected");
    var link = rows[current].querySelector("a");
    if (link) link.focus();
  }
  var pendingG = false;
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) return;
    if (pendingG) {
      pendingG = false;
      if (e.key === "i") { location.href = "/inbox"; }
      if (e.key === "d") { location.href = "/dashboard"; }
      return;
    }
    if (e.key === "j") { select(current + 1); e.preventDefault(); }
    else if (e.key === "k") { select(current - 1); e.preventDefault(); }
    else if (e.key === "g") { pendingG = true; }
    else if (e.key === "r") {
      var box = document.getElementById("reply-text");
      if (box) { box.focus(); e.preventDefault(); }
    } else if (e.key === "/") {
      location.href = "/search";
      e.preventDefault();
    }
  });
  if (window.EventSource && document.querySelector("header")) {
    var live = document.getElementById("live");
    var source = new EventSource("/events");
    var onEvent = function () { if (live) live.hidden = false; };
    source.addEventListener("conversation.created", onEvent);
    source.addEventListener("message.created", onEvent);
  }
})();
