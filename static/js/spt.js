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
 * - input[type=file][data-dropzone]: a zone around the input where files can be dropped
 *   (added to the input's own files), and the chosen files listed with their sizes. The
 *   input stays as it is for the keyboard and screen readers; the texts and limits come
 *   from the input's data-* attributes (requests_app/forms/portal.py).
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

  // A search box's answer that refuses its input (400: a filter no longer valid) is still
  // the part of the page it replaces, with the reason: shown, not an error.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var element = event.detail && event.detail.elt;
    if (event.detail.xhr.status === 400 && element && element.closest &&
        element.closest("[data-swap-refusal]")) {
      event.detail.shouldSwap = true;
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

  // --- drop zone around a file input --------------------------------------------------------

  function canSetFiles() {
    try {
      return typeof DataTransfer === "function" && Boolean(new DataTransfer().items);
    } catch (error) {
      return false;
    }
  }

  function fileSize(bytes) {
    var lang = document.documentElement.lang || undefined;
    var units = [["byte", 1], ["kilobyte", 1024], ["megabyte", 1024 * 1024]];
    var unit = units[0];
    units.forEach(function (candidate) {
      if (bytes >= candidate[1]) {
        unit = candidate;
      }
    });
    try {
      return new Intl.NumberFormat(lang, {
        style: "unit", unit: unit[0], unitDisplay: "short", maximumFractionDigits: 1,
      }).format(bytes / unit[1]);
    } catch (error) {
      return String(bytes);
    }
  }

  function accepted(input, file) {
    var maxBytes = Number(input.getAttribute("data-max-bytes")) || 0;
    if (maxBytes && file.size > maxBytes) {
      return false;
    }
    var accept = (input.getAttribute("accept") || "").toLowerCase().split(",")
      .map(function (item) { return item.trim(); })
      .filter(Boolean);
    var name = file.name.toLowerCase();
    return !accept.length || accept.some(function (extension) {
      return extension.charAt(0) === "." && name.slice(-extension.length) === extension;
    });
  }

  function setFiles(input, files) {
    var transfer = new DataTransfer();
    files.forEach(function (file) { transfer.items.add(file); });
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", {bubbles: true}));
  }

  function sameFile(a, b) {
    return a.name === b.name && a.size === b.size && a.lastModified === b.lastModified;
  }

  function listChosen(input, list, heading) {
    var files = Array.prototype.slice.call(input.files || []);
    list.textContent = "";
    heading.hidden = files.length === 0;
    files.forEach(function (file, index) {
      var item = document.createElement("li");
      var name = document.createElement("span");
      name.className = "spt-dropzone-name";
      name.id = input.id + "-chosen-" + index;
      name.textContent = file.name;
      var size = document.createElement("span");
      size.className = "spt-dropzone-size";
      size.textContent = " (" + fileSize(file.size) + ")";
      item.appendChild(name);
      item.appendChild(size);
      if (!accepted(input, file)) {
        var refused = document.createElement("span");
        refused.className = "spt-dropzone-refused";
        refused.textContent = " — " + (input.getAttribute("data-dropzone-refused") || "");
        item.appendChild(refused);
      }
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "btn btn-link btn-sm spt-dropzone-remove";
      remove.textContent = input.getAttribute("data-dropzone-remove") || "×";
      remove.setAttribute("aria-describedby", name.id);
      remove.addEventListener("click", function () {
        setFiles(input, files.filter(function (_file, other) { return other !== index; }));
        input.focus();
      });
      item.appendChild(remove);
      list.appendChild(item);
    });
  }

  function enhanceDropzone(input) {
    if (input.dataset.sptDropzone === "ready" || !canSetFiles()) {
      return;
    }
    input.dataset.sptDropzone = "ready";
    var zone = document.createElement("div");
    zone.className = "spt-dropzone";
    if (input.classList.contains("is-invalid")) {
      zone.classList.add("is-invalid");  // keeps Bootstrap's "~ .invalid-feedback" showing
    }
    var hint = document.createElement("p");
    hint.className = "spt-dropzone-hint";
    hint.setAttribute("aria-hidden", "true");  // the drop is for pointers; the input is labelled
    hint.textContent = input.getAttribute("data-dropzone");
    input.parentNode.insertBefore(zone, input);
    zone.appendChild(hint);
    zone.appendChild(input);
    var chosen = document.createElement("div");
    chosen.setAttribute("aria-live", "polite");
    var heading = document.createElement("p");
    heading.className = "spt-dropzone-chosen";
    heading.textContent = input.getAttribute("data-dropzone-chosen") || "";
    heading.hidden = true;
    var list = document.createElement("ul");
    list.className = "spt-dropzone-files";
    chosen.appendChild(heading);
    chosen.appendChild(list);
    zone.appendChild(chosen);

    function carriesFiles(event) {
      var types = event.dataTransfer && event.dataTransfer.types;
      return Boolean(types) && Array.prototype.indexOf.call(types, "Files") !== -1;
    }
    function over(event) {
      if (!carriesFiles(event)) {
        return;
      }
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
      zone.classList.add("is-dragover");
    }
    zone.addEventListener("dragenter", over);
    zone.addEventListener("dragover", over);
    zone.addEventListener("dragleave", function (event) {
      if (!zone.contains(event.relatedTarget)) {
        zone.classList.remove("is-dragover");
      }
    });
    zone.addEventListener("drop", function (event) {
      zone.classList.remove("is-dragover");
      if (!carriesFiles(event)) {
        return;
      }
      // Also on the input itself, whose own drop would replace the files chosen so far.
      event.preventDefault();
      var files = Array.prototype.slice.call(input.files || []);
      var dropped = Array.prototype.slice.call(event.dataTransfer.files || []);
      if (!input.multiple) {
        files = dropped.slice(0, 1);
      } else {
        dropped.forEach(function (file) {
          if (!files.some(function (known) { return sameFile(known, file); })) {
            files.push(file);
          }
        });
      }
      setFiles(input, files);
    });
    input.addEventListener("change", function () { listChosen(input, list, heading); });
    listChosen(input, list, heading);
  }

  function enhanceDropzones(root) {
    (root || document).querySelectorAll("input[type=file][data-dropzone]").forEach(enhanceDropzone);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { enhanceDropzones(); });
  } else {
    enhanceDropzones();
  }
  // Forms fetched by htmx (the agent page's panels) get theirs when they arrive.
  document.addEventListener("htmx:afterSettle", function (event) {
    enhanceDropzones(event.target);
  });

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
