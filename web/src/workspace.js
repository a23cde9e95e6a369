// Meshwork portal: the SQL workspace's script. Built into
// internal/portal/static/workspace.js by scripts/build-assets.sh.
//
// Progressive enhancement of templates/sql.html, which works without it:
// the textarea becomes a CodeMirror editor completing domain.product.table
// names and columns, queries run through POST /sql/run (cancellable), and
// the results grid, history and pager are updated in place.
//
// Data from queries and the schema is only ever put in the page with
// textContent, never as HTML.
//
// The portal's CSP allows no inline styles (style-src 'self'). CodeMirror
// injects its styles through style-mod, which writes a <style> element
// into a document (blocked) but uses a constructed stylesheet
// (adoptedStyleSheets, which CSP does not govern) in a shadow root. So the
// editor lives in a shadow root of its own.

import { EditorView, basicSetup } from "codemirror";
import { keymap } from "@codemirror/view";
import { Prec } from "@codemirror/state";
import { sql, PostgreSQL } from "@codemirror/lang-sql";

const PAGE = 100;

const form = document.getElementById("sql-form");
const textarea = document.getElementById("sql");

function start() {
  const csrf = document.body.dataset.csrf || "";
  const runBtn = document.getElementById("sql-run");
  const cancelBtn = document.getElementById("sql-cancel");
  const status = document.getElementById("sql-status");
  const errorBox = document.getElementById("sql-error");
  const results = document.getElementById("sql-results");
  const historyList = document.getElementById("sql-history");
  const schema = readJSON("schema");

  // The editor, in its own shadow root (see above).
  const host = document.createElement("div");
  host.className = "ws-editor";
  const shadow = host.attachShadow({ mode: "open" });
  const mount = document.createElement("div");
  shadow.appendChild(mount);
  const view = new EditorView({
    doc: textarea.value,
    root: shadow,
    parent: mount,
    extensions: [
      Prec.highest(keymap.of([{ key: "Mod-Enter", run: () => { run(0); return true; } }])),
      basicSetup,
      sql({ dialect: PostgreSQL, schema: namespace(schema), upperCaseKeywords: true }),
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ "aria-label": "SQL query", "aria-multiline": "true" }),
      EditorView.updateListener.of((u) => { if (u.docChanged) textarea.value = u.state.doc.toString(); }),
      theme,
    ],
  });
  textarea.hidden = true; // stays in the form: the export posts it
  textarea.required = false;
  textarea.after(host);
  const label = document.querySelector('label[for="sql"]');
  if (label) label.addEventListener("click", (e) => { e.preventDefault(); view.focus(); });

  const setSQL = (text) => {
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, selection: { anchor: text.length } });
    view.focus();
  };

  let ctrl = null;
  const busy = (on) => {
    cancelBtn.hidden = false;
    cancelBtn.disabled = !on;
    form.setAttribute("aria-busy", on ? "true" : "false");
  };
  busy(false);
  cancelBtn.addEventListener("click", () => { if (ctrl) ctrl.abort(); });

  form.addEventListener("submit", (e) => {
    const by = e.submitter;
    if (by && by.id === "sql-export") return; // a plain form post: the browser downloads
    e.preventDefault();
    run(by && by.name === "offset" ? Number(by.value) || 0 : 0);
  });

  // History entries and the table list load their SQL into the editor.
  document.addEventListener("click", (e) => {
    const a = e.target.closest ? e.target.closest("a[data-sql]") : null;
    if (!a || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey) return;
    e.preventDefault();
    setSQL(a.dataset.sql);
  });

  async function run(offset) {
    const text = view.state.doc.toString();
    if (!text.trim()) { showError({ message: "Write a query first." }); return; }
    if (ctrl) ctrl.abort();
    const mine = (ctrl = new AbortController());
    busy(true);
    status.textContent = "Running…";
    const t0 = performance.now();
    try {
      const res = await fetch("/sql/run", {
        method: "POST",
        signal: mine.signal,
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf, "X-Requested-With": "fetch" },
        body: JSON.stringify({ sql: text, offset, limit: PAGE }),
      });
      const total = performance.now() - t0;
      if (res.status === 401) {
        location.href = "/signin?expired=1&next=" + encodeURIComponent("/sql?q=" + encodeURIComponent(text).slice(0, 1500));
        return;
      }
      let body = null;
      if ((res.headers.get("Content-Type") || "").startsWith("application/json")) body = await res.json();
      if (!body) {
        showError({ message: res.status === 403 ? "This page has expired. Reload it and run the query again." : "The server answered " + res.status + "." });
        status.textContent = "";
        return;
      }
      if (body.history) addHistory(body.history);
      if (body.error) {
        showError(body.error);
        status.textContent = "Failed.";
        return;
      }
      errorBox.replaceChildren();
      render(body.result, total);
    } catch (err) {
      if (err.name === "AbortError") {
        if (ctrl === mine) status.textContent = "Cancelled.";
      } else {
        showError({ message: "The query could not be sent: " + err.message });
        status.textContent = "";
      }
    } finally {
      if (ctrl === mine) { ctrl = null; busy(false); }
    }
  }

  function showError(e) {
    const box = el("div", "flash error");
    box.setAttribute("role", "alert");
    box.append(el("strong", "", e.message || "The query failed."));
    if (e.requestId) box.append(" ", el("span", "muted", "(request " + e.requestId + ")"));
    errorBox.replaceChildren(box);
  }

  function render(r, totalMs) {
    const parts = [];
    if (r.cut) {
      const warn = el("p", "flash warn", "The server's row limit ends this result; export it as CSV to check what is missing.");
      parts.push(warn);
    }
    const wrap = el("div", "ws-grid");
    wrap.tabIndex = 0;
    wrap.setAttribute("role", "region");
    wrap.setAttribute("aria-label", "Result rows");
    const table = el("table", "grid");
    const head = table.createTHead().insertRow();
    for (const c of r.columns) {
      const th = el("th", c.numeric ? "num" : "", c.name);
      th.scope = "col";
      th.append(" ", el("span", "ws-type", c.type));
      if (c.masked) {
        const b = el("span", "badge masked", "masked");
        b.title = "masked (" + c.mask + ") in " + c.maskedIn;
        th.append(" ", b);
      }
      head.append(th);
    }
    const body = table.createTBody();
    for (const row of r.rows) {
      const tr = body.insertRow();
      row.forEach((v, i) => {
        const td = tr.insertCell();
        if (r.columns[i] && r.columns[i].numeric) td.className = "num";
        if (v === null) td.append(el("span", "ws-null", "NULL"));
        else td.textContent = v;
      });
    }
    wrap.append(table);
    parts.push(wrap);

    const nav = el("nav", "pager ws-pager");
    nav.setAttribute("aria-label", "Result pages");
    if (r.offset > 0) nav.append(button("← Previous " + r.limit, () => run(Math.max(0, r.offset - r.limit))));
    if (r.more) nav.append(button("Next " + r.limit + " →", () => run(r.offset + r.limit)));
    parts.push(nav);
    results.replaceChildren(...parts);

    const n = r.rows.length;
    status.textContent = (n ? "Rows " + (r.offset + 1) + "–" + (r.offset + n) : "No rows") + (r.more ? ", more follow" : "") +
      " · " + r.elapsedMs.toFixed(1) + " ms query, " + Math.round(totalMs) + " ms in all";
  }

  function addHistory(h) {
    const empty = historyList.querySelector(".ws-empty");
    if (empty) empty.remove();
    const li = document.createElement("li");
    const a = el("a", "", preview(h.sql));
    a.href = "/sql?h=" + h.id;
    a.dataset.sql = h.sql;
    a.title = h.sql;
    const meta = el("span", "muted ws-meta", "just now · ");
    if (h.ok) meta.append(h.rows + (h.more ? "+" : "") + " rows · " + h.ms.toFixed(1) + " ms");
    else meta.append(el("span", "badge error", "error"));
    li.append(a, " ", meta);
    historyList.prepend(li);
    while (historyList.children.length > 50) historyList.lastElementChild.remove();
  }
}

