// Strength feedback while a new password is typed: [data-password-strength] names its input
// (data-input), the endpoint that judges it for this account (data-url) and, on the change
// page, the current password's input (data-current). Each pause in typing (300 ms) asks the
// server, which scores the password with zxcvbn and runs every rule but the reuse check; the
// answer fills the meter, the verdict and a polite live region. A new password equal to the
// current one typed above is said so at once, without asking the server (it checks again on
// submit). Nothing goes anywhere but this site. Without this file the meter stays hidden and
// the server checks everything on submit.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const region = document.querySelector("[data-password-strength]");
  if (!region || !window.fetch) return;
  const input = document.getElementById(region.dataset.input);
  const current = region.dataset.current ? document.getElementById(region.dataset.current) : null;
  const refusesCurrent = region.hasAttribute("data-refuses-current");
  const form = input && input.form;
  const token = form && form.querySelector("input[name=csrfmiddlewaretoken]");
  if (!token) return;
  const part = (name) => region.querySelector(`[data-strength-${name}]`);
  const [summary, label, empty, verdict, same, problems, warning, suggestions, onSubmit, announce] =
    ["summary", "label", "empty", "verdict", "same", "problems", "warning", "suggestions",
      "on-submit", "announce"].map(part);
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
  const say = (text) => {
    // Only a change is announced, so a pause without new typing stays quiet.
    if (announce.textContent !== text) announce.textContent = text;
  };
  const show = (result) => {
    const isSame = Boolean(current && current.value && current.value === input.value);
    const refused = isSame && refusesCurrent;
    region.dataset.score = refused ? "" : String(result.score);
    region.dataset.verdict = refused || !result.meets_policy ? "fails" : "meets";
    region.dataset.same = refused ? "refused" : isSame ? "noted" : "";
    summary.hidden = refused;
    empty.hidden = true;
    label.textContent = result.label;
    verdict.hidden = refused;
    verdict.textContent = result.verdict;
    same.hidden = !isSame;
    fill(problems, refused ? [] : result.problems);
    warning.textContent = refused ? "" : result.warning;
    fill(suggestions, refused ? [] : result.suggestions);
    onSubmit.textContent = refused ? "" : result.on_submit;
    say(refused ? same.textContent : [`${summary.textContent.trim()}`, result.verdict,
      isSame ? same.textContent : ""].join(" ").trim());
  };
  const clear = () => {
    delete region.dataset.score;
    delete region.dataset.verdict;
    delete region.dataset.same;
    summary.hidden = true;
    empty.hidden = false;
    verdict.hidden = true;
    same.hidden = true;
    label.textContent = "";
    warning.textContent = "";
    onSubmit.textContent = "";
    fill(problems, []);
    fill(suggestions, []);
    say("");
  };

  let timer = null;
  let controller = null;
  let last = null; // the newest answer, and the password it is for
  const check = async () => {
    if (controller) controller.abort(); // only the newest answer counts
    const password = input.value;
    if (!password) {
      clear();
      return;
    }
    if (current && current.value === password && refusesCurrent) {
      show({ score: 0, label: "", verdict: "", meets_policy: false, problems: [], suggestions: [],
        warning: "", on_submit: "" });
      return;
    }
    if (last && last.password === password) {
      show(last.result);
      return;
    }
    controller = new AbortController();
    try {
      const response = await fetch(region.dataset.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token.value },
        body: JSON.stringify({ password }),
        signal: controller.signal,
      });
      if (response.ok) {
        last = { password, result: await response.json() };
        show(last.result);
      }
    } catch {
      // Aborted by newer typing, or offline: the server checks again on submit.
    }
  };
  const soon = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 300);
  };
  clear();
  input.addEventListener("input", soon);
  if (current) current.addEventListener("input", () => input.value && soon());
  if (input.value) check();
});
