/*
 * "Insérer une réponse type" (templates/agent/canned_replies/picker.html), loaded by
 * templates/agent/base.html. Without this file the control stays hidden and the page works as
 * before.
 *
 * - shows each control, also in a form that htmx brought later (an action's panel);
 * - a reply's button fetches it filled for the request (JSON, same origin: CSP connect-src
 *   'self') and inserts its text in the control's text box at the cursor, replacing what is
 *   selected (undoable with Ctrl+Z where the browser allows it), or at the end of a box the
 *   agent has not been in yet; then the box has the focus again and the control says what
 *   was inserted;
 * - keys: ArrowDown from the search field to the list, ArrowUp/ArrowDown along it, Escape
 *   closes the control and goes back to its button.
 */
(function () {
  "use strict";

  function showPickers(root) {
    (root || document).querySelectorAll("[data-canned-picker][hidden]").forEach(function (picker) {
      if (document.getElementById(picker.getAttribute("data-canned-target"))) {
        picker.hidden = false;
      }
    });
  }

  // Where the agent left the cursor: a box never visited takes the reply at its end.
  document.addEventListener("focusin", function (event) {
    if (event.target instanceof HTMLTextAreaElement) {
      event.target.dataset.cannedVisited = "true";
    }
  });

  function insertText(box, text) {
    var start = box.value.length;
    var end = start;
    if (box.dataset.cannedVisited === "true") {
      start = box.selectionStart;
      end = box.selectionEnd;
    }
    box.focus();
    box.setSelectionRange(start, end);
    var inserted = false;
    try {
      // Through the editing commands, the insertion joins the box's undo history.
      inserted = document.execCommand("insertText", false, text);
    } catch (error) {
      inserted = false;
    }
    if (!inserted || box.value.slice(start, start + text.length) !== text) {
      box.setRangeText(text, start, end, "end");
      box.dispatchEvent(new Event("input", {bubbles: true}));
    }
  }

  function say(picker, message, isError) {
    var status = picker.querySelector("[data-canned-status]");
    if (!status) {
      return;
    }
    status.textContent = message;
    status.classList.toggle("text-danger", Boolean(isError));
  }

  function insertReply(button) {
    var picker = button.closest("[data-canned-picker]");
    var box = picker && document.getElementById(picker.getAttribute("data-canned-target"));
    if (!box) {
      return;
    }
    button.disabled = true;
    say(picker, "");
    window.fetch(button.getAttribute("data-canned-fill"), {
      credentials: "same-origin",
      headers: {"Accept": "application/json"},
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok || typeof data.body !== "string") {
          throw new Error(data.error || picker.getAttribute("data-text-error"));
        }
        return data;
      });
    }).then(function (data) {
      var details = picker.querySelector("details");
      if (details) {
        details.open = false;
      }
      insertText(box, data.body);
      var message = picker.getAttribute("data-text-inserted") + " " + data.title +
        " (" + data.language_name + ")";
      if (!data.translated) {
        message += ", " + picker.getAttribute("data-text-fallback");
      }
      say(picker, message + ".");
    }).catch(function (error) {
      say(picker, (error && error.message) || picker.getAttribute("data-text-error"), true);
    }).finally(function () {
      button.disabled = false;
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-canned-fill]");
    if (button) {
      event.preventDefault();
      insertReply(button);
    }
  });

  document.addEventListener("keydown", function (event) {
    var picker = event.target.closest && event.target.closest("[data-canned-picker]");
    if (!picker) {
      return;
    }
    var details = picker.querySelector("details");
    if (event.key === "Escape" && details && details.open) {
      event.preventDefault();
      details.open = false;
      details.querySelector("summary").focus();
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") {
      return;
    }
    var buttons = Array.prototype.slice.call(picker.querySelectorAll("[data-canned-fill]"));
    var index = buttons.indexOf(event.target);
    var next = null;
    if (event.target.matches("input[type=search]")) {
      next = event.key === "ArrowDown" ? buttons[0] : null;
    } else if (index !== -1) {
      next = event.key === "ArrowDown" ? buttons[index + 1]
        : buttons[index - 1] || picker.querySelector("input[type=search]");
    }
    if (next) {
      event.preventDefault();
      next.focus();
    }
  });

  // Opening the control puts the keyboard in its search field.
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (details.open && details.closest && details.closest("[data-canned-picker]")) {
      var field = details.querySelector("input[type=search]");
      if (field) {
        field.focus();
      }
    }
  }, true);

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { showPickers(); });
  } else {
    showPickers();
  }
  document.addEventListener("htmx:afterSettle", function () {
    showPickers();
  });
})();
