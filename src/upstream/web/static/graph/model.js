// The asset graph as flat arrays indexed like /api/graph's `nodes`, their statuses, and a
// spatial grid for culling and hit-testing. Data only: no DOM, no drawing.

// Status codes index these arrays; a Uint8Array of codes keeps 10k statuses cheap.
export const STATUS = ["never", "materialized", "failed", "running"];
export const STATUS_CODE = { never: 0, materialized: 1, failed: 2, running: 3 };

const GRID = 512;  // spatial grid cell (graph units) for culling and hit-testing

export const G = {
  n: 0, keys: [], lowerKeys: [], groups: [], locations: [], external: [], index: new Map(),
  x: null, y: null, w: null, h: null,
  parents: [], children: [],
  e: 0, ep: null, ec: null, ex1: null, ey1: null, ex2: null, ey2: null,
  boxes: [], width: 0, height: 0, hash: null,
};
export let statusCode = new Uint8Array(0);
export let statusAt = new Float64Array(0);

export function build(graph) {
  const nodes = graph.nodes;
  const n = nodes.length;
  G.n = n;
  G.keys = nodes.map((node) => node.key);
  G.lowerKeys = G.keys.map((key) => key.toLowerCase());
  G.groups = nodes.map((node) => node.group);
  G.locations = nodes.map((node) => node.code_location);
  G.external = nodes.map((node) => Boolean(node.external));  // AssetSpec / SourceAsset
  G.index = new Map(G.keys.map((key, i) => [key, i]));
  G.x = Float64Array.from(nodes, (node) => node.x);
  G.y = Float64Array.from(nodes, (node) => node.y);
  G.w = Float64Array.from(nodes, (node) => node.w);
  G.h = Float64Array.from(nodes, (node) => node.h);
  G.hash = graph.definitions_hash;
  G.width = graph.width;
  G.height = graph.height;
  visibleCache = { key: "", list: [] };
  G.parents = Array.from({ length: n }, () => []);
  G.children = Array.from({ length: n }, () => []);

  // Edge end points precomputed: culling a frame's edges is then four comparisons each.
  const e = graph.edges.length;
  G.e = e;
  G.ep = new Int32Array(e); G.ec = new Int32Array(e);
  G.ex1 = new Float32Array(e); G.ey1 = new Float32Array(e);
  G.ex2 = new Float32Array(e); G.ey2 = new Float32Array(e);
  graph.edges.forEach(([p, c], j) => {
    G.ep[j] = p; G.ec[j] = c;
    G.ex1[j] = G.x[p] + G.w[p]; G.ey1[j] = G.y[p] + G.h[p] / 2;
    G.ex2[j] = G.x[c]; G.ey2[j] = G.y[c] + G.h[c] / 2;
    G.parents[c].push(p);
    G.children[p].push(c);
  });

  const perGroup = new Map();
  for (const group of G.groups) perGroup.set(group, (perGroup.get(group) || 0) + 1);
  G.boxes = graph.groups.map((box) => ({ ...box, count: perGroup.get(box.name) || 0 }));

  statusCode = new Uint8Array(n);
  statusAt = new Float64Array(n).fill(NaN);
  buildGrid();
}

// True when /api/status describes other assets than the graph on screen: `upstream dev`
// reloads the code when files change, and the page must follow. A definitions_hash in
// the status body (if the server sends one) also catches changes to edges alone.
export function graphIsStale(body) {
  if (body.definitions_hash && G.hash) return body.definitions_hash !== G.hash;
  const keys = Object.keys(body.assets || {});
  return keys.length !== G.n || keys.some((key) => !G.index.has(key));
}

// Spatial grid: cell -> node indices overlapping it. Hit-testing looks at one cell;
// a zoomed-in frame looks only at the cells in view.
const grid = new Map();
let stamp = 0, seen = new Uint32Array(0);
const cellId = (cx, cy) => cx * 2097152 + cy;

function buildGrid() {
  grid.clear();
  seen = new Uint32Array(G.n);
  for (let i = 0; i < G.n; i++) {
    const cx0 = Math.floor(G.x[i] / GRID), cx1 = Math.floor((G.x[i] + G.w[i]) / GRID);
    const cy0 = Math.floor(G.y[i] / GRID), cy1 = Math.floor((G.y[i] + G.h[i]) / GRID);
    for (let cx = cx0; cx <= cx1; cx++) {
      for (let cy = cy0; cy <= cy1; cy++) {
        const id = cellId(cx, cy);
        let list = grid.get(id);
        if (!list) grid.set(id, list = []);
        list.push(i);
      }
    }
  }
}

// The node at a point in graph units, or -1.
export function nodeAt(gx, gy) {
  const cell = grid.get(cellId(Math.floor(gx / GRID), Math.floor(gy / GRID)));
  if (!cell) return -1;
  for (const i of cell) {
    if (gx >= G.x[i] && gx <= G.x[i] + G.w[i] && gy >= G.y[i] && gy <= G.y[i] + G.h[i]) return i;
  }
  return -1;
}

export const intersects = (x, y, w, h, v) => x < v.x1 && x + w > v.x0 && y < v.y1 && y + h > v.y0;

// Indices of the nodes intersecting v: through the grid when few cells are in view,
// else a straight scan (cheaper than visiting thousands of cells).
let visibleCache = { key: "", list: [] };
export function visibleNodes(v) {
  const cacheKey = `${v.x0},${v.y0},${v.x1},${v.y1}`;
  if (visibleCache.key === cacheKey) return visibleCache.list;
  const list = [];
  const cx0 = Math.floor(v.x0 / GRID), cx1 = Math.floor(v.x1 / GRID);
  const cy0 = Math.floor(v.y0 / GRID), cy1 = Math.floor(v.y1 / GRID);
  if ((cx1 - cx0 + 1) * (cy1 - cy0 + 1) > G.n / 4) {
    for (let i = 0; i < G.n; i++) if (intersects(G.x[i], G.y[i], G.w[i], G.h[i], v)) list.push(i);
  } else {
    stamp++;
    for (let cx = cx0; cx <= cx1; cx++) {
      for (let cy = cy0; cy <= cy1; cy++) {
        const cell = grid.get(cellId(cx, cy));
        if (!cell) continue;
        for (const i of cell) {
          if (seen[i] === stamp) continue;
          seen[i] = stamp;
          if (intersects(G.x[i], G.y[i], G.w[i], G.h[i], v)) list.push(i);
        }
      }
    }
  }
  visibleCache = { key: cacheKey, list };
  return list;
}
