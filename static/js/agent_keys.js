/*
 * Back office, keyboard shortcuts (loaded by templates/agent/base.html; the list is the help
 * dialog of templates/agent/shortcuts.html, which "?" opens). Every page works without them.
 *
 * Queues: j / k the next / previous row (the row takes the focus), Enter (on a row) or o
 * opens its request, x ticks or unticks it for a bulk action, / goes to the search field.
 * Request page: c the comment box, n the same box for an internal note, r "Demande suivante"
 * when the page offers it (after an action); opened from a queue, j / k the next / previous
 * request of that queue (its links by the breadcrumb, same filters and sort; after an action
 * j is "Demande suivante" too): nothing at an end, and nothing said, the new page is answer
 * enough. Anywhere: ? the help, Escape closes it.
 *
 * A key is never taken while typing (a text field, a select, anything editable), nor with
 * Ctrl, Alt or Meta held (the browser's and the system's own shortcuts), nor while a dialog
 * is open. What a key did beyond moving the focus is said in the polite region
 * #agent-live-status, in the words the dialog carries (data-text-*).
 */
(function () {
  "use strict";

  var NOT_TYPED = /^(checkbox|radio|button|submit|reset|image|range|color|file)$/i;

  function dialog() {
    return document.getElementById("agent-shortcuts");
  }

  function text(name, values) {
    var element = dialog();
    var words = element ? element.getAttribute("data-text-" + name) || "" : "";
    Object.keys(values || {}).forEach(function (key) {
      words = words.replace("%(" + key + ")s", values[key]);
    });
    return words;
  }

  function say(words) {
    var region = document.getElementById("agent-live-status");
    if (!region || !words) {
      return;
    }
    region.textContent = "";
    window.setTimeout(function () { region.textContent = words; }, 50);
  }

  function typing(target) {
    if (!target || target.nodeType !== 1) {
      return false;
    }
    if (target.isContentEditable) {
      return true;
    }
    if (target.tagName === "TEXTAREA" || target.tagName === "SELECT") {
      return true;
    }
    return target.tagName === "INPUT" && !NOT_TYPED.test(target.type || "text");
  }

  function visible(element) {
    return Boolean(element && element.getClientRects().length);
  }

  // --- queues ------------------------------------------------------------------------------

  function rows() {
    var box = document.getElementById("agent-queue-results");
    if (!box) {
      return [];
    }
    return Array.prototype.filter.call(box.querySelectorAll("tbody tr"), function (row) {
      return Boolean(rowLink(row));
    });
  }

  function rowLink(row) {
    return row.querySelector("a[href*='/agent/requests/']");
  }

  function currentRow(list) {
    var active = document.activeElement;
    for (var i = 0; i < list.length; i += 1) {
      if (list[i] === active || list[i].contains(active)) {
        return list[i];
      }
    }
    return null;
  }

  function focusRow(row) {
    row.setAttribute("tabindex", "-1");
    row.classList.add("agent-row-current");
    row.addEventListener("blur", function () { row.classList.remove("agent-row-current"); },
                         {once: true});
    row.focus();
    row.scrollIntoView({block: "nearest"});
  }

  function move(step) {
    var list = rows();
    if (!list.length) {
      say(text("no-rows"));
      return true;
    }
    var current = currentRow(list);
    var index = current ? list.indexOf(current) + step : (step > 0 ? 0 : list.length - 1);
    if (index < 0) {
      say(text("first"));
    } else if (index >= list.length) {
      say(text("last"));
    } else {
      focusRow(list[index]);
    }
    return true;
  }

  function rowKey(row) {
    var ref = row.querySelector(".spt-ref");
    return ref ? ref.textContent.trim() : "";
  }

  function openCurrent(onRowOnly) {
    var list = rows();
    var row = currentRow(list);
    if (!row || (onRowOnly && document.activeElement !== row)) {
      return false;
    }
    rowLink(row).click();
    return true;
  }

  function tickCurrent() {
    var row = currentRow(rows());
    var box = row && row.querySelector("input[type=checkbox][data-row-select]");
    if (!box) {
      return false;
    }
    box.click();  // as a click would: the "tick all" box and the bulk choices follow
    say(text(box.checked ? "ticked" : "unticked", {key: rowKey(row)}));
    return true;
  }

  function focusSearch() {
    var fields = [document.querySelector("form.agent-filters input[type=search]"),
                  document.getElementById("agent-search-q")];
    for (var i = 0; i < fields.length; i += 1) {
      if (visible(fields[i])) {
        fields[i].focus();
        fields[i].select();
        return true;
      }
    }
    return false;
  }

  // --- request page -----------------------------------------------------------------------

  function commentBox() {
    return document.querySelector("#commenter textarea");
  }

  function writeComment(internal) {
    var box = commentBox();
    if (!box) {
      say(text("no-comment"));
      return true;
    }
    if (internal && !document.querySelector("#commenter button[value=internal]")) {
      say(text("no-note"));
      return true;
    }
    box.focus();
    box.scrollIntoView({block: "center"});
    say(text(internal ? "note" : "comment"));
    return true;
  }

  function nextRequest() {
    var link = document.querySelector("[data-next-request]");
    if (!link) {
      say(text("no-next"));
      return true;
    }
    link.click();
    return true;
  }

  // The request before / after this one in the queue it was opened from: its link, if the
  // page has one (none at an end of the queue, nor without a queue).
  function neighbour(attribute) {
    var link = document.querySelector("a[" + attribute + "]");
    if (!link) {
      return false;
    }
    link.click();
    return true;
  }

  // --- help ---------------------------------------------------------------------------------

  var opener = null;

  function openHelp() {
    var element = dialog();
    if (!element || typeof element.showModal !== "function" || element.open) {
      return false;
    }
    opener = document.activeElement;
    element.showModal();
    return true;
  }

  function inQueue() {
    return Boolean(document.getElementById("agent-queue-results"));
  }

  function onRequestPage() {
    var element = dialog();
    return Boolean(element && element.getAttribute("data-section") === "request");
  }

  function handle(key) {
    switch (key) {
    case "?":
      return openHelp();
    case "/":
      return focusSearch();
    case "j":
      if (inQueue()) {
        return move(1);
      }
      // After an action, the page offers "Demande suivante" instead of its own next link.
      return onRequestPage() && (neighbour("data-queue-next") ||
                                 neighbour("data-next-request"));
    case "k":
      if (inQueue()) {
        return move(-1);
      }
      return onRequestPage() && neighbour("data-queue-previous");
    case "Enter":
      return openCurrent(true);
    case "o":
      return openCurrent(false);
    case "x":
      return tickCurrent();
    case "c":
      return onRequestPage() ? writeComment(false) : false;
    case "n":
      return onRequestPage() ? writeComment(true) : false;
    case "r":
      return onRequestPage() ? nextRequest() : false;
    default:
      return false;
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.isComposing || event.ctrlKey || event.altKey ||
        event.metaKey || typing(event.target) || document.querySelector("dialog[open]")) {
      return;
    }
    if (handle(event.key)) {
      event.preventDefault();
    }
  });

  function setUp() {
    var element = dialog();
    if (!element || typeof element.showModal !== "function") {
      return;
    }
    element.addEventListener("close", function () {
      if (opener && opener.isConnected && typeof opener.focus === "function") {
        opener.focus();
      }
      opener = null;
    });
    document.querySelectorAll("[data-shortcuts-open]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", openHelp);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
