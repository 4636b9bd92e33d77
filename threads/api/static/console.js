// The console's own small script: moderation actions without a page reload, and keys.
// Every action still works as a plain form without this file; here we only send the same
// fields with fetch and put the server's fresh card (HTML it rendered and escaped) in place.
"use strict";
(function () {
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

  function nodes(html) {
    var tpl = document.createElement("template");
    tpl.innerHTML = html;
    return tpl.content;
  }

  function statusOf(card) {
    var m = /(?:^| )status-(\w+)/.exec(card.className);
    return m ? m[1] : "";
  }

  // Whether a card in its fresh state still belongs in the list (a tab) the old one was in.
  function belongsIn(list, card) {
    var statuses = list && list.dataset.statuses;
    return !statuses || statuses.split(" ").indexOf(statusOf(card)) >= 0;
  }

  function countOneLess() {
    var count = document.querySelector("nav.tabs a.current .count");
    if (count && +count.textContent > 0) count.textContent = String(+count.textContent - 1);
  }

  // The fields of one card's action: from its own form, or from the queue's one form.
  function fieldsOf(form, submitter, old) {
    var all = new FormData(form, submitter);
    if (!form.matches("#queue")) return all;
    var mine = new FormData();
    var id = old.id.replace("comment-", "");
    ["_csrf_token", "back", "do", "reason-" + id].forEach(function (name) {
      if (all.has(name)) mine.append(name, all.get(name));
    });
    return mine;
  }

  function send(form, submitter) {
    var old = submitter.closest(".card");
    var box = old.closest(".conflict") || old;
    var id = old.id.replace("comment-", "");
    var action = submitter.value.split(":").pop();
    var reason = old.querySelector("input.reason");
    if (action === "reject" && reason && !reason.value.trim()) {
      reason.focus();
      say("comment " + id + ": a reason is required to reject");
      return;
    }
    var data = fieldsOf(form, submitter, old);
    var buttons = old.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(form.getAttribute("action"), { // form.action may be a field named "action"
      method: "POST",
      body: new URLSearchParams(data),
      headers: { "X-CSRFToken": String(data.get("_csrf_token")), "X-Threads-Fragment": "1" },
      credentials: "same-origin",
      redirect: "manual"
    }).then(function (answer) {
      if (answer.type === "opaqueredirect") { window.location.reload(); return; }
      return answer.text().then(function (html) {
        var next = cards()[cards().indexOf(old) + 1];
        var part = nodes(html);
        var fresh = part.querySelector(".card");
        if (answer.ok && fresh && !belongsIn(box.closest(".cards"), fresh)) {
          box.remove();
          countOneLess();
          say("comment " + id + ": " + action + " done");
          focusCard(next || cards()[cards().length - 1]);
          return;
        }
        if (answer.ok || answer.status === 409) {
          box.replaceWith(part);
          say("comment " + id + ": " + (answer.ok ? action + " done" : "not changed"));
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
      say("comment " + id + ": the server did not answer");
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    if (!submitter || !submitter.closest(".card")) return; // bulk actions: a plain POST
    if (!form.matches("#queue, .card form.actions")) return;
    event.preventDefault();
    send(form, submitter);
  });

  function press(card, action) {
    var button = card && card.querySelector(
      "button[value='" + action + "'], button[value$=':" + action + "']");
    if (button) button.form.requestSubmit(button);
  }

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && target.matches && target.matches("#queue .card input.reason")) {
      event.preventDefault(); // the queue's form has no default button: reject this card
      press(target.closest(".card"), "reject");
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(target)) return;
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

// The snapshot page's time slider: show the chosen moment as soon as the slider is let go (the
// form's own button does the same without this script).
(function () {
  var sliders = document.querySelectorAll("input[type=range][data-autosubmit]");
  Array.prototype.forEach.call(sliders, function (slider) {
    slider.addEventListener("change", function () {
      if (slider.form) slider.form.submit();
    });
  });
})();