// namespace turns the page's schema into lang-sql's nested namespace:
// domain → product → table → columns, so "sales." completes products,
// "sales.orders." tables and "sales.orders.orders." columns.
function namespace(schema) {
  const ns = {};
  if (!schema || !schema.tables) return ns;
  const level = (obj, name, type, detail) => {
    if (!obj[name]) obj[name] = { self: { label: name, type, detail }, children: {} };
    return obj[name].children;
  };
  for (const t of schema.tables) {
    // Pinned addresses (domain.product@v2.table) are not plain identifiers;
    // completion offers the unpinned names.
    if (t.address !== t.domain + "." + t.product + "." + t.name) continue;
    const products = level(ns, t.domain, "namespace", "domain");
    const tables = level(products, t.product, "namespace", "data product");
    tables[t.name] = {
      self: { label: t.name, type: "type", detail: "table", info: t.description || undefined },
      children: t.columns.map((c) => ({
        label: c.name,
        type: "property",
        detail: (c.type || "") + (c.masked ? " · masked" : ""),
        info: c.description || undefined,
      })),
    };
  }
  return ns;
}

function readJSON(id) {
  const node = document.getElementById(id);
  if (!node) return null;
  try { return JSON.parse(node.textContent); } catch { return null; }
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function button(text, onClick) {
  const b = el("button", "", text);
  b.type = "button";
  b.addEventListener("click", onClick);
  return b;
}

function preview(s) {
  const one = s.split(/\s+/).filter(Boolean).join(" ");
  return one.length > 90 ? one.slice(0, 89) + "…" : one;
}

const theme = EditorView.theme({
  "&": { border: "1px solid #d8dde3", borderRadius: "6px", background: "#fff", fontSize: "13px" },
  "&.cm-focused": { outline: "3px solid #f0a500", outlineOffset: "2px" },
  ".cm-scroller": { fontFamily: "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace", minHeight: "200px", maxHeight: "50vh" },
  ".cm-content": { minHeight: "200px" },
  ".cm-gutters": { background: "#f6f7f9", borderRight: "1px solid #d8dde3", borderRadius: "6px 0 0 6px" },
  ".cm-tooltip-autocomplete ul li[aria-selected]": { background: "#1f4e79", color: "#fff" },
});

if (form && textarea) start();
