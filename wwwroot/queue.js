// Keys of the labelling queue view: 1–7 pick a tag and put the cursor in the label, Ctrl+Enter
// submits and loads the next latent, s skips (with a reason), Esc leaves a field, Enter starts (claims the latent shown).
// Active only on a [data-queue-view] page.
const typing = (t) => t instanceof HTMLElement && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));

document.addEventListener("keydown", (e) => {
  const view = document.querySelector("[data-queue-view]");
  if (!view) return;
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    // Leave the field first, so that the number keys pick a tag as soon as the next latent is shown.
    if (typing(document.activeElement)) document.activeElement.blur();
    view.querySelector("[data-testid=queue-submit]")?.click();
    return;
  }
  if (typing(e.target)) {
    if (e.key === "Escape") e.target.blur();
    return;
  }
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === "Enter" && !(e.target instanceof HTMLButtonElement || e.target instanceof HTMLAnchorElement)) {
    const start = view.querySelector("[data-testid=queue-start]");
    if (start) { e.preventDefault(); start.click(); }
    return;
  }
  if (/^[1-7]$/.test(e.key)) {
    const tag = view.querySelector(`[data-tag-key="${e.key}"]`);
    if (!tag) return;
    e.preventDefault();
    tag.click();
    view.querySelector("[data-testid=queue-label]")?.focus();
  } else if (e.key === "s") {
    e.preventDefault();
    view.querySelector("[data-testid=queue-skip]")?.click();
  }
});

/** After the next latent loads: nothing focused, so the number keys pick a tag again. */
export function leaveFields() {
  if (typing(document.activeElement)) document.activeElement.blur();
}
