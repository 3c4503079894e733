/*
 * Back office, live (loaded by templates/agent/base.html): what an open page shows keeps up
 * with what others do, without a reload. Every page works without this file.
 *
 * Elements marked data-live-poll are htmx elements triggered by "spt:poll", which this file
 * sends every data-live-seconds (on .agent-layout) while the tab is visible, and at once when
 * it becomes visible again after a missed turn:
 * - "nav": the side navigation's counts (agent/queues/nav.html);
 * - "queue": the queue's results (agent/queues/live.html), asked at the page's own address;
 * - "stale": the request page's "modified meanwhile" warning (agent/requests/live.html).
 * A "nav" or "queue" asking sends If-None-Match with the ETag it was drawn with: unchanged,
 * the answer is a 304 and nothing is replaced. The queue's rows are not replaced while the
 * agent works in them (a row ticked, the focus among them, the bulk panel open): the notice
 * "Nouvelles modifications — Actualiser" shows instead, and the rows are replaced at the
 * first asking after the agent is done, or when they press "Actualiser". What changed is said
 * in the polite region #agent-live-status, in the page's words (data-text-*).
 */
(function () {
  "use strict";

  var POLL = "spt:poll";
  var missed = false;
  var pending = false;  // the queue has news the agent has not let in yet
  var quietSearchStatus = false;

  function live(element) {
    return element && element.getAttribute ? element.getAttribute("data-live-poll") : null;
  }

  // The element that asked (htmx's events after the answer fire on the target or on what
  // was swapped in; their detail.elt is that element, not the asker).
  function asker(event) {
    var config = event.detail.requestConfig;
    return (config && config.elt) || event.detail.elt;
  }

  function announce(text) {
    var region = document.getElementById("agent-live-status");
    if (!region || !text) {
      return;
    }
    // Emptied first, so that the same words said twice are said again.
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function results() {
    return document.getElementById("agent-queue-results");
  }

  // The agent is working in the rows: replacing them would lose their ticks or their place.
  function held() {
    var box = results();
    if (!box) {
      return false;
    }
    var active = document.activeElement;
    if (active && active !== box && box.contains(active)) {
      return true;
    }
    return Boolean(box.querySelector(
      "input[type=checkbox][data-row-select]:checked, details.agent-bulk[open]"));
  }

  function notice() {
    return document.getElementById("agent-queue-live-notice");
  }

  function showNotice(poller) {
    var element = notice();
    if (element && element.hidden) {
      element.hidden = false;
      announce(poller.getAttribute("data-text-held"));
    }
    pending = true;
  }

  function hideNotice() {
    var element = notice();
    if (element) {
      element.hidden = true;
    }
    pending = false;
  }

  function poll() {
    if (!window.htmx) {
      return;
    }
    document.querySelectorAll("[data-live-poll]").forEach(function (element) {
      // News held back while the agent worked: asked for again in full once they are done.
      if (live(element) === "queue" && pending && !held()) {
        element.setAttribute("data-live-force", "true");
      }
      window.htmx.trigger(element, POLL);
    });
  }

  function tick() {
    if (document.visibilityState === "visible") {
      poll();
    } else {
      missed = true;
    }
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && missed) {
      missed = false;
      poll();
    }
  });

  document.addEventListener("htmx:configRequest", function (event) {
    var element = event.detail.elt;
    var kind = live(element);
    var trigger = event.detail.triggeringEvent;
    if (!kind || !trigger || trigger.type !== POLL) {
      return;  // the element's other triggers (its first load, a script's nudge) ask plainly
    }
    if (kind === "queue") {
      // The page's own address, which a search typed or a page chosen keeps up to date; on
      // a page a form posted to, there is nothing to ask.
      var base = new URL(event.detail.path, window.location.href);
      if (base.pathname !== window.location.pathname) {
        event.preventDefault();
        return;
      }
      event.detail.path = window.location.pathname + window.location.search;
    }
    if (kind === "stale") {
      event.detail.parameters.since = element.getAttribute("data-since") || "0";
    }
    var etag = element.getAttribute("data-etag");
    if (etag && element.getAttribute("data-live-force") !== "true") {
      event.detail.headers["If-None-Match"] = etag;
    }
    element.removeAttribute("data-live-force");
  });

  // The answer is the fragment asked for (not a sign-in page after a redirect).
  function sameAddress(event) {
    var xhr = event.detail.xhr;
    var asked = event.detail.requestConfig && event.detail.requestConfig.path;
    if (!xhr || !xhr.responseURL || !asked) {
      return false;
    }
    return new URL(xhr.responseURL).pathname === new URL(asked, window.location.href).pathname;
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var element = asker(event);
    var kind = live(element);
    if (!kind) {
      return;
    }
    var xhr = event.detail.xhr;
    if (xhr.status !== 200 || !sameAddress(event)) {
      event.detail.shouldSwap = false;  // 304 or 204: nothing new; anything else: keep it
      event.detail.isError = false;
      return;
    }
    if (kind === "nav" && element.contains(document.activeElement)) {
      event.detail.shouldSwap = false;  // the agent is in the list: next time
      return;
    }
    if (kind === "queue") {
      element.setAttribute("data-etag", xhr.getResponseHeader("ETag") || "");
      if (held() && element.getAttribute("data-live-forced") !== "true") {
        event.detail.shouldSwap = false;
        showNotice(element);
        return;
      }
      quietSearchStatus = true;
    }
  });

  // An asking that fails (the server restarting, the network gone) is not the reader's
  // action: no error message for it (spt.js shows one for the reader's own); the next turn
  // asks again. Caught before spt.js's listener, which listens on the way back up.
  ["htmx:sendError", "htmx:responseError"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (live(asker(event))) {
        event.stopImmediatePropagation();
      }
    }, true);
  });

  // A poll's results say "updated", not how many a search found.
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    if (quietSearchStatus && event.detail.target && event.detail.target.id === "agent-search-status") {
      event.detail.shouldSwap = false;
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var element = asker(event);
    var kind = live(element);
    if (kind === "queue" && event.detail.xhr && event.detail.xhr.status === 200) {
      quietSearchStatus = false;
      element.removeAttribute("data-live-forced");
      hideNotice();
      announce(element.getAttribute("data-text-updated"));
    } else if (kind === "stale") {
      var told = element.querySelector("[data-since]");
      if (told) {
        element.setAttribute("data-since", told.getAttribute("data-since"));
      }
    }
  });

  // Results replaced by the agent's own search or filters: they are as new as they get.
  document.addEventListener("htmx:afterRequest", function (event) {
    var target = event.detail.target;
    var poller = document.getElementById("agent-queue-live");
    if (!poller || live(asker(event)) || !target || target.id !== "agent-queue-results" ||
        !event.detail.successful) {
      return;
    }
    poller.setAttribute("data-etag", event.detail.xhr.getResponseHeader("ETag") || "");
    hideNotice();
  });

  // "Actualiser": the news now, the agent's ticks and place given up; the keyboard goes to
  // the results, where the notice pointed.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-live-refresh]");
    var poller = document.getElementById("agent-queue-live");
    if (!button || !poller || !window.htmx) {
      return;
    }
    poller.setAttribute("data-live-force", "true");
    poller.setAttribute("data-live-forced", "true");
    var settled = function (settle) {
      if (asker(settle) !== poller) {
        return;
      }
      document.removeEventListener("htmx:afterSettle", settled);
      var region = document.querySelector("#agent-queue-results [role=region]") || results();
      if (region) {
        if (!region.hasAttribute("tabindex")) {
          region.setAttribute("tabindex", "-1");
        }
        region.focus();
      }
    };
    document.addEventListener("htmx:afterSettle", settled);
    window.htmx.trigger(poller, POLL);
  });

  function start() {
    var layout = document.querySelector("[data-live-seconds]");
    var seconds = layout ? Number(layout.getAttribute("data-live-seconds")) : 0;
    if (seconds > 0) {
      window.setInterval(tick, seconds * 1000);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
