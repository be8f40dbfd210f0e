// kopcore staff app: small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-print]");
    if (!target) { return; }
    event.preventDefault();
    // A report shown in the page prints alone, as the document it is.
    var frame = document.querySelector("iframe.document");
    if (frame && target.closest(".result")) { frame.contentWindow.print(); } else { window.print(); }
  });
  // A form is sent once: its buttons are disabled after the first submit (the server also
  // posts once per idempotency key, so this only spares the person a second wait).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    }, 0);
  });
  // Escape on a confirmation goes back without posting (the page's Cancel link).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var cancel = document.querySelector("[data-cancel]");
    if (cancel) { event.preventDefault(); window.location.href = cancel.href; }
  });
  // Down on the member search moves to the first result when there is one.
  document.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" && event.target.id === "q") {
      var first = document.querySelector("[data-first]");
      if (first) { event.preventDefault(); first.focus(); }
    }
  });
  // On a phone the menu starts folded, so the page's own content comes first.
  if (window.matchMedia("(max-width: 800px)").matches) {
    document.querySelectorAll("details.menu").forEach(function (d) { d.open = false; });
  }
  // A page shown again from the browser's history after logging out is reloaded, so the
  // server answers (with the login page) instead of the browser's copy.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { window.location.reload(); }
  });
})();
