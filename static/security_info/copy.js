// Copy buttons: <button data-copy="ID" hidden> copies the text of the element with that id and
// says so in the live region [data-copy-status="ID"]. Without this file (or without the
// Clipboard API) the button stays hidden and the text can be selected and copied by hand.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  if (!navigator.clipboard || !window.isSecureContext) return;
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const source = document.getElementById(button.dataset.copy);
    const status = document.querySelector(`[data-copy-status="${button.dataset.copy}"]`);
    if (!source) continue;
    button.hidden = false;
    const announce = (text) => {
      if (!status) return;
      // Empty the region first so a second click is announced again.
      status.textContent = "";
      window.setTimeout(() => { status.textContent = text; }, 100);
    };
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
        announce(button.dataset.copied);
      } catch {
        announce(button.dataset.copyFailed);
      }
    });
  }
});
