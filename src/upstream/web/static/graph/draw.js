// Draws the graph on the <canvas>: group boxes, edges and asset cards, with less detail the
// further out the view is zoomed, and only when something changed (requestDraw).
//
// Why a canvas and not SVG: 10,000 assets must be interactive within 3 s and pan smoothly.
// A DOM node per asset is too slow to create and to move; a canvas frame draws only what is
// in view, with less detail the further out we zoom, and only when something changed.

import { G, STATUS, intersects, statusAt, statusCode, visibleNodes } from "./model.js";
import { canvas, stage, state, view } from "./state.js";

export const TEXT_ZOOM = 0.6;  // full cards (key, group, status line) from this zoom up
const LABEL_ZOOM = 0.3;  // cards with just the key down to here; below, plain rectangles
const EDGE_ZOOM = 0.04;  // below this edges are a grey smear: skip them
const EDGE_BUDGET = 600; // more edges in view than this: zoomed out they fade, zoomed in
                         // those merely passing through (no end in view) are skipped
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

const ctx = canvas.getContext("2d");

// Colours come from app.css so the canvas matches the badges elsewhere.
const rootStyle = getComputedStyle(document.documentElement);
const cssVar = (name, fallback) => rootStyle.getPropertyValue(name).trim() || fallback;
const COLORS = {
  ink: cssVar("--ink", "#1d2330"),
  muted: cssVar("--muted", "#6b7385"),
  accent: cssVar("--accent", "#3b5bdb"),
  status: [cssVar("--never", "#868e96"), cssVar("--ok", "#2b8a3e"),
           cssVar("--fail", "#c92a2a"), cssVar("--run", "#e8590c")],
  dot: ["#a3abb9", cssVar("--ok", "#2b8a3e"), cssVar("--fail", "#c92a2a"), cssVar("--run", "#e8590c")],
  card: "#ffffff",
  cardLine: "#d3d8e2",
  cardHover: "#98a1b3",
  edge: "#a9b0bf",
  groupFill: "rgba(226, 231, 242, 0.55)",
  groupLine: "#ccd2de",
  groupTitle: "#3f475a",
};

let frame = 0;        // pending requestAnimationFrame id
let painted = false;  // the graph has been drawn: the page is ready
let markReady;
export const ready = new Promise((resolve) => { markReady = resolve; });

export const requestDraw = () => { if (!frame) frame = requestAnimationFrame(draw); };

export function draw() {
  if (frame) { cancelAnimationFrame(frame); frame = 0; }
  const { k, tx, ty, W, H, dpr } = view;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, W, H);
  moveBackground();
  if (G.n) {
    // The visible rectangle in graph units, with a margin for borders and arrowheads.
    const m = 8 / k;
    const v = { x0: -tx / k - m, y0: -ty / k - m, x1: (W - tx) / k + m, y1: (H - ty) / k + m };
    ctx.setTransform(dpr * k, 0, 0, dpr * k, dpr * tx, dpr * ty);
    drawGroups(v);
    drawEdges(v);
    drawNodes(v);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    drawGroupLabels(v);
  }
  if (!painted && state.loaded) {  // the ResizeObserver draws once before the graph arrives
    painted = true;
    document.body.dataset.graphReady = "1";
    markReady(true);
  }
}

// The dot grid is stage's CSS background: panning it costs nothing on the canvas.
let lastBackground = "";
function moveBackground() {
  const { k, tx, ty } = view;
  const step = 24 * k;
  const value = step < 9 ? "none" : `${step}px ${step}px|${tx % step}px ${ty % step}px`;
  if (value === lastBackground) return;
  lastBackground = value;
  if (value === "none") { stage.style.backgroundImage = "none"; return; }
  const [size, position] = value.split("|");
  stage.style.backgroundImage = "";
  stage.style.backgroundSize = size;
  stage.style.backgroundPosition = position;
}

function roundRect(x, y, w, h, r) {
  if (ctx.roundRect) ctx.roundRect(x, y, w, h, r);
  else ctx.rect(x, y, w, h);
}

function drawGroups(v) {
  ctx.lineWidth = 1 / view.k;
  for (const box of G.boxes) {
    if (!intersects(box.x, box.y, box.w, box.h, v)) continue;
    ctx.beginPath();
    roundRect(box.x, box.y, box.w, box.h, 10);
    ctx.fillStyle = COLORS.groupFill;
    ctx.fill();
    ctx.strokeStyle = COLORS.groupLine;
    ctx.stroke();
  }
}

