// Commune's small enhancements. Nothing here is needed to use Commune: every page works without
// JavaScript. Each enhancement runs on the first page and again after every page htmx swaps in
// (links are boosted), marking what it set up so nothing is bound twice. Behaviour lives here,
// not in inline handlers: the Content-Security-Policy allows no inline or evaluated script.

function onPage(setUp) {
  if (window.htmx) { window.htmx.onLoad(function () { setUp(document); }); } else { setUp(document); }
}

function once(element, name) {
  if (!element || element.dataset[name]) return false;
  element.dataset[name] = "1";
  return true;
}

// Keyboard shortcuts: "g" then a letter goes somewhere; "?" shows the list; "/" focuses the
// first field.
(function () {
  const targets = { h: "/", i: "/inbox", o: "/orgs", m: "/members", w: "/wallet", a: "/api", p: "/settings/profile" };
  let pending = false;
  function typing(el) {
    return el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));
  }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(document.activeElement)) return;
    const help = document.getElementById("keys");
    if (e.key === "?") { if (help) help.hidden = !help.hidden; e.preventDefault(); return; }
    if (e.key === "Escape" && help) { help.hidden = true; return; }
    if (e.key === "/") {
      const field = document.querySelector("main input:not([type=hidden]), main textarea");
      if (field) { field.focus(); e.preventDefault(); }
      return;
    }
    if (pending && targets[e.key]) { window.location.href = targets[e.key]; pending = false; return; }
    pending = e.key === "g";
  });
})();

// Ranked ballots: two lists, "your ranking" and "not ranked". Rank adds an option at the end of
// the ranking, ▲ ▼ reorder, Unrank takes it out; the place selects follow the lists, so the form
// always says what the voter sees. Works by touch, mouse and keyboard (the buttons); a mouse or
// a finger can also drag a ranked row by its place number.
onPage(function (root) {
  const ranked = root.getElementById ? root.getElementById("ranking") : null;
  const unranked = root.getElementById ? root.getElementById("unranked") : null;
  if (!ranked || !unranked || !once(ranked, "ready")) return;
  function nameOf(li) { return li.querySelector("label").firstChild.textContent.trim(); }
  function controls(li, isRanked) {
    const moves = li.querySelector(".moves");
    const name = nameOf(li);
    moves.textContent = "";
    const make = function (cls, text, label) {
      const b = document.createElement("button");
      b.type = "button"; b.className = "small " + cls; b.textContent = text; b.setAttribute("aria-label", label);
      moves.appendChild(b);
    };
    if (isRanked) {
      make("move-up", "▲", "Move " + name + " up"); make("move-down", "▼", "Move " + name + " down"); make("unrank", "Unrank", "Unrank " + name);
    } else { make("rank", "Rank", "Rank " + name); }
  }
  function sync() {
    Array.from(ranked.children).forEach(function (li, i) {
      li.querySelector("select").value = String(i + 1);
      li.querySelector(".place").textContent = String(i + 1);
    });
    Array.from(unranked.children).forEach(function (li) {
      li.querySelector("select").value = "";
      li.querySelector(".place").textContent = "–";
    });
  }
  function focusIn(li, cls) { const b = li.querySelector("." + cls) || li.querySelector("button"); if (b) b.focus(); }
  root.getElementById("ranking-box").addEventListener("click", function (e) {
    const b = e.target.closest("button");
    if (!b) return;
    const li = b.closest("li");
    if (b.classList.contains("rank")) { ranked.appendChild(li); controls(li, true); sync(); focusIn(li, "unrank"); }
    else if (b.classList.contains("unrank")) { unranked.appendChild(li); controls(li, false); sync(); focusIn(li, "rank"); }
    else if (b.classList.contains("move-up") && li.previousElementSibling) { ranked.insertBefore(li, li.previousElementSibling); sync(); focusIn(li, "move-up"); }
    else if (b.classList.contains("move-down") && li.nextElementSibling) { ranked.insertBefore(li.nextElementSibling, li); sync(); focusIn(li, "move-down"); }
  });
  // Typed places move rows too: a select set to a number joins the ranking at that place.
  root.getElementById("ranking-box").addEventListener("change", function (e) {
    if (e.target.tagName !== "SELECT") return;
    const li = e.target.closest("li");
    const place = Number(e.target.value);
    if (!place) { unranked.appendChild(li); controls(li, false); }
    else { ranked.insertBefore(li, ranked.children[place - 1] || null); controls(li, true); }
    sync();
  });
  // Dragging by the place number with any pointer (touch included).
  let dragged = null;
  ranked.addEventListener("pointerdown", function (e) {
    const handle = e.target.closest(".place");
    if (!handle) return;
    dragged = handle.closest("li"); dragged.classList.add("dragging"); handle.setPointerCapture(e.pointerId); e.preventDefault();
  });
  ranked.addEventListener("pointermove", function (e) {
    if (!dragged) return;
    const over = document.elementFromPoint(e.clientX, e.clientY);
    const target = over && over.closest ? over.closest("#ranking > li") : null;
    if (!target || target === dragged) return;
    const after = e.clientY > target.getBoundingClientRect().top + target.offsetHeight / 2;
    ranked.insertBefore(dragged, after ? target.nextSibling : target);
  });
  ["pointerup", "pointercancel"].forEach(function (type) {
    ranked.addEventListener(type, function () { if (dragged) { dragged.classList.remove("dragging"); dragged = null; sync(); } });
  });
});

