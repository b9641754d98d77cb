// Workbench-wide keyboard shortcuts. Pages opt in with data attributes; nothing fires while typing in a field.
(() => {
  let jump = null; // digits typed after "g"
  // The layout's KeyboardHelp registers here: "?" asks it to open the shortcuts dialog (a MudDialog).
  let help = null;
  window.workbenchKeys = {
    setHelp: (id, ref) => { help = { id, ref }; },
    clearHelp: (id) => { if (help?.id === id) help = null; },
  };
  // The digits typed after "g", shown at the bottom of the window (KeyboardHelp's #jump-indicator) until Enter or Esc.
  const showJump = () => {
    const line = document.getElementById("jump-indicator");
    if (!line) return;
    line.textContent = jump === null ? "" : `Go to latent #${jump}… (Enter to go, Esc to cancel)`;
    line.classList.toggle("active", jump !== null);
  };
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
      if (/^[0-9]$/.test(e.key)) { jump += e.key; e.preventDefault(); showJump(); return; }
      if (e.key === "Backspace") { jump = jump.slice(0, -1); e.preventDefault(); showJump(); return; }
      if (e.key === "Enter" && jump.length > 0) {
        const n = nav();
        if (n?.dataset.navJump) go(n.dataset.navJump + jump + (n.dataset.navQuery || ""));
      }
      jump = null;
      showJump();
      return;
    }
    switch (e.key) {
      case "j": go(nav()?.dataset.navNext); break;
      case "k": go(nav()?.dataset.navPrev); break;
      case "g": if (!nav()?.dataset.navJump) return; jump = ""; showJump(); break;
      case "/": {
        const search = document.querySelector("#feature-search, [data-search] input, input[type=search]");
        if (search) { e.preventDefault(); search.focus(); }
        break;
      }
      case "?": if (!help) return; help.ref.invokeMethodAsync("ShowAsync"); break;
      case "u": if (!press(focusedInterpretation(), "[data-testid=vote-up]")) return; break;
      case "d": if (!press(focusedInterpretation(), "[data-testid=vote-down]")) return; break;
      case "e": if (!press(focusedInterpretation(), "[data-testid=edit-interpretation]")) return; break;
      default: return;
    }
  });
})();
