/*
 * A queue's bulk action (loaded by templates/agent/base.html). The page works without this
 * file: the server offers the actions allowed for at least one row of the page, and refuses,
 * request by request, what a ticked one does not allow.
 *
 * With it, the action list offers only the actions allowed for every ticked row (each row's
 * actions come from the page, in the JSON of #agent-bulk-offer, by the value its checkbox
 * posts), a polite line says how many are ticked and what is left, and each field shows only
 * for the actions that take it (its data-bulk-for). A field with an error always shows.
 */
(function () {
  "use strict";

  var FORM = "form.agent-bulk-form";
  var ACTION = "select[name=bulk-action]";

  // {"rows": {ref: [action, …]}, "labels": {action: label}}
  function offerOf(form) {
    var script = form.querySelector("#agent-bulk-offer");
    if (!script) {
      return null;
    }
    try {
      var offer = JSON.parse(script.textContent);
      return offer && offer.rows ? offer : null;
    } catch (error) {
      return null;
    }
  }

  function tickedRefs(form) {
    return Array.prototype.map.call(
      form.querySelectorAll("input[type=checkbox][data-row-select]:checked"),
      function (box) { return box.value; }
    );
  }

  // The actions every ticked row allows; null: no constraint (nothing ticked, or only rows
  // the page did not describe, which the server checks anyway).
  function allowedFor(offer, refs) {
    var allowed = null;
    refs.forEach(function (ref) {
      if (!Object.prototype.hasOwnProperty.call(offer, ref)) {
        return;
      }
      var own = offer[ref];
      allowed = allowed === null ? own.slice() : allowed.filter(function (name) {
        return own.indexOf(name) !== -1;
      });
    });
    return allowed;
  }

  function showFields(form) {
    var select = form.querySelector(ACTION);
    var action = select ? select.value : "";
    form.querySelectorAll("[data-bulk-for]").forEach(function (wrap) {
      var names = (wrap.getAttribute("data-bulk-for") || "").split(" ");
      var wanted = action !== "" && names.indexOf(action) !== -1;
      wrap.hidden = !wanted && !wrap.querySelector(".is-invalid");
    });
  }

  function say(form, refs, labels) {
    var line = form.querySelector("#agent-bulk-narrowed");
    if (!line) {
      return;
    }
    var text = "";
    if (refs.length) {
      text = labels.length
        ? line.getAttribute("data-text-some")
          .replace("%(count)s", String(refs.length))
          .replace("%(actions)s", labels.join(", "))
        : line.getAttribute("data-text-none");
    }
    line.hidden = text === "";
    if (line.textContent !== text) {
      line.textContent = text;
    }
  }

  function narrow(form) {
    var offer = offerOf(form);
    if (!offer) {
      return;
    }
    var refs = tickedRefs(form);
    var allowed = allowedFor(offer.rows, refs);
    var select = form.querySelector(ACTION);
    var labels = [];
    if (select) {
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.value) {
          return;
        }
        var ok = allowed === null || allowed.indexOf(option.value) !== -1;
        option.hidden = !ok;
        option.disabled = !ok;
        if (ok) {
          labels.push(option.textContent.trim());
        }
      });
      var chosen = select.options[select.selectedIndex];
      if (chosen && chosen.disabled) {
        select.value = "";
      }
    } else if (allowed !== null) {
      // The fields are not drawn yet: the actions by the page's names for them.
      labels = allowed.map(function (name) { return offer.labels[name] || name; });
    }
    say(form, refs, labels);
    showFields(form);
  }

  function narrowAll() {
    document.querySelectorAll(FORM).forEach(narrow);
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLElement)) {
      return;
    }
    var form = target.closest(FORM);
    if (!form) {
      return;
    }
    if (target.matches("[data-row-select], [data-select-all]")) {
      narrow(form);
    } else if (target.matches(ACTION)) {
      showFields(form);
    }
  });

  // The fields fetched when the panel opens, or the results a search replaced.
  document.addEventListener("htmx:load", narrowAll);
  document.addEventListener("DOMContentLoaded", narrowAll);
})();
