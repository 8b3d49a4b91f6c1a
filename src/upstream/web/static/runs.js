// The runs list, newest first, filtered by status (kept in the URL as ?status=). Polls every
// 2 s while a run it shows can still change, every 10 s otherwise (to notice new runs).
"use strict";

(() => {
  const { api, esc, fmtTime, fmtDuration, runHref, badge, flash, isActive } = upstream;
  const $ = (id) => document.getElementById(id);
  const PAGE = 50;

  const params = new URLSearchParams(location.search);
  let status = (params.get("status") || "").toUpperCase();
  let limit = Math.max(PAGE, parseInt(params.get("limit"), 10) || PAGE);
  let runs = [];
  let timer = null;
  $("status-filter").value = status;

  const liveDuration = (r) => (r.duration ?? (isActive(r.status) && r.created_at != null ? Date.now() / 1000 - r.created_at : null));

  function row(r) {
    const active = isActive(r.status);
    return `<tr class="clickable" data-run-id="${esc(r.run_id)}">` +
      `<td><a class="mono" href="${runHref(r.run_id)}" title="${esc(r.run_id)}">${esc(upstream.shortId(r.run_id))}</a></td>` +
      `<td>${badge(r.status)}</td>` +
      `<td title="${esc(upstream.fmtAgo(r.created_at))}">${esc(fmtTime(r.created_at))}</td>` +
      `<td class="num"${active ? ' data-live="1"' : ""}>${esc(fmtDuration(liveDuration(r)))}</td>` +
      `<td title="${esc(r.selection)}"><code>${esc(r.selection)}</code></td>` +
      `<td class="num">${esc(upstream.fmtNumber(r.step_count))}</td>` +
      `<td title="${esc(r.code_location || "")}">${esc(r.code_location || "-")}</td></tr>`;
  }

  function render() {
    $("runs-body").innerHTML = runs.map(row).join("");
    const empty = $("runs-empty");
    empty.hidden = runs.length > 0;
    empty.textContent = status ? `No ${status.toLowerCase()} runs.` : "No runs yet: materialize something from the catalog or the asset graph.";
    $("runs-count").textContent = runs.length ? `(${runs.length}${runs.length >= limit ? "+" : ""})` : "";
    $("runs-more").hidden = runs.length < limit;  // a full page: there may be more
  }

  // Poll on a timer whose period depends on what is shown. A filter change starts a new
  // generation: an older answer still in flight is dropped and its loop ends. A hidden tab
  // stops polling until it is shown again.
  let generation = 0;
  async function tick() {
    const mine = ++generation;
    clearTimeout(timer);
    if (document.hidden) return;
    const q = new URLSearchParams({ limit: String(limit) });
    if (status) q.set("status", status);
    try {
      const fresh = await api(`/api/runs?${q}`);
      if (mine !== generation) return;
      runs = fresh;
      render();
    } catch (error) {
      if (mine !== generation) return;
      flash(error.message);
    }
    timer = setTimeout(tick, runs.some((r) => isActive(r.status)) ? 2000 : 10000);
  }
  document.addEventListener("visibilitychange", () => { if (!document.hidden) tick(); });

  // Durations of running runs count up between polls.
  setInterval(() => {
    for (const cell of document.querySelectorAll("td[data-live]")) {
      const r = runs.find((x) => x.run_id === cell.parentElement.dataset.runId);
      if (r) cell.textContent = fmtDuration(liveDuration(r));
    }
  }, 1000);

  function updateUrl() {
    const q = new URLSearchParams();
    if (status) q.set("status", status);
    if (limit !== PAGE) q.set("limit", String(limit));
    history.replaceState(null, "", location.pathname + (q.toString() ? `?${q}` : ""));
  }

  $("status-filter").addEventListener("change", (e) => {
    status = e.target.value;
    limit = PAGE;
    updateUrl();
    tick();
  });
  $("runs-more").addEventListener("click", () => { limit += PAGE; updateUrl(); tick(); });
  // The whole row opens the run (the id is also a real link, for new tabs).
  $("runs-body").addEventListener("click", (e) => {
    const tr = e.target.closest("tr[data-run-id]");
    if (tr && !e.target.closest("a") && !window.getSelection().toString()) window.location.href = runHref(tr.dataset.runId);
  });

  tick();
})();
