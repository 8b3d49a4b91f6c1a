// Where the graph sits on the stage: its size, fitting, zooming and centring a node.

import { G } from "./model.js";
import { TEXT_ZOOM, requestDraw } from "./draw.js";
import { canvas, panel, stage, view } from "./state.js";

const MAX_ZOOM = 2.5;
const PANEL_W = 380;  // matches .asset-panel in graph.css

export function resize() {
  const rect = stage.getBoundingClientRect();
  view.W = rect.width;
  view.H = rect.height;
  view.dpr = window.devicePixelRatio || 1;
  canvas.width = Math.max(1, Math.round(view.W * view.dpr));
  canvas.height = Math.max(1, Math.round(view.H * view.dpr));
  requestDraw();
}

// The part of the stage not covered by the side panel: fitting and centring aim there.
export const viewWidth = () => Math.max(100, view.W - (panel.hidden ? 0 : PANEL_W));

export function fitBox(x0, y0, x1, y1, maxZoom) {
  const pad = 40;
  const { H } = view;
  const zx = (viewWidth() - 2 * pad) / Math.max(1, x1 - x0);
  const zy = (H - 2 * pad) / Math.max(1, y1 - y0);
  const k = Math.max(0.0005, Math.min(maxZoom, zx, zy));
  view.k = k;
  view.tx = (viewWidth() - (x1 - x0) * k) / 2 - x0 * k;
  view.ty = (H - (y1 - y0) * k) / 2 - y0 * k;
  requestDraw();
}

export const fitAll = () => fitBox(0, 0, G.width, G.height, 1);
const minZoom = () => Math.min(0.1, 0.5 * Math.min(viewWidth() / Math.max(1, G.width), view.H / Math.max(1, G.height)));

export function zoomAt(sx, sy, factor) {
  const { k, tx, ty } = view;
  const next = Math.max(minZoom(), Math.min(MAX_ZOOM, k * factor));
  view.tx = sx - (sx - tx) * (next / k);
  view.ty = sy - (sy - ty) * (next / k);
  view.k = next;
  requestDraw();
}

// Centre node i in the visible area, zooming in far enough to read it.
export function centerOn(i) {
  if (view.k < TEXT_ZOOM) view.k = 1;
  view.tx = viewWidth() / 2 - (G.x[i] + G.w[i] / 2) * view.k;
  view.ty = view.H / 2 - (G.y[i] + G.h[i] / 2) * view.k;
  requestDraw();
}

// The panel opens over the right of the stage: slide a node it would cover to the left.
export function keepClearOfPanel(i) {
  const right = (G.x[i] + G.w[i]) * view.k + view.tx;
  if (right > viewWidth() - 24) view.tx -= right - (viewWidth() - 48);
}
