// Workbench-wide keyboard shortcuts. Pages opt in with data attributes; nothing fires while typing in a field.
(() => {
  let jump = null; // digits typed after "g"
  const typing = (e) => {
    const t = e.target;
    return t instanceof HTMLElement && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));
  };
  const go = (href) => { if (href) { if (window.Blazor?.navigateTo) window.Blazor.navigateTo(href); else location.href = href; } };
  const nav = () => document.querySelector("[data-nav-next], [data-nav-prev], [data-nav-jump]");
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e)) return;
    if (jump !== null) {
      if (/^[0-9]$/.test(e.key)) { jump += e.key; e.preventDefault(); return; }
      if (e.key === "Enter" && jump.length > 0) {
        const n = nav();
        if (n?.dataset.navJump) go(n.dataset.navJump + jump + (n.dataset.navQuery || ""));
      }
      jump = null;
      return;
    }
    switch (e.key) {
      case "j": go(nav()?.dataset.navNext); break;
      case "k": go(nav()?.dataset.navPrev); break;
      case "g": jump = ""; break;
      case "/": {
        const search = document.querySelector("#feature-search, [data-search] input, input[type=search]");
        if (search) { e.preventDefault(); search.focus(); }
        break;
      }
      case "?": document.getElementById("keyboard-help")?.showModal(); break;
      default: return;
    }
  });
})();
