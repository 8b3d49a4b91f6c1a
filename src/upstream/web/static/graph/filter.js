// The selection filter: the assets a selection (GET /api/selection) matches stay bright,
// the rest fade; "Materialize selected" launches it. Also the asset count in the toolbar.

import { G } from "./model.js";
import { requestDraw } from "./draw.js";
import { fitBox } from "./view.js";
import { launch } from "./panel.js";
import { updateUrl } from "./url.js";
import { $, selectionInput, state } from "./state.js";

const applyButton = $("apply-selection");
const clearButton = $("clear-selection");
const materializeSelected = $("materialize-selected");
const { api } = upstream;

async function applySelection(text, fit = true) {
  const q = text.trim();
  if (!q) { clearSelection(); return false; }
  let keys;
  try {
    ({ keys } = await api("/api/selection?q=" + encodeURIComponent(q)));
  } catch (error) {
    upstream.flash(error.message);
    return false;
  }
  upstream.flash("");
  const filter = new Uint8Array(G.n);
  state.filter = filter;
  state.filterCount = 0;
  for (const key of keys) {
    const i = G.index.get(key);
    if (i !== undefined && !filter[i]) { filter[i] = 1; state.filterCount++; }
  }
  state.applied = q;
  selectionInput.classList.add("applied");
  clearButton.hidden = false;
  if (state.filterCount && fit) fitFilter();
  updateCount();
  updateUrl();
  requestDraw();
  return true;
}

// A selection from a shared URL: typed into the box and applied.
export async function restoreSelection(text) {
  selectionInput.value = text;
  materializeSelected.disabled = false;
  await applySelection(text);
}

// After new definitions: the same selection again, or none if it names something gone.
export async function reapplySelection() {
  if (state.applied && !(await applySelection(state.applied, false))) {
    state.applied = "";  // the selection names something that is gone: show everything
    selectionInput.classList.remove("applied");
    clearButton.hidden = true;
  }
}

export function fitFilter() {
  const { filter } = state;
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < G.n; i++) {
    if (!filter[i]) continue;
    x0 = Math.min(x0, G.x[i]); y0 = Math.min(y0, G.y[i]);
    x1 = Math.max(x1, G.x[i] + G.w[i]); y1 = Math.max(y1, G.y[i] + G.h[i]);
  }
  fitBox(x0, y0, x1, y1, 1);
}

function clearSelection() {
  state.filter = null;
  state.filterCount = 0;
  state.applied = "";
  selectionInput.value = "";
  selectionInput.classList.remove("applied");
  clearButton.hidden = true;
  materializeSelected.disabled = true;
  upstream.flash("");
  updateCount();
  updateUrl();
  requestDraw();
}

$("selection-form").addEventListener("submit", (event) => {
  event.preventDefault();
  applySelection(selectionInput.value);
});
selectionInput.addEventListener("input", () => {
  materializeSelected.disabled = !selectionInput.value.trim();
  selectionInput.classList.toggle("applied", !!state.applied && selectionInput.value.trim() === state.applied);
});
selectionInput.addEventListener("keydown", (event) => {
  if (event.key === "Escape") { clearSelection(); selectionInput.blur(); }
});
clearButton.addEventListener("click", clearSelection);
// Launches exactly what the box says; applied first if edited, so a typo is caught here.
materializeSelected.addEventListener("click", async () => {
  const q = selectionInput.value.trim();
  if (!q) return;
  if (q !== state.applied && !(await applySelection(q))) return;
  await launch(materializeSelected, q);
});
applyButton.title = "Show only the assets the selection matches (Enter)";

export function updateCount() {
  const { filter, filterCount, activeRuns } = state;
  const total = `${G.n.toLocaleString()} asset${G.n === 1 ? "" : "s"}`;
  let text = filter ? `<b>${filterCount.toLocaleString()}</b> of ${total} selected` : `<b>${total}</b>`;
  if (activeRuns) text += ` · ${activeRuns} active run${activeRuns === 1 ? "" : "s"}`;
  $("graph-count").innerHTML = text;
}
