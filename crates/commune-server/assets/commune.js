// Keyboard shortcuts: "g" then a letter goes somewhere; "?" shows the list; "/" focuses the
// first field. Nothing here is needed to use Commune: every page works without JavaScript.
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

// Ranked ballots: drag rows or press ▲/▼; the rank selects follow the list order, so the form
// (which works without JavaScript) always says what the voter sees.
(function () {
  const list = document.getElementById("ranking");
  if (!list) return;
  const sync = function () {
    Array.from(list.children).forEach(function (li, i) { li.querySelector("select").value = String(i + 1); });
  };
  let dragged = null;
  list.addEventListener("dragstart", function (e) { dragged = e.target.closest("li"); dragged.classList.add("dragging"); });
  list.addEventListener("dragend", function () { if (dragged) dragged.classList.remove("dragging"); dragged = null; sync(); });
  list.addEventListener("dragover", function (e) {
    e.preventDefault();
    const over = e.target.closest("li");
    if (!dragged || !over || over === dragged) return;
    const after = e.clientY > over.getBoundingClientRect().top + over.offsetHeight / 2;
    list.insertBefore(dragged, after ? over.nextSibling : over);
  });
  list.addEventListener("click", function (e) {
    const li = e.target.closest("li");
    if (e.target.classList.contains("move-up") && li.previousElementSibling) {
      list.insertBefore(li, li.previousElementSibling); sync(); li.querySelector(".move-up").focus();
    } else if (e.target.classList.contains("move-down") && li.nextElementSibling) {
      list.insertBefore(li.nextElementSibling, li); sync(); li.querySelector(".move-down").focus();
    }
  });
})();

// Quadratic and points ballots: show what is spent as the voter types.
(function () {
  const form = document.getElementById("ballot-form");
  const out = document.getElementById("spent");
  if (!form || !out) return;
  const update = function () {
    let spent = 0;
    form.querySelectorAll("input.qv").forEach(function (i) { const v = Number(i.value) || 0; spent += v * v; });
    form.querySelectorAll("input.pts").forEach(function (i) { spent += Number(i.value) || 0; });
    out.textContent = String(spent);
  };
  form.addEventListener("input", update);
})();

// Forms marked data-reset-on-success clear after htmx posts them successfully, and take a fresh
// one-time key (the server gives each key one result, so a double click records one dot and
// the next dot is a new one). Behaviour lives here, not in hx-on attributes: the page's
// Content-Security-Policy allows no inline or evaluated script.
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
(function () {
  function label(root) {
    root.querySelectorAll("main table:not(.keep-table)").forEach(function (table) {
      var heads = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) { return th.textContent.trim(); });
      table.querySelectorAll("tbody tr").forEach(function (tr) {
        Array.prototype.forEach.call(tr.children, function (cell, i) {
          if (heads[i] && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", heads[i]);
        });
      });
    });
  }
  label(document);
  document.addEventListener("htmx:afterSettle", function () { label(document); });
})();
