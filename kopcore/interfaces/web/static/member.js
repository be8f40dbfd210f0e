// kopcore member app: installable (service worker for the offline shell) and a money form is
// sent once even when the button is pressed twice (the server posts once anyway: the form
// carries an idempotency key).
"use strict";
if ("serviceWorker" in navigator) {
  // The app's path (/anggota/ or /t/<slug>/anggota/) is where its manifest is.
  var manifest = document.querySelector('link[rel="manifest"]');
  var base = manifest ? manifest.getAttribute("href").replace(/manifest\.webmanifest$/, "")
    : "/anggota/";
  navigator.serviceWorker.register(base + "sw.js", { scope: base }).catch(function () {});
}
document.addEventListener("submit", function (event) {
  var button = event.target.querySelector("button[data-once]");
  if (!button) { return; }
  if (button.dataset.sent) { event.preventDefault(); return; }
  button.dataset.sent = "1";
  setTimeout(function () { button.disabled = true; }, 0);
});
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
  if (!button) { return; }
  var text = document.getElementById(button.dataset.copy).textContent.trim();
  if (navigator.clipboard) {
    navigator.clipboard.writeText(text).then(function () { button.textContent = "Tersalin"; });
  }
});
