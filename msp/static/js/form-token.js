/* One-time form tokens (msp/views/once.py): Back then Save posts the token it was sent with.
 *
 * A create form carries a hidden form_token; the server creates once per token. Going Back to
 * a form may fetch it afresh (a new token), so the token of the form last submitted from this
 * page is kept for the tab (sessionStorage) and put back on a Back/Forward visit: the second
 * Save then shows what the first one created. Any other visit gets the fresh token. */
(function () {
  "use strict";
  if (window.formTokensReady) return; // included once per form: run once
  window.formTokensReady = true;

  function key(form) {
    return "form-token:" + location.pathname + location.search + "|" + (form.getAttribute("action") || "");
  }

  function historyVisit() {
    var entries = window.performance && performance.getEntriesByType ? performance.getEntriesByType("navigation") : [];
    return entries.length > 0 && entries[0].type === "back_forward";
  }

  function restore() {
    document.querySelectorAll('input[name="form_token"]').forEach(function (input) {
      if (!input.form) return;
      try {
        var saved = sessionStorage.getItem(key(input.form));
        if (saved) input.value = saved;
      } catch (error) { /* storage disabled: the fresh token stands */ }
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var input = form.querySelector && form.querySelector('input[name="form_token"]');
    if (!input) return;
    try { sessionStorage.setItem(key(form), input.value); } catch (error) { /* see restore */ }
  }, true);

  if (historyVisit()) {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", restore);
    else restore();
  }
  window.addEventListener("pageshow", function (event) { if (event.persisted) restore(); });
})();
