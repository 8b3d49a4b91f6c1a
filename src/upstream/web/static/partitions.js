// The asset page's partition status bar: the run-length encoded segments of
// /api/assets/{key}/partitions drawn on one canvas (so 10,000+ partitions cost a few
// segments, never a DOM node each), counts beside it, the keys and status under the
// pointer. Clicking a segment (shift-click: from the last one clicked) selects its keys and
// dispatches `upstream:partition-range` {asset, start, end, count, statuses} on document,
// for the launch dialog to pick up.
"use strict";

const upstreamPartitions = (() => {
  const ORDER = ["materialized", "failed", "in_progress", "missing"];
  const LABELS = { materialized: "Materialized", failed: "Failed", in_progress: "In progress", missing: "Missing" };
  const COLOR_VARS = { materialized: "--ok", failed: "--fail", in_progress: "--run", missing: "--line" };
  const EVENT = "upstream:partition-range";
  let state = null;  // {asset, data, offsets, anchor, canvas, tip}

  const esc = (v) => upstream.esc(v);
  const colors = () => {
    const style = getComputedStyle(document.documentElement);
    const palette = Object.fromEntries(ORDER.map((s) => [s, style.getPropertyValue(COLOR_VARS[s]).trim() || "#999"]));
    palette.ink = style.getPropertyValue("--ink").trim() || "#000";
    return palette;
  };
  const keysText = (seg) => (seg.count === 1 ? seg.start : `${seg.start} … ${seg.end}`);

  function render(section, asset, data) {
    section.hidden = false;
    const $ = (sel) => section.querySelector(sel);
    $("#partitions-count").textContent = `(${data.total.toLocaleString("en-US")})`;
    $("#partitions-def").textContent = data.partitions_def;
    $("#partitions-legend").innerHTML = ORDER.map((s) =>
      `<span class="partition-count" data-status="${s}"><i class="swatch status-${s}"></i>${LABELS[s]} ` +
      `<b>${data.counts[s].toLocaleString("en-US")}</b></span>`).join("");
    const offsets = [];
    let at = 0;
    for (const seg of data.segments) { offsets.push(at); at += seg.count; }
    const fresh = state === null || state.asset !== asset;
    state = { asset, data, offsets, anchor: null, selected: null, canvas: $("#partitions-bar"), tip: $("#partitions-tip"), out: $("#partitions-selected") };
    if (fresh) wire(state.canvas);
    draw();
  }

  function draw() {
    const { canvas, data } = state;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.parentElement.clientWidth;
    const height = 28;
    canvas.width = Math.max(1, Math.round(width * ratio));
    canvas.height = Math.round(height * ratio);
    canvas.style.width = `${width}px`;
    canvas.style.height = `${height}px`;
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const palette = colors();
    const total = Math.max(1, data.total);
    // Slivers (under 2 px: a failed key among 10,000) are drawn last, 2 px wide, so a
    // wide neighbour never paints over them.
    const boxes = data.segments.map((seg, i) => {
      const x0 = (state.offsets[i] / total) * width;
      return [x0, ((state.offsets[i] + seg.count) / total) * width - x0, seg.status];
    });
    for (const thin of [false, true]) {
      for (const [x0, w, status] of boxes) {
        if ((w < 2) !== thin) continue;
        ctx.fillStyle = palette[status];
        ctx.fillRect(x0, 0, Math.max(2, w), height);
      }
    }
    if (state.selected) {  // the selected keys, outlined
      const [from, to] = state.selected;
      const x0 = (state.offsets[from] / total) * width;
      const x1 = ((state.offsets[to] + data.segments[to].count) / total) * width;
      ctx.strokeStyle = palette.ink;
      ctx.lineWidth = 2;
      ctx.strokeRect(x0 + 1, 1, Math.max(2, x1 - x0 - 2), height - 2);
    }
  }

  // The segment under x (css px): a binary search over the segments' first indexes.
  function segmentAt(x) {
    const { data, offsets, canvas } = state;
    if (!data.segments.length) return -1;
    const index = Math.min(data.total - 1, Math.floor((x / canvas.clientWidth) * data.total));
    let lo = 0, hi = offsets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (offsets[mid] <= index) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  function wire(canvas) {
    canvas.addEventListener("mousemove", (event) => {
      const i = segmentAt(event.offsetX);
      if (i < 0) return;
      const seg = state.data.segments[i];
      state.tip.hidden = false;
      state.tip.textContent = `${keysText(seg)} · ${LABELS[seg.status]}` +
        (seg.count > 1 ? ` · ${seg.count.toLocaleString("en-US")} keys` : "");
      const room = canvas.clientWidth - state.tip.offsetWidth;  // keep it inside the card
      state.tip.style.left = `${Math.max(0, Math.min(event.offsetX, room))}px`;
      canvas.dataset.hover = String(i);
    });
    canvas.addEventListener("mouseleave", () => { state.tip.hidden = true; });
    canvas.addEventListener("click", (event) => {
      const i = segmentAt(event.offsetX);
      if (i < 0) return;
      const from = event.shiftKey && state.anchor !== null ? Math.min(state.anchor, i) : i;
      const to = event.shiftKey && state.anchor !== null ? Math.max(state.anchor, i) : i;
      if (!event.shiftKey) state.anchor = i;
      select(from, to);
    });
    window.addEventListener("resize", () => state && draw());
  }

  function select(from, to) {
    state.selected = [from, to];
    draw();
    const segs = state.data.segments.slice(from, to + 1);
    const detail = {
      asset: state.asset,
      start: segs[0].start,
      end: segs[segs.length - 1].end,
      count: segs.reduce((n, s) => n + s.count, 0),
      statuses: [...new Set(segs.map((s) => s.status))],
    };
    state.out.innerHTML = `Selected <b class="mono">${esc(detail.start)}</b>` +
      (detail.count > 1 ? ` … <b class="mono">${esc(detail.end)}</b>` : "") +
      ` (${detail.count.toLocaleString("en-US")} key${detail.count > 1 ? "s" : ""}). Shift-click another segment to extend.`;
    document.dispatchEvent(new CustomEvent(EVENT, { detail }));
    return detail;
  }

  return { render, select, EVENT };
})();
