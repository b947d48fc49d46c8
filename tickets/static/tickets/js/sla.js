/* Live SLA countdowns: every [data-due] element shows "in 1 h 12 min" / "overdue 5 min",
   refreshed every 30 s. Wording comes from data-in / data-overdue on the element or on an
   ancestor [data-countdown-labels] ("%s" is replaced), so it stays translatable. */
(function () {
  "use strict";
  function span(seconds, h, m, d) {
    var minutes = Math.floor(Math.abs(seconds) / 60);
    var hours = Math.floor(minutes / 60);
    minutes = minutes % 60;
    if (hours >= 24) {
      var days = Math.floor(hours / 24);
      hours = hours % 24;
      return days + " " + d + " " + hours + " " + h;
    }
    return hours ? hours + " " + h + " " + minutes + " " + m : minutes + " " + m;
  }
  function label(el, name, fallback) {
    var holder = el.closest("[data-countdown-labels]");
    return el.getAttribute("data-" + name) || (holder && holder.getAttribute("data-" + name)) || fallback;
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) return;
      var seconds = (due - now) / 1000;
      var h = label(el, "hours", "h"), m = label(el, "minutes", "min"), d = label(el, "days", "d");
      var text = seconds >= 0
        ? label(el, "in", "in %s").replace("%s", span(seconds, h, m, d))
        : label(el, "overdue", "overdue %s").replace("%s", span(seconds, h, m, d));
      el.textContent = text;
      el.classList.toggle("overdue", seconds < 0);
    });
  }
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSwap", tick);
  setInterval(tick, 30000);
})();
