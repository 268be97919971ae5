// Forms that make something official ask first: <form data-confirm="question">. Accepting submits; cancelling
// leaves the page as it was. Loaded with `defer`; no inline script (the CSP forbids them).
"use strict";
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.confirm) return;
  if (!window.confirm(form.dataset.confirm)) event.preventDefault();
});
