// Meshwork portal: progressive enhancement only. Every page works without
// this script; with it, the search box shows results as one types.
"use strict";

(function () {
  const csrf = () => document.body.dataset.csrf || "";

  // Instant search: a form with data-instant="#target" re-renders the
  // target from /search?...&fragment=1 as its fields change. Results are
  // server-rendered HTML (escaped by the server's templates).
  document.querySelectorAll("form[data-instant]").forEach((form) => {
    const target = document.querySelector(form.dataset.instant);
    if (!target) return;
    let timer = 0, ctrl = null;
    const run = () => {
      const params = new URLSearchParams(new FormData(form));
      for (const [k, v] of [...params]) if (!v) params.delete(k);
      if (![...params.keys()].length) { target.replaceChildren(); return; }
      params.set("fragment", "1");
      if (ctrl) ctrl.abort();
      ctrl = new AbortController();
      fetch("/search?" + params, { headers: { "X-Requested-With": "fetch" }, signal: ctrl.signal })
        .then((r) => {
          if (r.status === 401) { location.href = "/signin?expired=1"; return null; }
          return r.text();
        })
        .then((html) => {
          if (html === null) return;
          target.innerHTML = html; // server-rendered, escaped HTML of this origin
          params.delete("fragment");
          history.replaceState(null, "", form.action.endsWith("/search") && location.pathname === "/search" ? "/search?" + params : location.href);
        })
        .catch((e) => { if (e.name !== "AbortError") target.textContent = "Search failed: " + e.message; });
    };
    form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(run, 150); });
    form.addEventListener("change", () => { clearTimeout(timer); timer = setTimeout(run, 0); });
  });

  // Forms marked data-confirm ask first.
  document.querySelectorAll("form[data-confirm]").forEach((f) =>
    f.addEventListener("submit", (e) => { if (!confirm(f.dataset.confirm)) e.preventDefault(); }));

  window.mesh = { csrf };
})();