// Group names are drawn in screen space at a fixed size so they stay readable zoomed
// out, and stick to the left edge of the view while a long band is panned along.
// Zoomed out, bigger groups are labelled first and a label that would overlap one
// already drawn is skipped, so many small groups do not turn into a smear of text.
function drawGroupLabels(v) {
  const { k, tx, ty } = view;
  const boxes = G.boxes.filter((box) => intersects(box.x, box.y, box.w, box.h, v));
  boxes.sort((a, b) => b.count - a.count);
  const taken = [];
  ctx.textBaseline = "middle";
  for (const box of boxes) {
    const sx = box.x * k + tx, sy = box.y * k + ty, sw = box.w * k;
    const inStrip = 30 * k >= 18;  // the layout's title strip is tall enough on screen
    const room = inStrip ? sw - 24 : Math.max(sw - 24, 160);
    if (room < 24) continue;
    const count = `${box.count.toLocaleString()} asset${box.count === 1 ? "" : "s"}`;
    const nameFont = `600 13px ${FONT}`, countFont = `12px ${FONT}`;
    const name = fitText(box.name, room, nameFont);
    ctx.font = nameFont;
    const nameW = ctx.measureText(name).width;
    ctx.font = countFont;
    const countW = ctx.measureText(count).width;
    const withCount = nameW + 10 + countW <= room;
    const labelW = nameW + (withCount ? 10 + countW : 0);
    const right = inStrip ? sx + sw - labelW - 12 : Infinity;
    const lx = Math.min(Math.max(sx + 12, 10), right);
    const ly = inStrip ? sy + 15 * k : Math.max(sy, 0) + 13;
    const rect = [lx - 6, ly - 10, lx + labelW + 6, ly + 10];
    if (taken.some((r) => r[0] < rect[2] && rect[0] < r[2] && r[1] < rect[3] && rect[1] < r[3])) continue;
    taken.push(rect);
    if (!inStrip) {
      ctx.beginPath();
      roundRect(rect[0], rect[1], rect[2] - rect[0], 20, 4);
      ctx.fillStyle = "rgba(255, 255, 255, 0.92)";
      ctx.fill();
      ctx.strokeStyle = COLORS.groupLine;
      ctx.lineWidth = 1;
      ctx.stroke();
    }
    ctx.font = nameFont;
    ctx.fillStyle = COLORS.groupTitle;
    ctx.fillText(name, lx, ly);
    if (withCount) {
      ctx.font = countFont;
      ctx.fillStyle = COLORS.muted;
      ctx.fillText(count, lx + nameW + 10, ly);
    }
  }
  ctx.textBaseline = "alphabetic";
}

function edgePath(j, curved) {
  const x1 = G.ex1[j], y1 = G.ey1[j], x2 = G.ex2[j], y2 = G.ey2[j];
  ctx.moveTo(x1, y1);
  if (curved) {
    const dx = (x2 - x1) / 2;
    ctx.bezierCurveTo(x1 + dx, y1, x2 - dx, y2, x2, y2);
  } else {
    ctx.lineTo(x2, y2);
  }
}

const edgeInView = (x1, y1, x2, y2, v) =>
  x2 >= v.x0 && x1 <= v.x1 && !(y1 < v.y0 && y2 < v.y0) && !(y1 > v.y1 && y2 > v.y1);
const pointInView = (x, y, v) => x >= v.x0 && x <= v.x1 && y >= v.y0 && y <= v.y1;
let edgeBuffer = new Int32Array(0);

