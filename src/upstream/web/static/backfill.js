// One backfill: its facts, a bar of its partitions by status, and each run unit with its
// run. Polls every 2 s until it ends. Cancel asks the backfill to stop.
"use strict";

(() => {
  const { api, post, esc, fmtTime, fmtDuration, badge, flash, runHref } = upstream;
  const $ = (id) => document.getElementById(id);
  const id = decodeURIComponent(location.pathname.split("/").pop());
  const ORDER = ["SUCCESS", "FAILURE", "CANCELED", "SKIPPED", "STARTED", "QUEUED", "PENDING"];
  const going = (b) => b.status === "REQUESTED" || b.status === "CANCELING";

  function render(b) {
    $("backfill-id").textContent = b.backfill_id;
    $("backfill-status").innerHTML = badge(b.status);
    $("backfill-cancel").hidden = !going(b) || b.status === "CANCELING";
    const took = b.ended_at == null ? null : b.ended_at - b.created_at;
    const facts = [
      ["Selection", `<code>${esc(b.selection)}</code>`],
      ["Partitions", esc(b.partitions_text)],
      ["Created", esc(fmtTime(b.created_at))],
      ["Duration", esc(fmtDuration(took))],
      ["Runs", `${b.units_done}/${b.units_total} done`],
      ["Code location", esc(b.code_location)],
    ];
    if (b.message) facts.push(["Message", esc(b.message)]);
    $("backfill-facts").innerHTML = facts.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join("");
    const counts = b.partition_counts;
    const total = Object.values(counts).reduce((x, y) => x + y, 0) || 1;
    $("backfill-progress").innerHTML = ORDER.filter((s) => counts[s]).map((s) =>
      `<span class="p-${s.toLowerCase()}" style="width:${(100 * counts[s]) / total}%" title="${counts[s]} ${s.toLowerCase()}"></span>`).join("");
    $("backfill-legend").textContent = ORDER.filter((s) => counts[s]).map((s) => `${counts[s]} ${s.toLowerCase()}`).join(" · ") + " partitions";
    $("units-body").innerHTML = b.units.map((u) => {
      const span = u.partition_range == null ? "-" : (u.partition_range[0] === u.partition_range[1] ? u.partition_range[0] : `${u.partition_range[0]}…${u.partition_range[1]}`);
      const run = u.run_id ? `<a class="mono" href="${runHref(u.run_id)}">${esc(upstream.shortId(u.run_id))}</a>` : "-";
      return `<tr data-unit="${esc(u.id)}"><td><code>${esc(u.selection)}</code></td><td>${esc(span)}</td><td>${badge(u.status)}</td><td>${run}</td></tr>`;
    }).join("");
  }

  let timer = null;
  async function tick() {
    clearTimeout(timer);
    try {
      const b = await api(`/api/backfills/${encodeURIComponent(id)}`);
      render(b);
      if (going(b)) timer = setTimeout(tick, 2000);
    } catch (error) {
      flash(error.message);
      timer = setTimeout(tick, 5000);
    }
  }
  $("backfill-cancel").addEventListener("click", async () => {
    try {
      await post(`/api/backfills/${encodeURIComponent(id)}/cancel`);
      tick();
    } catch (error) {
      flash(error.message);
    }
  });
  tick();
})();
