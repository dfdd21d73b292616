// Progressive enhancement for the portal layout. Every page works without this file.
"use strict";

document.documentElement.classList.add("js");

document.addEventListener("DOMContentLoaded", () => {
  // The navigation collapses behind a menu button on narrow screens.
  const toggle = document.querySelector("[data-nav-toggle]");
  const nav = toggle && document.getElementById(toggle.getAttribute("aria-controls"));
  if (toggle && nav) {
    toggle.hidden = false;
    toggle.addEventListener("click", () => {
      const open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", String(open));
      nav.classList.toggle("side-nav--open", open);
    });
  }

  // Close the user menu with Escape or a click elsewhere, as people expect of a menu.
  const menu = document.querySelector(".user-menu");
  if (menu) {
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && menu.open) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
    document.addEventListener("click", (event) => {
      if (menu.open && !menu.contains(event.target)) menu.open = false;
    });
  }
});

// Ask `url` for a JSON state until `settled(state)` says it is done, waiting `wait` ms more
// by `growth` each time up to `longest`, for at most 15 minutes; a network blip is retried.
const follow = (url, { wait, growth, longest }, settled) => {
  const started = Date.now();
  const check = async () => {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (response.ok && settled(await response.json())) return;
    } catch (error) {
      // The network blipped: try again below.
    }
    wait = Math.min(wait * growth, longest);
    if (Date.now() - started < 15 * 60 * 1000) window.setTimeout(check, wait);
  };
  return check;
};

// A code still being sent: follow its delivery and show the page again once it is sent or has
// failed, so the page says what happened. Without this file, "Check again" does the same.
document.addEventListener("DOMContentLoaded", () => {
  const status = document.querySelector("[data-send-status]");
  if (!status) return;
  const url = status.getAttribute("data-send-status");
  const check = follow(url, { wait: 1500, growth: 1.5, longest: 10000 }, (delivery) => {
    if (!delivery.finished) return false;
    const typed = document.querySelector("input[name=code]");
    if (!typed || !typed.value) window.location.reload();
    return true;
  });
  window.setTimeout(check, 1500);
});

// A call that asks to press #: follow it. Once approved, continue by sending the page's form,
// as the person would with "Continue"; once it ended otherwise, show the page again to say so.
document.addEventListener("DOMContentLoaded", () => {
  const status = document.querySelector("[data-call-status]");
  if (!status) return;
  const url = status.getAttribute("data-call-status");
  const form = document.querySelector("[data-call-continue]");
  const check = follow(url, { wait: 1000, growth: 1.3, longest: 5000 }, (call) => {
    if (call.state === "approved" && form) {
      form.submit();
      return true;
    }
    if (call.finished) window.location.reload();
    return call.finished;
  });
  window.setTimeout(check, form ? 500 : 1000);
});