// Quadratic and points ballots: show what is spent as the voter types.
onPage(function (root) {
  const form = root.getElementById ? root.getElementById("ballot-form") : null;
  const out = root.getElementById ? root.getElementById("spent") : null;
  if (!form || !out || !once(form, "spendReady")) return;
  const update = function () {
    let spent = 0;
    form.querySelectorAll("input.qv").forEach(function (i) { const v = Number(i.value) || 0; spent += v * v; });
    form.querySelectorAll("input.pts").forEach(function (i) { spent += Number(i.value) || 0; });
    out.textContent = String(spent);
  };
  form.addEventListener("input", update);
  update();
});

// Forms marked data-reset-on-success clear after htmx posts them successfully, and take a fresh
// one-time key (the server gives each key one result, so a double click records one dot and
// the next dot is a new one).
(function () {
  function freshKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  document.addEventListener("htmx:afterRequest", function (e) {
    var form = e.target && e.target.closest ? e.target.closest("form[data-reset-on-success]") : null;
    if (!form || !e.detail || !e.detail.successful) return;
    form.reset();
    form.querySelectorAll("input[data-one-time]").forEach(function (input) {
      input.value = freshKey();
      input.defaultValue = input.value;
    });
  });
})();

// Tables become cards on phones: each cell is labelled with its column's heading (the CSS shows
// the label; without JavaScript the cells still stack, unlabelled).
onPage(function (root) {
  root.querySelectorAll("main table:not(.keep-table)").forEach(function (table) {
    var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) { return th.textContent.trim(); });
    table.querySelectorAll("tbody tr").forEach(function (tr) {
      Array.prototype.forEach.call(tr.children, function (cell, i) {
        if (heads[i] && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", heads[i]);
      });
    });
  });
});

// The proposal form: only the chosen method's fields show (without JavaScript all of them do,
// each saying which method it is for); the title counts down to its limit; a rule's hint
// follows the rule chosen.
onPage(function (root) {
  var form = root.getElementById ? root.getElementById("proposal-form") : null;
  if (!form || !once(form, "ready")) return;
  var method = form.querySelector("[data-method-select]");
  var groups = form.querySelectorAll("[data-methods]");
  var showFor = function () {
    groups.forEach(function (g) { g.hidden = g.getAttribute("data-methods").split(" ").indexOf(method.value) < 0; });
  };
  if (method) { method.addEventListener("change", showFor); showFor(); }
  form.querySelectorAll("[data-max]").forEach(function (input) {
    var counter = document.getElementById(input.id + "-count");
    var max = Number(input.getAttribute("data-max"));
    input.addEventListener("input", function () {
      var n = Array.from(input.value).length;
      counter.textContent = n + " / " + max + (n > max ? " — " + (n - max) + " too many" : "");
      counter.classList.toggle("over", n > max);
    });
  });
  var policy = form.querySelector("#policy_key");
  var hint = form.querySelector("#policy-hint");
  if (policy && hint) {
    policy.addEventListener("change", function () {
      var chosen = policy.options[policy.selectedIndex];
      if (chosen && chosen.getAttribute("data-hint")) hint.textContent = chosen.getAttribute("data-hint");
    });
  }
});

