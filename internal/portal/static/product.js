// Meshwork portal: product page enhancements. The page works without this
// script; with it, hovering or focusing a product in the lineage graph
// highlights the lines that join it.
"use strict";

(function () {
  const graph = document.getElementById("lineage-graph");
  if (!graph) return;
  const edges = graph.querySelectorAll(".edge");
  const mark = (key, on) => {
    edges.forEach((e) => {
      if (e.dataset.from === key || e.dataset.to === key) e.classList.toggle("hl", on);
    });
  };
  graph.querySelectorAll(".node").forEach((n) => {
    const key = n.dataset.key;
    if (!key) return;
    for (const [ev, on] of [["mouseenter", true], ["mouseleave", false], ["focus", true], ["blur", false]]) {
      n.addEventListener(ev, () => { n.classList.toggle("hl", on); mark(key, on); });
    }
  });
})();
