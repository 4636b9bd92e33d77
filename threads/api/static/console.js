// The console's own small script: moderation actions without a page reload, and keys.
// Every action is still a plain form that works without this file; here we only send the
// same form with fetch and put the server's fresh card (HTML it rendered) in place.
"use strict";
(function () {
  var FRAGMENT = { "X-Threads-Fragment": "1" };
  var live = document.getElementById("live");
  var help = document.getElementById("keys");

  function cards() {
    return Array.prototype.slice.call(document.querySelectorAll("main .card"));
  }

  function current() {
    var el = document.activeElement;
    return el && el.closest ? el.closest(".card") : null;
  }

  function say(text) {
    if (live) live.textContent = text;
  }

  function focusCard(card) {
    if (!card) return;
    card.focus();
    card.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var all = cards();
    if (!all.length) return;
    var at = all.indexOf(current());
    var next = at < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, at + step));
    focusCard(all[next]);
  }

  // The server's HTML for the fragment, parsed into nodes (it escaped everything it holds).
  function nodes(html) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html;
    return tpl.content;
  }

  function belongsHere(card) {
    var list = card.closest(".cards");
    var statuses = list && list.dataset.statuses;
    return !statuses || statuses.split(" ").indexOf(card.dataset.status) >= 0;
  }

  function send(form, submitter) {
    var old = form.closest(".card");
    var box = old.closest(".conflict") || old;
    var data = new FormData(form, submitter);
    var action = String(data.get("action"));
    var id = old.id.replace("comment-", "");
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    return fetch(form.action, {
      method: "POST",
      body: new URLSearchParams(data),
      headers: Object.assign({ "X-CSRFToken": String(data.get("_csrf_token")) }, FRAGMENT),
      credentials: "same-origin",
      redirect: "manual"
    }).then(function (answer) {
      if (answer.type === "opaqueredirect") { window.location.reload(); return; }
      return answer.text().then(function (html) {
        var next = cards()[cards().indexOf(old) + 1];
        var part = nodes(html);
        var fresh = part.querySelector(".card");
        if (answer.ok && fresh && !belongsHere(fresh)) {
          box.remove();
          say("comment " + id + ": " + action + " done");
          focusCard(next || cards()[cards().length - 1]);
          return;
        }
        if (answer.ok || answer.status === 409) {
          box.replaceWith(part);
          say(answer.ok ? "comment " + id + ": " + action + " done" : "comment " + id + ": not changed");
          focusCard(document.getElementById("comment-" + id));
          return;
        }
        buttons.forEach(function (b) { b.disabled = false; });
        var error = part.querySelector(".flash");
        old.querySelectorAll(".flash").forEach(function (e) { e.remove(); });
        if (error) old.appendChild(error);
        say(error ? error.textContent : "comment " + id + ": failed");
      });
    }).catch(function () {
      buttons.forEach(function (b) { b.disabled = false; });
      say("comment " + id + ": the server did not answer; nothing was sent again");
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches(".card form.actions")) return;
    event.preventDefault();
    send(form, event.submitter);
  });

  function press(card, action) {
    var button = card && card.querySelector("form.actions button[value='" + action + "']");
    if (button) button.form.requestSubmit(button);
  }

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (help && help.open) return;
    var card = current();
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "a": press(card, "approve"); break;
      case "s": press(card, "spam"); break;
      case "r":
        var reason = card && card.querySelector("input.reason");
        if (!reason) return;
        reason.focus();
        break;
      case "x":
        var pick = card && card.querySelector("input.pick");
        if (!pick) return;
        pick.checked = !pick.checked;
        break;
      case "?":
        if (!help) return;
        help.showModal();
        break;
      default:
        return;
    }
    event.preventDefault();
  });
})();
