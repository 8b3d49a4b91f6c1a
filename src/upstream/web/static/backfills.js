// The backfills list, newest first, each with a bar of its runs by status. Polls every 2 s
// while one is still going, every 10 s otherwise.
"use strict";

(() => {
  const { api, esc, fmtTime, badge, flash } = upstream;
  const $ = (id) => document.getElementById(id);
  const ORDER = ["SUCCESS", "FAILURE", "CANCELED", "STARTED", "CANCELING", "QUEUED"];
  const going = (b) => b.status === "REQUESTED" || b.status === "CANCELING";
  const href = (id) => "/backfills/" + encodeURIComponent(id);

  function bar(runs) {
    const total = Object.values(runs).reduce((a, b) => a + b, 0);
    if (!total) return '<div class="progress" title="no runs yet"></div>';
    const parts = ORDER.filter((s) => runs[s]).map((s) => {
      const css = s === "CANCELING" ? "started" : s.toLowerCase();
      return `<span class="p-${css}" style="width:${(100 * runs[s]) / total}%" title="${runs[s]} ${s.toLowerCase()}"></span>`;
    });
    const done = (runs.SUCCESS || 0) + (runs.FAILURE || 0) + (runs.CANCELED || 0);
    return `<div class="progress" title="${done}/${total} runs ended">${parts.join("")}</div>`;
  }

  function row(b) {
    return `<tr class="clickable" data-id="${esc(b.backfill_id)}">` +
      `<td><a class="mono" href="${href(b.backfill_id)}">${esc(b.backfill_id)}</a></td>` +
      `<td>${badge(b.status)}</td><td>${esc(fmtTime(b.created_at))}</td>` +
      `<td>${esc(b.partitions_text)}</td><td>${bar(b.runs || {})}</td>` +
      `<td title="${esc(b.selection)}"><code>${esc(b.selection)}</code></td></tr>`;
  }

  let timer = null;
  async function tick() {
    clearTimeout(timer);
    if (document.hidden) return;
    let items = [];
    try {
      items = await api("/api/backfills?limit=100");
      $("backfills-body").innerHTML = items.map(row).join("");
      $("backfills-empty").hidden = items.length > 0;
      $("backfills-count").textContent = items.length ? `(${items.length})` : "";
    } catch (error) {
      flash(error.message);
    }
    timer = setTimeout(tick, items.some(going) ? 2000 : 10000);
  }
  document.addEventListener("visibilitychange", () => { if (!document.hidden) tick(); });
  $("backfills-body").addEventListener("click", (e) => {
    const tr = e.target.closest("tr[data-id]");
    if (tr && !e.target.closest("a")) window.location.href = href(tr.dataset.id);
  });
  tick();
})();
