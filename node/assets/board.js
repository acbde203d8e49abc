// A little help on top of pages that work without it: a form is sent once, however often its button is clicked.
"use strict";
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset.sent === "yes") {
    event.preventDefault();
    return;
  }
  form.dataset.sent = "yes";
});
document.addEventListener("DOMContentLoaded", () => {
  const alert = document.getElementById("foutmelding");
  if (alert) alert.focus();
});
