// What the parts of the graph page share: its elements, and what is on screen as plain
// objects (an imported binding cannot be assigned, a property can).

export const $ = (id) => document.getElementById(id);
export const stage = $("graph-stage");
export const canvas = $("graph-canvas");
export const panel = $("asset-panel");
export const selectionInput = $("selection");
export const searchInput = $("search");

// screen = graph * k + t (CSS pixels); W, H: the stage in CSS pixels; dpr: device pixel ratio.
export const view = { k: 1, tx: 0, ty: 0, W: 0, H: 0, dpr: 1 };

export const state = {
  loaded: false,     // the graph has arrived
  selected: -1,      // the node in the side panel
  hovered: -1,
  filter: null,      // Uint8Array(n) of the applied selection, or null
  filterCount: 0,
  applied: "",       // the selection string `filter` came from
  activeRuns: 0,
};
