// Loading: the graph (GET /api/graph) with its statuses (GET /api/status), then the
// statuses polled; new definitions are rebuilt in place.

import { G, STATUS_CODE, build, graphIsStale, statusAt, statusCode } from "./model.js";
import { draw, requestDraw } from "./draw.js";
import { fitAll, resize } from "./view.js";
import { deselect, loadPanel, select } from "./panel.js";
import { reapplySelection, restoreSelection, updateCount } from "./filter.js";
import { readUrl } from "./url.js";
import { $, state } from "./state.js";

const POLL_MS = 1500;
const { api } = upstream;

function applyStatus(body) {
  const assets = body.assets || {};
  let changed = false;
  let selectedChanged = false;
  for (let i = 0; i < G.n; i++) {
    const s = assets[G.keys[i]];
    const code = (s && STATUS_CODE[s.status]) || 0;
    const at = s && s.at != null ? s.at : NaN;
    const same = statusCode[i] === code && Object.is(statusAt[i], at);
    if (!same) {
      changed = true;
      if (i === state.selected) selectedChanged = true;
      statusCode[i] = code;
      statusAt[i] = at;
    }
  }
  if (state.activeRuns !== body.active_runs) { state.activeRuns = body.active_runs || 0; updateCount(); }
  if (changed) requestDraw();
  if (selectedChanged) loadPanel(state.selected, false);
}

export async function init() {
  let graph;
  let status = null;
  try {
    [graph, status] = await Promise.all([
      api("/api/graph"),
      api("/api/status").catch(() => null),  // statuses can follow with the next poll
    ]);
  } catch (error) {
    upstream.flash(`could not load the asset graph: ${error.message}`);
    document.body.dataset.graphReady = "error";
    return;
  }
  build(graph);
  state.loaded = true;
  if (status) applyStatus(status);
  resize();
  fitAll();
  updateCount();
  if (!G.n) {
    const empty = $("graph-empty");
    empty.textContent = "No assets yet. Define some with @asset, then reload the definitions.";
    empty.hidden = false;
  }
  await restoreFromUrl();
  draw();  // paint now rather than on the next frame: this is the user's first view
  setTimeout(() => upstream.poll(refresh, POLL_MS), POLL_MS);
}

async function refresh() {
  const body = await api("/api/status");
  if (graphIsStale(body)) await reloadGraph();
  applyStatus(body);
}

// New definitions: rebuild in place, keeping the view, the selected asset (if it still
// exists) and the applied selection.
async function reloadGraph() {
  const graph = await api("/api/graph");
  const selectedKey = state.selected >= 0 ? G.keys[state.selected] : null;
  build(graph);
  state.selected = -1;
  state.hovered = -1;
  state.filter = null;
  updateCount();
  $("graph-empty").hidden = G.n > 0;
  await reapplySelection();
  const i = selectedKey === null ? undefined : G.index.get(selectedKey);
  if (i !== undefined) select(i, false);
  else deselect(true);
  requestDraw();
}

// The first view shows what a shared URL asks for.
async function restoreFromUrl() {
  const { selection, asset } = readUrl();
  if (selection) await restoreSelection(selection);
  const i = G.index.get(asset || "");
  if (i !== undefined) select(i, true);
}
