// The URL mirrors the view: ?asset=<key>&selection=<text> make it shareable.

import { G } from "./model.js";
import { state } from "./state.js";

export function updateUrl() {
  const params = new URLSearchParams();
  if (state.selected >= 0) params.set("asset", G.keys[state.selected]);
  if (state.applied) params.set("selection", state.applied);
  const query = params.toString();
  history.replaceState(null, "", window.location.pathname + (query ? `?${query}` : ""));
}

// What a shared URL asks for: a selection to apply and an asset to open (null if absent).
export function readUrl() {
  const params = new URLSearchParams(window.location.search);
  return { selection: params.get("selection"), asset: params.get("asset") };
}