function drawEdges(v) {
  const { k } = view;
  const { selected, filter } = state;
  const curved = k >= LABEL_ZOOM;
  const px = 1 / k;  // one screen pixel in graph units
  if (k >= EDGE_ZOOM) {
    // The edges whose bounding box meets the view.
    if (edgeBuffer.length < G.e) edgeBuffer = new Int32Array(G.e);
    let count = 0;
    for (let j = 0; j < G.e; j++) {
      if (edgeInView(G.ex1[j], G.ey1[j], G.ex2[j], G.ey2[j], v)) edgeBuffer[count++] = j;
    }
    // Many long edges merely crossing the view (a wide fan-out seen close up) are noise
    // and slow to stroke: then keep only those that start or end in view.
    const sparse = curved && count > EDGE_BUDGET;
    // Zoomed out, a sample of a dense haze looks the same as all of it and strokes
    // several times faster: keep every stride-th edge (by index, so panning is stable).
    const stride = curved ? 1 : Math.ceil(count / (EDGE_BUDGET * 4));
    // One path per style: a canvas stroke per edge would be far slower.
    const styles = filter ? [[0, 0.18], [1, 1]] : [[1, 1]];  // [in filter, alpha]
    for (const [wanted, alpha] of styles) {
      ctx.beginPath();
      let drawn = 0;
      for (let n = 0; n < count; n++) {
        const j = edgeBuffer[n];
        if (stride > 1 && j % stride) continue;
        if (filter && ((filter[G.ep[j]] && filter[G.ec[j]]) ? 1 : 0) !== wanted) continue;
        if (sparse && !pointInView(G.ex1[j], G.ey1[j], v) && !pointInView(G.ex2[j], G.ey2[j], v)) continue;
        edgePath(j, curved);
        drawn++;
      }
      // Zoomed out, thousands of overlapping lines would bury the nodes: the more
      // edges in view, the fainter they get.
      const density = curved ? 1 : Math.max(0.04, Math.min(0.6, EDGE_BUDGET / Math.max(1, drawn)));
      ctx.globalAlpha = alpha * density;
      ctx.strokeStyle = COLORS.edge;
      ctx.lineWidth = curved ? Math.max(1, 1.4 * k) * px : px;
      ctx.stroke();
    }
    ctx.globalAlpha = 1;
  }
  // The selected asset's lineage edges, on top and in the accent colour, at any zoom.
  if (selected >= 0) {
    ctx.beginPath();
    let drawn = 0;
    for (const c of G.children[selected]) drawn += edgeBetween(selected, c, curved, v);
    for (const p of G.parents[selected]) drawn += edgeBetween(p, selected, curved, v);
    // A node with thousands of children would paint a solid wall: thin and fade them.
    const crowded = drawn > 100;
    ctx.globalAlpha = crowded ? Math.max(0.15, 100 / drawn) : 1;
    ctx.strokeStyle = COLORS.accent;
    ctx.lineWidth = (crowded ? 1 : Math.max(1.5, 2 * k)) * px;
    ctx.stroke();
    ctx.globalAlpha = 1;
  }
  if (k >= TEXT_ZOOM) drawArrowheads(v);
}

function edgeBetween(p, c, curved, v) {
  const x1 = G.x[p] + G.w[p], y1 = G.y[p] + G.h[p] / 2, x2 = G.x[c], y2 = G.y[c] + G.h[c] / 2;
  if (!edgeInView(x1, y1, x2, y2, v)) return 0;
  ctx.moveTo(x1, y1);
  if (curved) ctx.bezierCurveTo((x1 + x2) / 2, y1, (x1 + x2) / 2, y2, x2, y2);
  else ctx.lineTo(x2, y2);
  return 1;
}

// One small arrowhead per node with parents: edges meet at the node's left middle.
function drawArrowheads(v) {
  const { filter } = state;
  ctx.fillStyle = COLORS.edge;
  for (const inFilter of filter ? [0, 1] : [1]) {
    ctx.globalAlpha = inFilter ? 1 : 0.3;
    ctx.beginPath();
    for (const i of visibleNodes(v)) {
      if (!G.parents[i].length || (filter && filter[i] !== inFilter)) continue;
      const x = G.x[i], y = G.y[i] + G.h[i] / 2;
      ctx.moveTo(x, y);
      ctx.lineTo(x - 7, y - 4);
      ctx.lineTo(x - 7, y + 4);
      ctx.closePath();
    }
    ctx.fill();
  }
  ctx.globalAlpha = 1;
}

// Indices of the nodes intersecting v: through the grid when few cells are in view,
// else a straight scan (cheaper than visiting thousands of cells).

function drawNodes(v) {
  const { k } = view;
  const { selected } = state;
  const list = visibleNodes(v);
  if (k < LABEL_ZOOM) drawBlocks(list);
  else for (const i of list) drawCard(i, k >= TEXT_ZOOM);
  if (selected >= 0 && k < LABEL_ZOOM) {
    // Zoomed out, a selected node is a speck: ring it at a fixed screen size.
    const cx = G.x[selected] + G.w[selected] / 2, cy = G.y[selected] + G.h[selected] / 2;
    ctx.beginPath();
    ctx.arc(cx, cy, Math.max(G.w[selected] / 2, 14 / k), 0, 2 * Math.PI);
    ctx.strokeStyle = COLORS.accent;
    ctx.lineWidth = 3 / k;
    ctx.stroke();
  }
}

