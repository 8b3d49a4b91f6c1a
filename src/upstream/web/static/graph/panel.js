// The side panel for one asset: selecting a node opens it with what is known at once (key,
// status, actions), then the details from GET /api/assets/<key>.

import { G, STATUS, statusAt, statusCode } from "./model.js";
import { requestDraw } from "./draw.js";
import { centerOn, keepClearOfPanel } from "./view.js";
import { updateUrl } from "./url.js";
import { panel, stage, state } from "./state.js";

const MAX_LINKS = 60;  // neighbour chips in the panel before "and N more"
const { api, esc } = upstream;
let panelToken = 0;    // ignores panel responses for a node no longer selected

export function select(i, center) {
  const changed = i !== state.selected;
  state.selected = i;
  if (panel.hidden) { panel.hidden = false; stage.classList.add("panel-open"); }
  if (center) centerOn(i);
  else keepClearOfPanel(i);
  requestDraw();
  if (changed) loadPanel(i, true);
  updateUrl();
}

export function deselect(force) {
  if (state.selected < 0 && !force) return;
  state.selected = -1;
  panelToken++;
  panel.hidden = true;
  stage.classList.remove("panel-open");
  requestDraw();
  updateUrl();
}

// Renders what is known at once (key, status, actions), then the details when they come.
export async function loadPanel(i, fresh) {
  const token = ++panelToken;
  if (fresh) renderPanel(i, null);
  try {
    const detail = await api("/api" + upstream.assetHref(G.keys[i]));
    if (token === panelToken) renderPanel(i, detail);
  } catch (error) {
    if (token === panelToken) renderPanel(i, null, error.message);
  }
}

function statusSentence(i, detail) {
  const last = detail && detail.last_materialization;
  const at = last ? last.timestamp : (Number.isNaN(statusAt[i]) ? null : statusAt[i]);
  const code = statusCode[i];
  if (code === 0) return "Never materialized";
  if (code === 3) return at != null ? `Running · last materialized ${upstream.fmtTime(at)}` : "Running";
  if (code === 2) return at != null ? `Failed · last materialized ${upstream.fmtTime(at)}` : "Failed";
  return `Materialized ${upstream.fmtTime(at)}`;
}

function assetChips(keys) {
  if (!keys.length) return '<p class="muted">none</p>';
  const chips = keys.slice(0, MAX_LINKS).map((key) => {
    const j = G.index.get(key);
    if (j === undefined) return `<li><span class="external" title="not in this graph">${esc(key)}</span></li>`;
    return `<li><button type="button" data-key="${esc(key)}" title="${esc(key)}">` +
      `<i class="dot status-${STATUS[statusCode[j]]}"></i><span>${esc(key)}</span></button></li>`;
  });
  if (keys.length > MAX_LINKS) chips.push(`<li class="more">and ${(keys.length - MAX_LINKS).toLocaleString()} more</li>`);
  return `<ul class="assets">${chips.join("")}</ul>`;
}

function renderPanel(i, detail, error) {
  const key = G.keys[i];
  const ups = detail ? detail.upstreams : G.parents[i].map((j) => G.keys[j]);
  const downs = detail ? detail.downstreams : G.children[i].map((j) => G.keys[j]);
  const last = detail && detail.last_materialization;
  const runId = detail && (detail.last_run_id || (last && last.run_id));
  let body;
  if (error) body = `<p class="flash flash-error">${esc(error)}</p>`;
  else if (!detail) body = '<p class="loading">Loading…</p>';
  else {
    const kinds = (detail.kinds || []).map((k) => `<span class="chip kind">${esc(k)}</span>`).join(" ");
    body = (detail.description ? `<p class="description">${esc(detail.description)}</p>` : "") +
      (kinds ? `<p class="kinds">${kinds}</p>` : "") +
      "<h3>Latest materialization</h3>" +
      (last
        ? `<p class="muted">${esc(upstream.fmtTime(last.timestamp))} · ${esc(upstream.fmtDuration(last.duration))}` +
          ` · run <a href="${upstream.runHref(last.run_id)}">${esc(upstream.shortId(last.run_id))}</a></p>` +
          upstream.renderMetadata(last.metadata)
        : '<p class="muted">never materialized</p>');
  }
  panel.innerHTML = `
    <header><h2>${esc(key)}</h2>
      <button type="button" class="close" aria-label="Close the panel" title="Close (Esc)">&times;</button></header>
    <p class="sub">${esc(G.groups[i])} · ${esc(G.locations[i])}</p>
    <div class="status-line">${upstream.badge(STATUS[statusCode[i]])}
      <span class="muted">${esc(statusSentence(i, detail))}</span>
      ${runId ? `<a href="${upstream.runHref(runId)}">latest run</a>` : ""}</div>
    <div class="actions">
      <button type="button" id="materialize" class="primary">Materialize</button>
      <button type="button" id="materialize-upstream">Materialize with upstream</button>
      <button type="button" id="materialize-downstream">Materialize with downstream</button>
    </div>
    <a class="open-page" href="${upstream.assetHref(key)}">Open asset page →</a>
    ${body}
    <h3>Upstream (${ups.length.toLocaleString()})</h3>${assetChips(ups)}
    <h3>Downstream (${downs.length.toLocaleString()})</h3>${assetChips(downs)}`;
}

panel.addEventListener("click", (event) => {
  const target = event.target.closest("button");
  if (!target || state.selected < 0) return;
  const key = G.keys[state.selected];
  if (target.classList.contains("close")) deselect();
  else if (target.dataset.key) {
    const j = G.index.get(target.dataset.key);
    if (j !== undefined) select(j, true);
  }
  // Selection syntax takes the key as written, "/" and all: "*sales/orders".
  else if (target.id === "materialize") launch(target, key);
  else if (target.id === "materialize-upstream") launch(target, `*${key}`);
  else if (target.id === "materialize-downstream") launch(target, `${key}*`);
});

// Launches a run of `selection`; its button is disabled meanwhile.
export async function launch(button, selection) {
  button.disabled = true;
  try { await upstream.launch(selection); } finally { button.disabled = false; }
}
