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
// Status lines marked data-live follow what happens in another region: read again every five seconds while the
// page is open. Without script the page shows the status as it was when it was loaded.
document.addEventListener("DOMContentLoaded", () => {
  const lines = document.querySelectorAll("[data-live]");
  if (lines.length === 0) return;
  setInterval(() => {
    lines.forEach((line) => {
      fetch(line.dataset.live, { credentials: "same-origin", cache: "no-store" })
        .then((answer) => (answer.ok ? answer.text() : null))
        .then((text) => {
          if (text !== null && text !== line.textContent) line.textContent = text;
        })
        .catch(() => {});
    });
  }, 5000);
});
// A part marked data-live-html (the dashboard's network) is drawn again from its address every five seconds while
// the page is open; reading it does not keep the session from ending when nobody uses the page. Without script
// the page shows the network as it was when it was loaded.
document.addEventListener("DOMContentLoaded", () => {
  const parts = document.querySelectorAll("[data-live-html]");
  if (parts.length === 0) return;
  setInterval(() => {
    parts.forEach((part) => {
      fetch(part.dataset.liveHtml, { credentials: "same-origin", cache: "no-store" })
        .then((answer) => {
          // The session ended (idle too long, or signed out elsewhere): show the sign-in page.
          if (answer.redirected) {
            window.location.assign(answer.url);
            return null;
          }
          return answer.ok ? answer.text() : null;
        })
        .then((html) => {
          if (html !== null) part.innerHTML = html;
        })
        .catch(() => {});
    });
  }, 5000);
});