// Zoomed out: plain rectangles coloured by status, one path per colour.
function drawBlocks(list) {
  const { filter } = state;
  for (const inFilter of filter ? [0, 1] : [1]) {
    ctx.globalAlpha = inFilter ? 1 : 0.18;
    for (let code = 0; code < STATUS.length; code++) {
      ctx.fillStyle = COLORS.dot[code];
      for (const i of list) {
        if (statusCode[i] !== code) continue;
        if (filter && filter[i] !== inFilter) continue;
        ctx.fillRect(G.x[i], G.y[i], G.w[i], G.h[i]);  // fast path, unlike a 10k-rect path
      }
    }
  }
  ctx.globalAlpha = 1;
}

function drawCard(i, full) {
  const { k } = view;
  const { selected, hovered, filter } = state;
  const x = G.x[i], y = G.y[i], w = G.w[i], h = G.h[i];
  const code = statusCode[i];
  const px = 1 / k;
  ctx.globalAlpha = filter && !filter[i] ? 0.3 : 1;

  ctx.beginPath();
  roundRect(x, y, w, h, 6);
  ctx.fillStyle = COLORS.card;
  ctx.fill();
  if (i === selected) { ctx.strokeStyle = COLORS.accent; ctx.lineWidth = 2.5 * px; }
  else if (code === 3) { ctx.strokeStyle = COLORS.status[3]; ctx.lineWidth = 1.5 * px; }
  else if (i === hovered) { ctx.strokeStyle = COLORS.cardHover; ctx.lineWidth = 1.5 * px; }
  else { ctx.strokeStyle = COLORS.cardLine; ctx.lineWidth = px; }
  if (G.external[i]) ctx.setLineDash([4 * px, 3 * px]);  // external: produced elsewhere
  ctx.stroke();
  ctx.setLineDash([]);

  // The status stripe down the left edge: colour readable at any zoom.
  ctx.beginPath();
  roundRect(x, y, 5, h, [6, 0, 0, 6]);
  ctx.fillStyle = COLORS.dot[code];
  ctx.fill();

  const left = x + 14, room = w - 22;
  ctx.fillStyle = COLORS.ink;
  if (full) {
    ctx.font = `600 13px ${FONT}`;
    ctx.fillText(fitText(G.keys[i], room, ctx.font), left, y + 20);
    ctx.font = `11.5px ${FONT}`;
    ctx.fillStyle = COLORS.muted;
    const group = G.external[i] ? `external · ${G.groups[i]}` : G.groups[i];
    ctx.fillText(fitText(group, room, ctx.font), left, y + 36);
    ctx.beginPath();
    ctx.arc(left + 3.5, y + 48, 3.5, 0, 2 * Math.PI);
    ctx.fillStyle = COLORS.status[code];
    ctx.fill();
    ctx.fillStyle = code === 0 ? COLORS.muted : COLORS.status[code];
    ctx.fillText(fitText(cardStatus(i), room - 12, ctx.font), left + 12, y + 52);
  } else {
    // Key only, at a size that stays legible (about 11 px on screen).
    const size = Math.min(Math.round(11 / k), 34);
    ctx.font = `600 ${size}px ${FONT}`;
    ctx.textBaseline = "middle";
    ctx.fillText(fitText(G.keys[i], room, ctx.font), left, y + h / 2);
    ctx.textBaseline = "alphabetic";
  }
  ctx.globalAlpha = 1;
}

// Text cut to a width, keeping the end: "…/daily_orders" says more than "sales/da…".
const fitCache = new Map();
function fitText(text, width, font) {
  const id = `${font}|${width}|${text}`;
  let out = fitCache.get(id);
  if (out !== undefined) return out;
  if (fitCache.size > 50000) fitCache.clear();
  ctx.font = font;
  if (ctx.measureText(text).width <= width) out = text;
  else {
    let lo = 0, hi = text.length;  // smallest cut with "…" + text.slice(cut) fitting
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ctx.measureText("…" + text.slice(mid)).width <= width) hi = mid; else lo = mid + 1;
    }
    out = "…" + text.slice(lo);
  }
  fitCache.set(id, out);
  return out;
}

function shortTime(ts) {
  const d = new Date(ts * 1000);
  return d.toDateString() === new Date().toDateString()
    ? upstream.fmtTime(ts).slice(11) : upstream.fmtTime(ts).slice(0, 16);
}

function cardStatus(i) {
  const at = statusAt[i];
  switch (statusCode[i]) {
    case 1: return Number.isNaN(at) ? "Materialized" : `Materialized ${shortTime(at)}`;
    case 2: return "Failed";
    case 3: return "Running…";
    default: return G.external[i] ? "Not materialized here" : "Never materialized";
  }
}