// Budget-round ballots: the cost meter follows the ticks (or the points) as they change; it says
// when the ballot is over its limit. Without JavaScript the server recomputes it on sending.
onPage(function (root) {
  root.querySelectorAll("form[data-cost-meter]").forEach(function (form) {
    if (!once(form, "meterReady")) return;
    const limit = Number(form.dataset.limit) || 0;
    const points = form.dataset.unit === "points";
    const scale = Number(form.dataset.scale) || 0;
    const label = form.querySelector("#meter-label");
    const fill = form.querySelector("[data-meter-fill]");
    const track = fill ? fill.parentElement : null;
    const percentText = form.querySelector("[data-meter-percent]");
    const over = form.querySelector("[data-meter-over]");
    // The server's money format (frame.rs format_money): grouped digits, the reader's decimal
    // mark, the currency's symbol where it has a common one.
    const comma = form.dataset.decimalComma === "1";
    const symbols = { EUR: "€", USD: "$", GBP: "£", JPY: "¥", INR: "₹" };
    function money(minor) {
      const digits = String(Math.abs(minor)).padStart(scale + 1, "0");
      const whole = digits.slice(0, digits.length - scale);
      const fraction = scale > 0 ? digits.slice(digits.length - scale) : "";
      const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, comma ? "." : ",");
      const number = fraction ? grouped + (comma ? "," : ".") + fraction : grouped;
      const symbol = symbols[form.dataset.currency];
      if (symbol && !comma) return symbol + number;
      return number + "\u00a0" + (symbol || form.dataset.currency);
    }
    function update() {
      let used = 0;
      if (points) {
        form.querySelectorAll("input[data-points]").forEach(function (i) { used += Math.max(0, Math.floor(Number(i.value) || 0)); });
      } else {
        form.querySelectorAll("input[data-cost]:checked").forEach(function (i) { used += Number(i.dataset.cost) || 0; });
      }
      const percent = limit > 0 ? Math.round(used * 100 / limit) : 0;
      if (label) label.textContent = points ? used + " of " + limit + " points" : money(used) + " of " + money(limit);
      if (fill) fill.style.width = Math.min(100, percent) + "%";
      if (track) track.setAttribute("aria-valuenow", String(used));
      if (percentText) percentText.textContent = percent + "%";
      if (over) over.hidden = used <= limit;
      form.classList.toggle("over-limit", used > limit);
    }
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    update();
  });
});

// The work board: a card moves by drag and drop onto a column, or — focused — by → and ← one
// step along its path (open, assigned, in progress, review, done). Either way the card's own
// move form is submitted, so the server decides and the page shows the result; without
// JavaScript that form is visible on every card.
onPage(function (root) {
  const board = root.querySelector && root.querySelector(".board");
  if (!board || !once(board, "board")) return;
  document.documentElement.classList.add("js");
  const path = ["open", "assigned", "in_progress", "review", "done"];
  function moveTo(card, status) {
    const form = card.querySelector("form.move");
    if (!form || !status || status === card.dataset.status) return;
    form.querySelector("select[name=to]").value = status;
    form.submit();
  }
  board.addEventListener("keydown", function (e) {
    const card = e.target.closest && e.target.closest(".card.task");
    if (!card || e.target !== card) return;
    const at = path.indexOf(card.dataset.status);
    if (e.key === "ArrowRight" && at >= 0 && at < path.length - 1) { e.preventDefault(); moveTo(card, path[at + 1]); }
    else if (e.key === "ArrowLeft" && at > 0) { e.preventDefault(); moveTo(card, path[at - 1]); }
    else if (e.key === "Enter") { const a = card.querySelector("h3 a"); if (a) { e.preventDefault(); a.click(); } }
  });
  let dragged = null;
  board.addEventListener("dragstart", function (e) {
    dragged = e.target.closest(".card.task");
    if (!dragged) return;
    dragged.classList.add("dragging");
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", dragged.dataset.id);
  });
  board.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    board.querySelectorAll(".drop-target").forEach(function (c) { c.classList.remove("drop-target"); });
    dragged = null;
  });
  board.addEventListener("dragover", function (e) {
    const column = e.target.closest(".column");
    if (!column || !dragged) return;
    e.preventDefault();
    board.querySelectorAll(".drop-target").forEach(function (c) { if (c !== column) c.classList.remove("drop-target"); });
    column.classList.add("drop-target");
  });
  board.addEventListener("drop", function (e) {
    const column = e.target.closest(".column");
    if (!column || !dragged) return;
    e.preventDefault();
    moveTo(dragged, column.dataset.status);
  });
});

// The review queue: space shows the answer, 1-4 rate the card (the buttons work without this).
// One listener for every page: it acts only while a flashcard is on the page.
(function () {
  document.addEventListener("keydown", function (e) {
    const card = document.getElementById("flashcard");
    const t = e.target;
    if (!card || e.ctrlKey || e.metaKey || e.altKey) return;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) return;
    if (e.key === " " || e.key === "Spacebar") {
      const reveal = document.getElementById("reveal");
      if (!reveal || (t && t.tagName === "SUMMARY")) return;
      e.preventDefault();
      reveal.open = !reveal.open;
    } else if (["1", "2", "3", "4"].indexOf(e.key) >= 0) {
      const button = card.querySelector('button[data-key="' + e.key + '"]');
      if (button) { e.preventDefault(); button.click(); }
    }
  });
})();

// Live regions: an element with data-live="N" re-reads its own page every N seconds while the
// tab is visible and swaps in its fresh copy (the opinion map as others vote). Without
// JavaScript the page is simply as fresh as its last load.
document.querySelectorAll("[data-live]").forEach((el) => {
  const seconds = Math.max(5, parseInt(el.dataset.live, 10) || 10);
  setInterval(async () => {
    if (document.hidden || !el.id) return;
    try {
      const response = await fetch(location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById(el.id);
      if (fresh && fresh.innerHTML !== el.innerHTML) el.innerHTML = fresh.innerHTML;
    } catch (_) { /* offline: keep what we have */ }
  }, seconds * 1000);
});
