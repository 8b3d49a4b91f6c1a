// The asset graph page: the server's layout (GET /api/graph) drawn on a <canvas>, with live
// statuses (GET /api/status), a selection filter, search and a side panel for one asset.
// ES modules loaded as they are (no build step), after common.js, whose `upstream` they use.

import "./input.js";
import "./search.js";
import { G, STATUS, statusCode } from "./model.js";
import { draw, ready } from "./draw.js";
import { init } from "./load.js";
import { select } from "./panel.js";
import { canvas, state, view } from "./state.js";
import { centerOn } from "./view.js";

// The test hook: what the browser tests read and do.

const indexOf = (key) => {
  const i = G.index.get(key);
  if (i === undefined) throw new Error(`no asset ${key} in the graph`);
  return i;
};

window.upstreamGraph = {
  ready,
  nodeCount: () => G.n,
  selectNode(key) { select(indexOf(key), true); draw(); return true; },
  nodeStatus: (key) => STATUS[statusCode[indexOf(key)]],
  // Centres the node and returns its centre in client coordinates, for clicking it.
  screenPosition(key) {
    const i = indexOf(key);
    centerOn(i);
    draw();
    const { k, tx, ty } = view;
    const rect = canvas.getBoundingClientRect();
    return { x: rect.left + tx + (G.x[i] + G.w[i] / 2) * k, y: rect.top + ty + (G.y[i] + G.h[i] / 2) * k };
  },
  selectedCount: () => (state.filter ? state.filterCount : null),
};

init();
