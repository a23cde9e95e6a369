// Meshwork portal: access pages. Progressive enhancement only: the forms
// work without this script, and the server checks everything again.
"use strict";

(function () {
  // A textarea with data-count="ID" says in element ID how many characters
  // are left (the server counts characters, not bytes, as here).
  document.querySelectorAll("textarea[data-count]").forEach((ta) => {
    const out = document.getElementById(ta.dataset.count);
    const max = Number(ta.getAttribute("maxlength")) || 0;
    if (!out || !max) return;
    const show = () => {
      const left = max - [...ta.value].length;
      out.textContent = left + " of " + max + " characters left";
      out.classList.toggle("low", left < 100);
    };
    ta.addEventListener("input", show);
    show();
  });

  // A denial needs a reason: say so on the field itself, before the trip
  // to the server, when the browser's own check was skipped.
  document.querySelectorAll("form.deny").forEach((f) =>
    f.addEventListener("submit", (e) => {
      const why = f.querySelector("[name=reason]");
      if (why && !why.value.trim()) {
        e.preventDefault();
        why.setCustomValidity("Say why you deny the request.");
        why.reportValidity();
        why.addEventListener("input", () => why.setCustomValidity(""), { once: true });
      }
    }));
})();
