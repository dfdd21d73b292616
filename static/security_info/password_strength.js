// Strength feedback while a new password is typed: [data-password-strength] names its input
// (data-input) and the portal's endpoint (data-url). Each pause in typing (300 ms) asks the
// server, which scores the password with zxcvbn and lists the rules it breaks; the answer
// fills the meter and the polite live region. Nothing goes anywhere but this site. Without
// this file the region stays hidden and the server checks everything on submit.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const region = document.querySelector("[data-password-strength]");
  if (!region || !window.fetch) return;
  const input = document.getElementById(region.dataset.input);
  const form = input && input.form;
  const token = form && form.querySelector("input[name=csrfmiddlewaretoken]");
  if (!token) return;
  const meter = region.querySelector("meter");
  const label = region.querySelector("[data-strength-label]");
  const warning = region.querySelector("[data-strength-warning]");
  const problems = region.querySelector("[data-strength-problems]");
  const suggestions = region.querySelector("[data-strength-suggestions]");
  region.hidden = false;

  const fill = (list, items) => {
    list.replaceChildren(
      ...items.map((text) => {
        const item = document.createElement("li");
        item.textContent = text;
        return item;
      }),
    );
  };
  const show = (result) => {
    meter.value = result.score;
    label.textContent = result.label;
    warning.textContent = result.warning;
    fill(problems, result.problems);
    fill(suggestions, result.suggestions);
  };
  const clear = () => show({ score: 0, label: "", warning: "", problems: [], suggestions: [] });

  let timer = null;
  let controller = null;
  const check = async () => {
    if (controller) controller.abort(); // only the newest answer counts
    if (!input.value) {
      clear();
      return;
    }
    controller = new AbortController();
    try {
      const response = await fetch(region.dataset.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token.value },
        body: JSON.stringify({ password: input.value }),
        signal: controller.signal,
      });
      if (response.ok) show(await response.json());
    } catch {
      // Aborted by newer typing, or offline: the server checks again on submit.
    }
  };
  input.addEventListener("input", () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 300);
  });
});
