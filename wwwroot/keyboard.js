// Workbench-wide keyboard shortcuts. Pages opt in with data attributes; nothing fires while typing in a field.
(() => {
  let jump = null; // digits typed after "g"
  const typing = (e) => {
    const t = e.target;
    return t instanceof HTMLElement && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));
  };
  const go = (href) => { if (href) { if (window.Blazor?.navigateTo) window.Blazor.navigateTo(href); else location.href = href; } };
  const nav = () => document.querySelector("[data-nav-next], [data-nav-prev], [data-nav-jump]");
  // Labelling panel: the interpretation that has the focus, else the one focused last (if still on the page).
  let lastInterpretation = null;
  document.addEventListener("focusin", (e) => {
    const item = e.target instanceof Element ? e.target.closest("[data-testid=interpretation]") : null;
    if (item) lastInterpretation = item.dataset.id;
  });
  const focusedInterpretation = () => {
    const active = document.activeElement instanceof Element ? document.activeElement.closest("[data-testid=interpretation]") : null;
    return active ?? (lastInterpretation ? document.querySelector(`[data-testid=interpretation][data-id="${CSS.escape(lastInterpretation)}"]`) : null);
  };
  const press = (item, selector) => {
    const button = item?.querySelector(selector);
    if (!button || button.disabled) return false;
    button.click();
    return true;
  };
  // Feature page examples: the button beside a context shows or hides the tokens outside the window around the peak.
  // Delegated, so it works on prerendered markup before the interactive circuit starts and survives re-renders.
  document.addEventListener("click", (e) => {
    const toggle = e.target instanceof Element ? e.target.closest(".ctx-toggle") : null;
    const example = toggle?.closest(".example");
    if (!example) return;
    const expanded = example.classList.toggle("expanded");
    toggle.setAttribute("aria-expanded", String(expanded));
    const label = expanded ? "Show less context" : "Show the whole context";
    toggle.setAttribute("aria-label", label);
    toggle.title = label;
  });
  // Ctrl+Enter (Cmd+Enter) saves the form being typed in: the new interpretation, the editor, a comment.
  document.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" || !(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey) return;
    const scope = e.target instanceof Element ? e.target.closest("[data-save-scope]") : null;
    const save = scope ? [...scope.querySelectorAll("[data-save]")].pop() : null;
    if (save && !save.disabled) { e.preventDefault(); save.click(); }
  });
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
      case "u": if (!press(focusedInterpretation(), "[data-testid=vote-up]")) return; break;
      case "d": if (!press(focusedInterpretation(), "[data-testid=vote-down]")) return; break;
      case "e": if (!press(focusedInterpretation(), "[data-testid=edit-interpretation]")) return; break;
      default: return;
    }
  });
})();
