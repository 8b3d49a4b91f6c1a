// Input on the stage: hover, click to select, drag to pan, wheel and buttons to zoom, and
// the page's keyboard shortcuts.

import { G, nodeAt } from "./model.js";
import { requestDraw } from "./draw.js";
import { fitAll, resize, viewWidth, zoomAt } from "./view.js";
import { deselect, select } from "./panel.js";
import { fitFilter } from "./filter.js";
import { $, canvas, searchInput, stage, state, view } from "./state.js";

// The node under a point of the canvas (CSS pixels), or -1.
const hit = (sx, sy) => nodeAt((sx - view.tx) / view.k, (sy - view.ty) / view.k);

function local(event) {
  const rect = canvas.getBoundingClientRect();
  return [event.clientX - rect.left, event.clientY - rect.top];
}

let drag = null;
canvas.addEventListener("pointerdown", (event) => {
  if (event.button !== 0) return;
  drag = { x: event.clientX, y: event.clientY, tx: view.tx, ty: view.ty, moved: false };
  canvas.setPointerCapture(event.pointerId);
});
canvas.addEventListener("pointermove", (event) => {
  if (drag) {
    const dx = event.clientX - drag.x, dy = event.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) > 4) {
      drag.moved = true;
      canvas.classList.add("dragging");
    }
    if (drag.moved) {
      view.tx = drag.tx + dx;
      view.ty = drag.ty + dy;
      requestDraw();
    }
    return;
  }
  const i = hit(...local(event));
  if (i !== state.hovered) {
    state.hovered = i;
    canvas.classList.toggle("over-node", i >= 0);
    canvas.title = i >= 0 ? G.keys[i] : "";
    requestDraw();
  }
});
canvas.addEventListener("pointerup", (event) => {
  if (!drag) return;
  const wasClick = !drag.moved;
  drag = null;
  canvas.classList.remove("dragging");
  if (!wasClick) return;
  const i = hit(...local(event));
  if (i >= 0) select(i, false);
  else deselect();
});
canvas.addEventListener("pointercancel", () => { drag = null; canvas.classList.remove("dragging"); });
canvas.addEventListener("pointerleave", () => {
  if (state.hovered >= 0 && !drag) { state.hovered = -1; requestDraw(); }
});
canvas.addEventListener("dblclick", (event) => {
  const [sx, sy] = local(event);
  const i = hit(sx, sy);
  if (i >= 0) window.location.href = upstream.assetHref(G.keys[i]);
  else zoomAt(sx, sy, 2);
});
canvas.addEventListener("wheel", (event) => {
  event.preventDefault();
  const unit = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? view.H : 1;
  // Pinch gestures arrive as ctrl+wheel with small deltas: scale them up.
  const speed = event.ctrlKey ? 0.01 : 0.0015;
  zoomAt(...local(event), Math.exp(-event.deltaY * unit * speed));
}, { passive: false });

new ResizeObserver(resize).observe(stage);
window.addEventListener("resize", resize);  // also catches a devicePixelRatio change

// Fit shows the applied selection if there is one, else everything.
const fit = () => { if (state.filter && state.filterCount) fitFilter(); else fitAll(); };
$("fit").addEventListener("click", fit);
$("zoom-in").addEventListener("click", () => zoomAt(viewWidth() / 2, view.H / 2, 1.5));
$("zoom-out").addEventListener("click", () => zoomAt(viewWidth() / 2, view.H / 2, 1 / 1.5));

document.addEventListener("keydown", (event) => {
  const typing = event.target.closest && event.target.closest("input, textarea, select");
  if (typing || event.metaKey || event.ctrlKey || event.altKey) return;
  if (event.key === "/") { event.preventDefault(); searchInput.focus(); }
  else if (event.key === "f") fit();
  else if (event.key === "+" || event.key === "=") zoomAt(viewWidth() / 2, view.H / 2, 1.5);
  else if (event.key === "-") zoomAt(viewWidth() / 2, view.H / 2, 1 / 1.5);
  else if (event.key === "Escape") deselect();
});
