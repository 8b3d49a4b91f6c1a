// The asset graph page: the server's layout (GET /api/graph) drawn on a <canvas>, with live
// statuses (GET /api/status), a selection filter, search and a side panel for one asset.
//
// Why a canvas and not SVG: 10,000 assets must be interactive within 3 s and pan smoothly.
// A DOM node per asset is too slow to create and to move; a canvas frame draws only what is
// in view, with less detail the further out we zoom, and only when something changed.
"use strict";

(() => {
  // Status codes index these arrays; a Uint8Array of codes keeps 10k statuses cheap.
  const STATUS = ["never", "materialized", "failed", "running"];
  const STATUS_CODE = { never: 0, materialized: 1, failed: 2, running: 3 };

  const TEXT_ZOOM = 0.6;   // full cards (key, group, status line) from this zoom up
  const LABEL_ZOOM = 0.3;  // cards with just the key down to here; below, plain rectangles
  const EDGE_ZOOM = 0.04;  // below this edges are a grey smear: skip them
  const EDGE_BUDGET = 600; // more edges in view than this: zoomed out they fade, zoomed in
                           // those merely passing through (no end in view) are skipped
  const MAX_ZOOM = 2.5;
  const GRID = 512;        // spatial grid cell (graph units) for culling and hit-testing
  const PANEL_W = 380;     // matches .asset-panel in graph.css
  const MAX_LINKS = 60;    // neighbour chips in the panel before "and N more"
  const POLL_MS = 1500;
  const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

  const $ = (id) => document.getElementById(id);
  const stage = $("graph-stage");
  const canvas = $("graph-canvas");
  const ctx = canvas.getContext("2d");
  const panel = $("asset-panel");
  const selectionInput = $("selection");
  const searchInput = $("search");
  const suggestions = $("search-results");
  const { api, esc } = upstream;

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

  // ---- state -------------------------------------------------------------------------

  // The graph, as flat arrays indexed like /api/graph's `nodes`.
  const G = {
    n: 0, keys: [], lowerKeys: [], groups: [], locations: [], index: new Map(),
    x: null, y: null, w: null, h: null,
    parents: [], children: [],
    e: 0, ep: null, ec: null, ex1: null, ey1: null, ex2: null, ey2: null,
    boxes: [], width: 0, height: 0, hash: null,
  };
  let statusCode = new Uint8Array(0);
  let statusAt = new Float64Array(0);
  let activeRuns = 0;

  let k = 1, tx = 0, ty = 0;        // view: screen = graph * k + t (CSS pixels)
  let W = 0, H = 0, dpr = 1;         // stage size in CSS pixels, device pixel ratio
  let frame = 0;                     // pending requestAnimationFrame id
  let loaded = false;                // the graph has arrived
  let painted = false;               // and has been drawn: the page is ready
  let selected = -1, hovered = -1;
  let filter = null;                 // Uint8Array(n) of the applied selection, or null
  let filterCount = 0;
  let applied = "";                  // the selection string `filter` came from
  let panelToken = 0;                // ignores panel responses for a node no longer selected

  let markReady;
  const ready = new Promise((resolve) => { markReady = resolve; });

  // ---- loading -----------------------------------------------------------------------

  function build(graph) {
    const nodes = graph.nodes;
    const n = nodes.length;
    G.n = n;
    G.keys = nodes.map((node) => node.key);
    G.lowerKeys = G.keys.map((key) => key.toLowerCase());
    G.groups = nodes.map((node) => node.group);
    G.locations = nodes.map((node) => node.code_location);
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

  // True when /api/status describes other assets than the graph on screen: `upstream dev`
  // reloads the code when files change, and the page must follow. A definitions_hash in
  // the status body (if the server sends one) also catches changes to edges alone.
  function graphIsStale(body) {
    if (body.definitions_hash && G.hash) return body.definitions_hash !== G.hash;
    const keys = Object.keys(body.assets || {});
    return keys.length !== G.n || keys.some((key) => !G.index.has(key));
  }

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
        if (i === selected) selectedChanged = true;
        statusCode[i] = code;
        statusAt[i] = at;
      }
    }
    if (activeRuns !== body.active_runs) { activeRuns = body.active_runs || 0; updateCount(); }
    if (changed) requestDraw();
    if (selectedChanged) loadPanel(selected, false);
  }

  async function init() {
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
    loaded = true;
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
    const selectedKey = selected >= 0 ? G.keys[selected] : null;
    build(graph);
    selected = -1;
    hovered = -1;
    filter = null;
    updateCount();
    $("graph-empty").hidden = G.n > 0;
    if (applied && !(await applySelection(applied, false))) {
      applied = "";  // the selection names something that is gone: show everything
      selectionInput.classList.remove("applied");
      clearButton.hidden = true;
    }
    const i = selectedKey === null ? undefined : G.index.get(selectedKey);
    if (i !== undefined) select(i, false);
    else deselect(true);
    requestDraw();
  }

  // ---- view --------------------------------------------------------------------------

  function resize() {
    const rect = stage.getBoundingClientRect();
    W = rect.width;
    H = rect.height;
    dpr = window.devicePixelRatio || 1;
    canvas.width = Math.max(1, Math.round(W * dpr));
    canvas.height = Math.max(1, Math.round(H * dpr));
    requestDraw();
  }

  // The part of the stage not covered by the side panel: fitting and centring aim there.
  const viewWidth = () => Math.max(100, W - (panel.hidden ? 0 : PANEL_W));

  function fitBox(x0, y0, x1, y1, maxZoom) {
    const pad = 40;
    const zx = (viewWidth() - 2 * pad) / Math.max(1, x1 - x0);
    const zy = (H - 2 * pad) / Math.max(1, y1 - y0);
    k = Math.max(0.0005, Math.min(maxZoom, zx, zy));
    tx = (viewWidth() - (x1 - x0) * k) / 2 - x0 * k;
    ty = (H - (y1 - y0) * k) / 2 - y0 * k;
    requestDraw();
  }

  const fitAll = () => fitBox(0, 0, G.width, G.height, 1);
  const minZoom = () => Math.min(0.1, 0.5 * Math.min(viewWidth() / Math.max(1, G.width), H / Math.max(1, G.height)));

  function zoomAt(sx, sy, factor) {
    const next = Math.max(minZoom(), Math.min(MAX_ZOOM, k * factor));
    tx = sx - (sx - tx) * (next / k);
    ty = sy - (sy - ty) * (next / k);
    k = next;
    requestDraw();
  }

  // Centre node i in the visible area, zooming in far enough to read it.
  function centerOn(i) {
    if (k < TEXT_ZOOM) k = 1;
    tx = viewWidth() / 2 - (G.x[i] + G.w[i] / 2) * k;
    ty = H / 2 - (G.y[i] + G.h[i] / 2) * k;
    requestDraw();
  }

  // The panel opens over the right of the stage: slide a node it would cover to the left.
  function keepClearOfPanel(i) {
    const right = (G.x[i] + G.w[i]) * k + tx;
    if (right > viewWidth() - 24) tx -= right - (viewWidth() - 48);
  }

  // ---- drawing -----------------------------------------------------------------------

  const requestDraw = () => { if (!frame) frame = requestAnimationFrame(draw); };

  function draw() {
    if (frame) { cancelAnimationFrame(frame); frame = 0; }
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
    if (!painted && loaded) {  // the ResizeObserver draws once before the graph arrives
      painted = true;
      document.body.dataset.graphReady = "1";
      markReady(true);
    }
  }

  // The dot grid is stage's CSS background: panning it costs nothing on the canvas.
  let lastBackground = "";
  function moveBackground() {
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

  const intersects = (x, y, w, h, v) => x < v.x1 && x + w > v.x0 && y < v.y1 && y + h > v.y0;

  function roundRect(x, y, w, h, r) {
    if (ctx.roundRect) ctx.roundRect(x, y, w, h, r);
    else ctx.rect(x, y, w, h);
  }

  function drawGroups(v) {
    ctx.lineWidth = 1 / k;
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
  let visibleCache = { key: "", list: [] };
  function visibleNodes(v) {
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

  function drawNodes(v) {
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
    ctx.stroke();

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
      ctx.fillText(fitText(G.groups[i], room, ctx.font), left, y + 36);
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
      default: return "Never materialized";
    }
  }

  // ---- hit-testing and pointer input -------------------------------------------------

  function hit(sx, sy) {
    const gx = (sx - tx) / k, gy = (sy - ty) / k;
    const cell = grid.get(cellId(Math.floor(gx / GRID), Math.floor(gy / GRID)));
    if (!cell) return -1;
    for (const i of cell) {
      if (gx >= G.x[i] && gx <= G.x[i] + G.w[i] && gy >= G.y[i] && gy <= G.y[i] + G.h[i]) return i;
    }
    return -1;
  }

  function local(event) {
    const rect = canvas.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  }

  let drag = null;
  canvas.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, tx, ty, moved: false };
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
        tx = drag.tx + dx;
        ty = drag.ty + dy;
        requestDraw();
      }
      return;
    }
    const i = hit(...local(event));
    if (i !== hovered) {
      hovered = i;
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
    if (hovered >= 0 && !drag) { hovered = -1; requestDraw(); }
  });
  canvas.addEventListener("dblclick", (event) => {
    const [sx, sy] = local(event);
    const i = hit(sx, sy);
    if (i >= 0) window.location.href = upstream.assetHref(G.keys[i]);
    else zoomAt(sx, sy, 2);
  });
  canvas.addEventListener("wheel", (event) => {
    event.preventDefault();
    const unit = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? H : 1;
    // Pinch gestures arrive as ctrl+wheel with small deltas: scale them up.
    const speed = event.ctrlKey ? 0.01 : 0.0015;
    zoomAt(...local(event), Math.exp(-event.deltaY * unit * speed));
  }, { passive: false });

  new ResizeObserver(resize).observe(stage);
  window.addEventListener("resize", resize);  // also catches a devicePixelRatio change

  // Fit shows the applied selection if there is one, else everything.
  const fit = () => { if (filter && filterCount) fitFilter(); else fitAll(); };
  $("fit").addEventListener("click", fit);
  $("zoom-in").addEventListener("click", () => zoomAt(viewWidth() / 2, H / 2, 1.5));
  $("zoom-out").addEventListener("click", () => zoomAt(viewWidth() / 2, H / 2, 1 / 1.5));

  document.addEventListener("keydown", (event) => {
    const typing = event.target.closest && event.target.closest("input, textarea, select");
    if (typing || event.metaKey || event.ctrlKey || event.altKey) return;
    if (event.key === "/") { event.preventDefault(); searchInput.focus(); }
    else if (event.key === "f") fit();
    else if (event.key === "+" || event.key === "=") zoomAt(viewWidth() / 2, H / 2, 1.5);
    else if (event.key === "-") zoomAt(viewWidth() / 2, H / 2, 1 / 1.5);
    else if (event.key === "Escape") deselect();
  });

  // ---- selecting a node and the side panel ------------------------------------------

  function select(i, center) {
    const changed = i !== selected;
    selected = i;
    if (panel.hidden) { panel.hidden = false; stage.classList.add("panel-open"); }
    if (center) centerOn(i);
    else keepClearOfPanel(i);
    requestDraw();
    if (changed) loadPanel(i, true);
    updateUrl();
  }

  function deselect(force) {
    if (selected < 0 && !force) return;
    selected = -1;
    panelToken++;
    panel.hidden = true;
    stage.classList.remove("panel-open");
    requestDraw();
    updateUrl();
  }

  const apiAssetPath = (key) => "/api/assets/" + key.split("/").map(encodeURIComponent).join("/");

  // Renders what is known at once (key, status, actions), then the details when they come.
  async function loadPanel(i, fresh) {
    const token = ++panelToken;
    if (fresh) renderPanel(i, null);
    try {
      const detail = await api(apiAssetPath(G.keys[i]));
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
      body = (detail.description ? `<p class="description">${esc(detail.description)}</p>` : "") +
        "<h3>Latest materialization</h3>" +
        (last
          ? `<p class="muted">${esc(upstream.fmtTime(last.timestamp))} · ${esc(upstream.fmtDuration(last.duration))}` +
            ` · run <a href="${upstream.runHref(last.run_id)}">${esc(String(last.run_id).slice(0, 8))}</a></p>` +
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
    if (!target || selected < 0) return;
    const key = G.keys[selected];
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

  async function launch(button, selection) {
    button.disabled = true;
    try { await upstream.launch(selection); } finally { button.disabled = false; }
  }

  // ---- the selection filter ----------------------------------------------------------

  const applyButton = $("apply-selection");
  const clearButton = $("clear-selection");
  const materializeSelected = $("materialize-selected");

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
    filter = new Uint8Array(G.n);
    filterCount = 0;
    for (const key of keys) {
      const i = G.index.get(key);
      if (i !== undefined && !filter[i]) { filter[i] = 1; filterCount++; }
    }
    applied = q;
    selectionInput.classList.add("applied");
    clearButton.hidden = false;
    if (filterCount && fit) fitFilter();
    updateCount();
    updateUrl();
    requestDraw();
    return true;
  }

  function fitFilter() {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (let i = 0; i < G.n; i++) {
      if (!filter[i]) continue;
      x0 = Math.min(x0, G.x[i]); y0 = Math.min(y0, G.y[i]);
      x1 = Math.max(x1, G.x[i] + G.w[i]); y1 = Math.max(y1, G.y[i] + G.h[i]);
    }
    fitBox(x0, y0, x1, y1, 1);
  }

  function clearSelection() {
    filter = null;
    filterCount = 0;
    applied = "";
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
    selectionInput.classList.toggle("applied", !!applied && selectionInput.value.trim() === applied);
  });
  selectionInput.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { clearSelection(); selectionInput.blur(); }
  });
  clearButton.addEventListener("click", clearSelection);
  // Launches exactly what the box says; applied first if edited, so a typo is caught here.
  materializeSelected.addEventListener("click", async () => {
    const q = selectionInput.value.trim();
    if (!q) return;
    if (q !== applied && !(await applySelection(q))) return;
    await launch(materializeSelected, q);
  });
  applyButton.title = "Show only the assets the selection matches (Enter)";

  function updateCount() {
    const total = `${G.n.toLocaleString()} asset${G.n === 1 ? "" : "s"}`;
    let text = filter ? `<b>${filterCount.toLocaleString()}</b> of ${total} selected` : `<b>${total}</b>`;
    if (activeRuns) text += ` · ${activeRuns} active run${activeRuns === 1 ? "" : "s"}`;
    $("graph-count").innerHTML = text;
  }

  // ---- search ------------------------------------------------------------------------

  let matches = [];
  let active = 0;

  function renderSuggestions() {
    const q = searchInput.value.trim().toLowerCase();
    if (!q) { hideSuggestions(); return; }
    // Prefix matches first, then matches at a "/" boundary, then anywhere; shorter first.
    const found = [];
    for (let i = 0; i < G.n; i++) {
      const at = G.lowerKeys[i].indexOf(q);
      if (at < 0) continue;
      const rank = at === 0 ? 0 : G.lowerKeys[i][at - 1] === "/" ? 1 : 2;
      found.push([rank, G.keys[i].length, i, at]);
    }
    found.sort((a, b) => a[0] - b[0] || a[1] - b[1] || (G.keys[a[2]] < G.keys[b[2]] ? -1 : 1));
    matches = found.slice(0, 12);
    active = 0;
    if (!matches.length) {
      suggestions.innerHTML = '<li class="empty">no asset key contains this</li>';
    } else {
      suggestions.innerHTML = matches.map(([, , i, at], n) => {
        const key = G.keys[i];
        const marked = esc(key.slice(0, at)) + `<mark>${esc(key.slice(at, at + q.length))}</mark>` +
          esc(key.slice(at + q.length));
        return `<li role="option" data-index="${i}" class="${n === 0 ? "active" : ""}">` +
          `<i class="dot status-${STATUS[statusCode[i]]}"></i><span class="key">${marked}</span>` +
          `<span class="group">${esc(G.groups[i])}</span></li>`;
      }).join("") + (found.length > matches.length
        ? `<li class="empty">${(found.length - matches.length).toLocaleString()} more…</li>` : "");
    }
    suggestions.hidden = false;
    searchInput.setAttribute("aria-expanded", "true");
  }

  function hideSuggestions() {
    suggestions.hidden = true;
    searchInput.setAttribute("aria-expanded", "false");
  }

  function choose(i) {
    searchInput.value = G.keys[i];
    hideSuggestions();
    select(i, true);
  }

  searchInput.addEventListener("input", renderSuggestions);
  searchInput.addEventListener("focus", () => { if (searchInput.value.trim()) renderSuggestions(); });
  searchInput.addEventListener("blur", () => setTimeout(hideSuggestions, 150));
  searchInput.addEventListener("keydown", (event) => {
    const items = suggestions.querySelectorAll("li[data-index]");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!items.length) return;
      items[active].classList.remove("active");
      active = (active + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
      items[active].classList.add("active");
      items[active].scrollIntoView({ block: "nearest" });
    } else if (event.key === "Enter") {
      event.preventDefault();
      if (matches.length) choose(matches[active][2]);
      else {
        const i = G.index.get(searchInput.value.trim());
        if (i !== undefined) choose(i);
      }
    } else if (event.key === "Escape") {
      hideSuggestions();
      searchInput.blur();
    }
  });
  // mousedown, not click: it fires before the input's blur hides the list.
  suggestions.addEventListener("mousedown", (event) => {
    const item = event.target.closest("li[data-index]");
    if (!item) return;
    event.preventDefault();
    choose(Number(item.dataset.index));
  });

  // ---- the URL: ?asset=<key>&selection=<text> make a view shareable --------------------

  function updateUrl() {
    const params = new URLSearchParams();
    if (selected >= 0) params.set("asset", G.keys[selected]);
    if (applied) params.set("selection", applied);
    const query = params.toString();
    history.replaceState(null, "", window.location.pathname + (query ? `?${query}` : ""));
  }

  async function restoreFromUrl() {
    const params = new URLSearchParams(window.location.search);
    const text = params.get("selection");
    if (text) {
      selectionInput.value = text;
      materializeSelected.disabled = false;
      await applySelection(text);
    }
    const i = G.index.get(params.get("asset") || "");
    if (i !== undefined) select(i, true);
  }

  // ---- the test hook -----------------------------------------------------------------

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
      const rect = canvas.getBoundingClientRect();
      return { x: rect.left + tx + (G.x[i] + G.w[i] / 2) * k, y: rect.top + ty + (G.y[i] + G.h[i] / 2) * k };
    },
    selectedCount: () => (filter ? filterCount : null),
  };

  init();
})();
