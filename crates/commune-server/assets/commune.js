// Keyboard shortcuts: "g" then a letter goes somewhere; "?" shows the list; "/" focuses the
// first field. Nothing here is needed to use Commune: every page works without JavaScript.
(function () {
  const targets = { h: "/", o: "/orgs", m: "/members", a: "/api", p: "/settings/profile" };
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
