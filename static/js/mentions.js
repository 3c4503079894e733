/*
 * @-mentions in internal notes (loaded by templates/agent/base.html). Every page works
 * without this file: "@username" typed in full mentions the same colleague.
 *
 * - textarea[data-mentions] on a request page where this person writes internal notes
 *   (#spt-mentions holds the address and the texts: templates/agent/requests/mentions.html):
 *   "@" and the beginning of a name list the colleagues a note may mention (the server
 *   bounds them) in a listbox under the box. The focus stays in the box, which points at the
 *   active option (aria-activedescendant): Up and Down move, Enter or Tab insert
 *   "@username", Escape closes; a polite region says how many are offered and what was
 *   inserted. The boxes of the action panels, fetched later, work alike (events are
 *   listened to on the document).
 * - form[data-mention-read]: the read receipt of "Mes mentions", posted once the page is
 *   open; the side navigation then asks for its counts again (spt:counts-changed).
 */
(function () {
  "use strict";

  // What may follow "@" while it is typed (the server says whom it names), and what may not
  // precede it: an "@" glued to a word is an address (jean@example.com).
  var TYPED = /^(?:[\p{L}\p{N}_][\p{L}\p{N}_.+-]{0,49})?$/u;
  var GLUED = /[\p{L}\p{N}_@/.+`-]/u;
  var WAIT_MS = 120;
  var counter = 0;

  function settings() {
    var element = document.getElementById("spt-mentions");
    return element ? element.dataset : null;
  }

  function mentionBox(target) {
    if (!(target instanceof HTMLTextAreaElement) || !target.hasAttribute("data-mentions")) {
      return null;
    }
    return settings() ? target : null;
  }

  function announce(state, text) {
    state.region.textContent = text || "";
  }

  function widgets(box) {
    if (box.sptMention) {
      return box.sptMention;
    }
    counter += 1;
    var list = document.createElement("ul");
    list.id = "spt-mention-list-" + counter;
    list.className = "spt-mention-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", settings().label || "");
    list.hidden = true;
    var region = document.createElement("div");
    region.className = "visually-hidden";
    region.setAttribute("aria-live", "polite");
    region.setAttribute("aria-atomic", "true");
    box.insertAdjacentElement("afterend", list);
    list.insertAdjacentElement("afterend", region);
    box.parentNode.classList.add("spt-mention-host");
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-controls", list.id);
    var state = {
      list: list, region: region, people: [], index: -1, start: -1,
      controller: null, timer: 0, inserting: false
    };
    // A click on an option must not take the focus out of the box (which would close it).
    list.addEventListener("mousedown", function (event) {
      event.preventDefault();
    });
    list.addEventListener("click", function (event) {
      var option = event.target.closest("[role=option]");
      if (option) {
        choose(box, state, Number(option.dataset.index));
      }
    });
    list.addEventListener("mousemove", function (event) {
      var option = event.target.closest("[role=option]");
      if (option && Number(option.dataset.index) !== state.index) {
        activate(box, state, Number(option.dataset.index));
      }
    });
    box.sptMention = state;
    return state;
  }

  // The "@…" being typed just before the caret: where its "@" is and what follows it.
  function typedMention(box) {
    var caret = box.selectionStart;
    if (caret === null || caret !== box.selectionEnd) {
      return null;
    }
    var before = box.value.slice(0, caret);
    var at = before.lastIndexOf("@");
    if (at < 0 || (at > 0 && GLUED.test(before.charAt(at - 1)))) {
      return null;
    }
    var typed = before.slice(at + 1);
    return TYPED.test(typed) ? { start: at, typed: typed } : null;
  }

  function isOpen(state) {
    return !state.list.hidden && state.people.length > 0;
  }

  function close(box, state) {
    window.clearTimeout(state.timer);
    if (state.controller) {
      state.controller.abort();
      state.controller = null;
    }
    state.list.hidden = true;
    state.list.textContent = "";
    state.people = [];
    state.index = -1;
    box.removeAttribute("aria-activedescendant");
  }

  function activate(box, state, index) {
    var options = state.list.querySelectorAll("[role=option]");
    options.forEach(function (option, position) {
      option.setAttribute("aria-selected", position === index ? "true" : "false");
    });
    state.index = index;
    if (options[index]) {
      box.setAttribute("aria-activedescendant", options[index].id);
      options[index].scrollIntoView({ block: "nearest" });
    }
  }

  function show(box, state, people) {
    var texts = settings();
    close(box, state);
    if (!people.length) {
      announce(state, texts.none);
      return;
    }
    state.people = people;
    people.forEach(function (person, index) {
      var option = document.createElement("li");
      option.id = state.list.id + "-" + index;
      option.className = "spt-mention-option";
      option.setAttribute("role", "option");
      option.dataset.index = String(index);
      var name = document.createElement("span");
      name.className = "spt-mention-name";
      name.textContent = person.name;
      var detail = document.createElement("span");
      detail.className = "spt-mention-detail";
      detail.textContent = "@" + person.username +
        (person.roles && person.roles.length ? " · " + person.roles.join(", ") : "");
      option.append(name, detail);
      state.list.appendChild(option);
    });
    // Just under the box, whatever the help text and errors around it.
    state.list.style.top = (box.offsetTop + box.offsetHeight) + "px";
    state.list.hidden = false;
    activate(box, state, 0);
    announce(state, people.length === 1 ? texts.one
      : String(texts.many).replace("%(count)s", String(people.length)));
  }

  function ask(box, state, found) {
    state.start = found.start;
    window.clearTimeout(state.timer);
    if (state.controller) {
      state.controller.abort();
    }
    var controller = new AbortController();
    state.controller = controller;
    state.timer = window.setTimeout(function () {
      var url = new URL(settings().url, window.location.href);
      url.searchParams.set("q", found.typed);
      window.fetch(url, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: controller.signal
      }).then(function (response) {
        return response.ok ? response.json() : { results: [] };
      }).then(function (data) {
        if (state.controller === controller && typedMention(box)) {
          state.controller = null;
          show(box, state, data.results || []);
        }
      }).catch(function () {
        // Aborted by the next key, or the network: the box works as a plain box.
      });
    }, WAIT_MS);
  }

  function choose(box, state, index) {
    var person = state.people[index];
    if (!person) {
      return;
    }
    var caret = box.selectionStart;
    var after = box.value.slice(caret);
    var inserted = "@" + person.username + (/^\s/.test(after) ? "" : " ");
    box.value = box.value.slice(0, state.start) + inserted + after;
    var position = state.start + inserted.length;
    box.setSelectionRange(position, position);
    close(box, state);
    announce(state, String(settings().inserted).replace("%(name)s", person.name));
    // Others who follow the box's text (a draft, a counter) hear of the change.
    state.inserting = true;
    box.dispatchEvent(new Event("input", { bubbles: true }));
    state.inserting = false;
  }

  function follow(box) {
    var state = widgets(box);
    if (state.inserting) {
      return;
    }
    var found = typedMention(box);
    if (found) {
      ask(box, state, found);
    } else {
      close(box, state);
    }
  }

  document.addEventListener("input", function (event) {
    var box = mentionBox(event.target);
    if (box) {
      follow(box);
    }
  });

  document.addEventListener("keydown", function (event) {
    var box = mentionBox(event.target);
    if (!box || !box.sptMention || !isOpen(box.sptMention)) {
      return;
    }
    var state = box.sptMention;
    var count = state.people.length;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      activate(box, state, (state.index + step + count) % count);
    } else if ((event.key === "Enter" || event.key === "Tab") && !event.shiftKey &&
               state.index >= 0) {
      event.preventDefault();
      event.stopPropagation();
      choose(box, state, state.index);
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();
      close(box, state);
    }
  });

  // The caret moved away from the "@…" (keys that do not type, a click elsewhere in the box).
  document.addEventListener("keyup", function (event) {
    var box = mentionBox(event.target);
    if (box && box.sptMention && ["ArrowLeft", "ArrowRight", "Home", "End"].indexOf(event.key) >= 0) {
      follow(box);
    }
  });

  document.addEventListener("click", function (event) {
    var box = mentionBox(event.target);
    if (box && box.sptMention) {
      follow(box);
    }
  });

  document.addEventListener("focusout", function (event) {
    var box = mentionBox(event.target);
    if (box && box.sptMention) {
      close(box, box.sptMention);
    }
  });

  // --- the read receipt -------------------------------------------------------------------

  // Whether the side navigation is asking for its counts right now: a refresh asked
  // meanwhile would go to the element its answer replaces, so it waits for that answer.
  var navBusy = false;
  var navAgain = false;

  function countsChanged() {
    if (navBusy) {
      navAgain = true;
      return;
    }
    document.body.dispatchEvent(new CustomEvent("spt:counts-changed", { bubbles: true }));
  }

  function isNav(event) {
    var element = event.detail && event.detail.elt;
    return Boolean(element && element.closest && element.closest("[data-queue-nav]"));
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (isNav(event)) {
      navBusy = true;
    }
  });

  function navDone() {
    navBusy = false;
    if (navAgain) {
      navAgain = false;
      // Once the new navigation listens (htmx sets it up as it settles).
      window.setTimeout(countsChanged, 0);
    }
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    if (isNav(event)) {
      navDone();
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    // A failed or refused answer settles nothing (spt.js keeps the navigation as it was).
    if (isNav(event) && !(event.detail && event.detail.successful)) {
      navDone();
    }
  });

  function sendReadReceipt() {
    var form = document.querySelector("form[data-mention-read]");
    if (!form || !window.fetch) {
      return;
    }
    window.fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" }
    }).then(function (response) {
      if (!response.ok) {
        return;
      }
      var done = document.createElement("p");
      done.className = "mb-0";
      done.textContent = form.getAttribute("data-read-text") || "";
      form.replaceWith(done);
      countsChanged();
    }).catch(function () {
      // The button stays: the person may send it themselves.
    });
  }

  document.addEventListener("DOMContentLoaded", sendReadReceipt);
})();
