/* MSP PSA: small progressive enhancements. No dependencies; loaded with defer.
 * - [data-autosubmit] on a <select>/<input> or on a <form>: submit the form on change
 * - [data-nav-toggle] (aria-controls="<id>"): toggles .is-open on that element + aria-expanded
 * - [data-confirm="text"] on a form, a submit button, a link or an hx-* element: confirm() first
 * - [data-dismiss] inside a .message: removes the message
 * - .user-menu <details>: closes on outside click and on Escape
 * All listeners are delegated on document, so content swapped in by htmx works too.
 */
(function () {
  "use strict";

  function submitForm(form) {
    if (!form) return;
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit(); // fires "submit": data-confirm, htmx and validation apply
    } else if (form.dispatchEvent(new Event("submit", { cancelable: true, bubbles: true }))) {
      form.submit(); // old browsers: nobody cancelled the synthetic submit
    }
  }

  // Submit on change
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (!el || !el.form) return;
    if (el.hasAttribute("data-autosubmit") || el.form.hasAttribute("data-autosubmit")) {
      submitForm(el.form);
    }
  });

  // Confirm before submitting a form (form-level or submitter-level data-confirm)
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var text = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (text && !window.confirm(text)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // Confirm on links and non-submit buttons (e.g. hx-post buttons outside a form)
  document.addEventListener("click", function (event) {
    var el = event.target.closest && event.target.closest("[data-confirm]");
    if (!el || el.tagName === "FORM") return;
    if (el.form && (el.type === "submit" || el.type === "image")) return; // handled on submit
    if (!window.confirm(el.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // Mobile nav toggle, message dismiss, closing the user menu
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) return;

    var toggle = target.closest("[data-nav-toggle]");
    if (toggle) {
      var nav = document.getElementById(toggle.getAttribute("aria-controls"));
      if (nav) {
        var open = nav.classList.toggle("is-open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      }
      return;
    }

    var dismiss = target.closest("[data-dismiss]");
    if (dismiss) {
      var box = dismiss.closest(".message") || dismiss.parentElement;
      if (box) box.remove();
      return;
    }

    document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
      if (!menu.contains(target)) menu.removeAttribute("open");
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      var summary = menu.querySelector("summary");
      if (summary) summary.focus();
    });
  });
})();
