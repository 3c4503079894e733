/*
 * SPT Portal: small progressive enhancements. Every page works without this file.
 * Loaded with `defer` from templates/base.html (CSP script-src 'self': no inline script).
 *
 * - data-confirm="Question ?" on a <form> (or on its submit button): asks before submitting.
 * - data-submit-once on a <form>: disables its submit buttons after the first submit, so a
 *   double click does not post twice (the server stays the authority either way).
 * - htmx: a failed request shows a message instead of failing silently.
 * - a link to a section holding a form (#repondre: the reply the Customer Service waits for)
 *   puts the keyboard focus in its first text box, not only the scroll.
 */
(function () {
  "use strict";

  function confirmMessage(form, submitter) {
    if (submitter && submitter.hasAttribute("data-confirm")) {
      return submitter.getAttribute("data-confirm");
    }
    return form.getAttribute("data-confirm");
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) {
      return;
    }
    var message = confirmMessage(form, event.submitter);
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    if (form.hasAttribute("data-submit-once")) {
      if (form.dataset.sptSubmitted === "true") {
        event.preventDefault();
        return;
      }
      form.dataset.sptSubmitted = "true";
      // Disable after the browser has collected the submitter's name/value.
      window.setTimeout(function () {
        form.querySelectorAll("button[type=submit], input[type=submit], button:not([type])")
          .forEach(function (button) {
            button.disabled = true;
            button.setAttribute("aria-disabled", "true");
          });
      }, 0);
    }
  }, true);

  // Coming back with the browser's back button: re-enable forms frozen by data-submit-once.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) {
      return;
    }
    document.querySelectorAll("form[data-submit-once]").forEach(function (form) {
      delete form.dataset.sptSubmitted;
      form.querySelectorAll("[aria-disabled=true]").forEach(function (button) {
        button.disabled = false;
        button.removeAttribute("aria-disabled");
      });
    });
  });

  // htmx: confirmations through the same attribute, and a visible error on failure.
  document.addEventListener("htmx:confirm", function (event) {
    var element = event.detail && event.detail.elt;
    if (!element || !element.hasAttribute("data-confirm") || element.tagName === "FORM") {
      return;
    }
    event.preventDefault();
    if (window.confirm(element.getAttribute("data-confirm"))) {
      event.detail.issueRequest(true);
    }
  });

  // A background refresh (the queue navigation's counts) is not the reader's action: when
  // it fails, or its answer is another page (signed out meanwhile), the element stays as it is.
  function isBackground(event) {
    var element = event.detail && event.detail.elt;
    return Boolean(element && element.closest && element.closest("[data-queue-nav]"));
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!isBackground(event)) {
      return;
    }
    var xhr = event.detail.xhr;
    var asked = event.detail.requestConfig && event.detail.requestConfig.path;
    var answered = xhr && xhr.responseURL ? new URL(xhr.responseURL).pathname : "";
    if (xhr.status !== 200 || !asked || answered !== new URL(asked, window.location.href).pathname) {
      event.detail.shouldSwap = false;
      event.detail.isError = false;
    }
  });

  function showHtmxError(event) {
    if (isBackground(event)) {
      return;
    }
    var region = document.getElementById("spt-live-region");
    if (region) {
      region.textContent = region.getAttribute("data-error-text") || "";
      region.hidden = false;
    }
  }

  document.addEventListener("htmx:responseError", showHtmxError);
  document.addEventListener("htmx:sendError", showHtmxError);

  function focusLinkedForm() {
    var target = window.location.hash === "#repondre" && document.getElementById("repondre");
    var box = target && target.querySelector("textarea, input[type=text]");
    if (box) {
      box.focus();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusLinkedForm);
  } else {
    focusLinkedForm();
  }
  window.addEventListener("hashchange", focusLinkedForm);
})();
