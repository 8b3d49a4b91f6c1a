// One asset: its definition, lineage, latest materialization, a chart per numeric metadata
// entry over time, and the materialization history. Reloads when its status changes.
"use strict";

(() => {
  const { api, esc, fmtTime, fmtDuration, assetHref, runHref, badge, renderMetadata, flash } = upstream;
  const $ = (id) => document.getElementById(id);
  const key = upstream.pathKey("/assets/");
  const apiPath = "/api" + assetHref(key);
  let lastSeen = null;  // the asset's /api/status entry, to notice a change

  const runLink = (runId) => (runId ?
    `<a class="mono" href="${runHref(runId)}" title="Run ${esc(runId)}">${esc(upstream.shortId(runId))}</a>` :
    '<span class="muted">-</span>');
  // renderMetadata, but a quiet "none" inside the cards instead of its paragraph.
  const metadata = (m) => (Object.keys(m || {}).length ? renderMetadata(m) : '<span class="muted">none</span>');
  const facts = (pairs) => `<dl class="metadata">${pairs.map(([k, v]) => `<dt>${k}</dt><dd>${v}</dd>`).join("")}</dl>`;

  async function load() {
    const asset = await api(apiPath);  // first: a 404 here needs no history request
    const history = await api(`${apiPath}/materializations?limit=100`);
    // An external asset is produced elsewhere: its observations are what upstream knows of it.
    const observed = asset.is_external ? await api(`${apiPath}/observations?limit=100`) : [];
    render(asset, history);
    renderExternal(asset, observed);
    // A partitioned asset: its partitions' status bar (partitions.js).
    if (asset.partitions_def) {
      const partitions = await api(`${apiPath}/partitions`);
      upstreamPartitions.render($("partitions-section"), asset.key, partitions);
    }
  }

  // External assets (AssetSpec, SourceAsset): never materialized here, so no Materialize
  // buttons; an observable one shows its newest data version and its observations.
  function renderExternal(asset, observed) {
    for (const id of ["materialize", "materialize-upstream"]) $(id).hidden = asset.is_external;
    $("observations-section").hidden = !asset.is_external;
    if (!asset.is_external) return;
    $("asset-status").innerHTML += ` ${badge("external")}`;
    const o = asset.last_observation;
    const how = asset.execution_type === "observation" ?
      "Observable: record its data version with <code>upstream observe</code>." :
      "Produced outside upstream; downstream assets load it through its IO manager.";
    $("asset-latest").innerHTML = (o ? facts([
      ["Observed", `${esc(fmtTime(o.timestamp))} <span class="muted">(${esc(upstream.fmtAgo(o.timestamp))})</span>`],
      ["Data version", o.data_version ? `<code>${esc(o.data_version)}</code>` : "-"],
    ]) + `<h3>Metadata</h3>${metadata(o.metadata)}` : `<p class="muted" style="margin:0">${how}</p>`);
    $("latest-title").textContent = "Latest observation";
    $("observations-count").textContent = `(${observed.length})`;
    $("observations-body").innerHTML = observed.length ? observed.map((h) => `<tr>` +
      `<td title="${esc(upstream.fmtAgo(h.timestamp))}">${esc(fmtTime(h.timestamp))}</td>` +
      `<td>${h.data_version ? `<code>${esc(h.data_version)}</code>` : "-"}</td>` +
      `<td style="white-space:normal">${upstream.metadataInline(h.metadata)}</td></tr>`).join("") :
      `<tr><td colspan="3" class="empty-state">${how}</td></tr>`;
  }

  function render(asset, history) {
    $("asset-page").hidden = false;
    document.title = `${asset.key} · upstream`;
    const cut = asset.key.lastIndexOf("/");
    $("asset-key").innerHTML = cut < 0 ? esc(asset.key) :
      `<span class="muted">${esc(asset.key.slice(0, cut + 1))}</span>${esc(asset.key.slice(cut + 1))}`;
    $("asset-group").innerHTML = asset.group ? ` <span class="muted">/</span> group <b>${esc(asset.group)}</b>` : "";
    $("asset-status").innerHTML = asset.last_run_id ?
      `<a href="${runHref(asset.last_run_id)}" title="The run behind this status">${badge(asset.status)}</a>` : badge(asset.status);
    $("asset-description").textContent = asset.description || "";

    const m = asset.last_materialization;
    $("asset-latest").innerHTML = m ? facts([
      ["Time", `${esc(fmtTime(m.timestamp))} <span class="muted">(${esc(upstream.fmtAgo(m.timestamp))})</span>`],
      ["Run", runLink(m.run_id)],
      ["Duration", esc(fmtDuration(m.duration))],
    ]) + `<h3>Metadata</h3>${metadata(m.metadata)}` : '<p class="muted" style="margin:0">Never materialized.</p>';

    const tags = Object.entries(asset.tags || {});
    $("asset-definition").innerHTML = facts([
      ["Group", asset.group ? `<span class="pill">${esc(asset.group)}</span>` : "-"],
      ["Code location", esc(asset.code_location || "-")],
      ["Code version", asset.code_version ? `<code title="${esc(asset.code_version)}">${esc(asset.code_version)}</code>` : "-"],
      ["Kinds", (asset.kinds || []).length ? asset.kinds.map((k) => `<span class="chip kind">${esc(k)}</span>`).join(" ") :
        '<span class="muted">none</span>'],
      ["Owners", (asset.owners || []).length ? asset.owners.map((o) => (o.startsWith("team:") ?
        `<span class="chip owner">${esc(o)}</span>` : `<a class="chip owner" href="mailto:${esc(o)}">${esc(o)}</a>`)).join(" ") :
        '<span class="muted">none</span>'],
      ["Tags", tags.length ? tags.map(([k, v]) => `<span class="chip tag"><span class="chip-name">${esc(k)}</span> ${esc(v)}</span>`).join(" ") :
        '<span class="muted">none</span>'],
    ]) + `<h3>Definition metadata</h3>${metadata(asset.definition_metadata)}`;

    const links = (keys) => (keys && keys.length ?
      `<ul class="links">${keys.map((k) => `<li><a href="${assetHref(k)}">${esc(k)}</a></li>`).join("")}</ul>` :
      '<p class="muted" style="margin:0">none</p>');
    $("asset-lineage").innerHTML = `<h3>Upstream (${(asset.upstreams || []).length})</h3>${links(asset.upstreams)}` +
      `<h3>Downstream (${(asset.downstreams || []).length})</h3>${links(asset.downstreams)}`;

    $("history-count").textContent = `(${history.length}${history.length >= 100 ? ", newest" : ""})`;
    $("history-body").innerHTML = history.length ? history.map((h) => `<tr>` +
      `<td title="${esc(upstream.fmtAgo(h.timestamp))}">${esc(fmtTime(h.timestamp))}</td><td>${runLink(h.run_id)}</td>` +
      `<td class="num">${esc(fmtDuration(h.duration))}</td>` +
      `<td style="white-space:normal">${upstream.metadataInline(h.metadata)}</td></tr>`).join("") :
      '<tr><td colspan="4" class="empty-state">No materializations yet: press Materialize.</td></tr>';

    renderCharts(history);
  }

  // ---- Charts: one per numeric metadata name, oldest to newest ----

  function renderCharts(history) {
    const series = new Map();  // name -> [{t, v, run}]
    for (const h of [...history].reverse()) {
      for (const [name, entry] of Object.entries(h.metadata || {})) {
        // NaN and infinities arrive as text under type float: they cannot be plotted.
        if (!entry || (entry.type !== "int" && entry.type !== "float") || !Number.isFinite(entry.value)) continue;
        if (!series.has(name)) series.set(name, []);
        series.get(name).push({ t: h.timestamp, v: entry.value, run: h.run_id });
      }
    }
    $("charts-section").hidden = series.size === 0;
    $("asset-charts").innerHTML = [...series].map(([name, points]) => {
      const latest = points[points.length - 1].v;
      return `<div class="chart" data-metadata="${esc(name)}"><h3>${esc(name)} ` +
        `<span class="count">latest ${esc(upstream.fmtNumber(latest))}</span></h3>${chart(points)}</div>`;
    }).join("");
  }

  const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 2 });

  function chart(points) {
    const W = 320, H = 130, L = 52, R = 12, T = 10, B = 22;
    const ts = points.map((p) => p.t);
    const vs = points.map((p) => p.v);
    const tMin = Math.min(...ts), tMax = Math.max(...ts);
    const vMin = Math.min(...vs), vMax = Math.max(...vs);
    const x = (t) => (tMax > tMin ? L + ((t - tMin) / (tMax - tMin)) * (W - L - R) : (L + W - R) / 2);
    const y = (v) => (vMax > vMin ? T + (1 - (v - vMin) / (vMax - vMin)) * (H - T - B) : (T + H - B) / 2);
    const xy = points.map((p) => [x(p.t).toFixed(1), y(p.v).toFixed(1)]);
    const line = xy.map(([a, b], i) => `${i ? "L" : "M"}${a},${b}`).join("");
    const area = points.length > 1 ? `<path class="area" d="${line}L${xy[xy.length - 1][0]},${H - B}L${xy[0][0]},${H - B}Z"/>` : "";
    const num = (v) => esc(upstream.fmtNumber(v));
    const short = (v) => esc(compact.format(v));  // axis labels: "9.6M" fits, "9,567,720" may not
    // Short enough for an axis: the time of day within a day, else "MM-DD HH:MM".
    const date = (t) => esc(tMax - tMin < 86400 ? fmtTime(t).slice(11) : fmtTime(t).slice(5, 16));
    // A few hundred points still read as a line; the dots are for hovering and clicking.
    const dots = points.map((p, i) => `<a href="${runHref(p.run)}"><circle cx="${xy[i][0]}" cy="${xy[i][1]}" r="${points.length > 60 ? 2 : 3}">` +
      `<title>${esc(fmtTime(p.t))}\n${num(p.v)}\nrun ${esc(upstream.shortId(p.run))}</title></circle></a>`).join("");
    return `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="metadata over time">` +
      `<line class="axis" x1="${L}" y1="${T}" x2="${L}" y2="${H - B}"/>` +
      `<line class="axis" x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}"/>` +
      `<text x="${L - 6}" y="${(vMax > vMin ? T : y(vMax)) + 4}" text-anchor="end">${short(vMax)}</text>` +
      (vMax > vMin ? `<text x="${L - 6}" y="${H - B}" text-anchor="end">${short(vMin)}</text>` : "") +
      `<text x="${L}" y="${H - 6}">${date(tMin)}</text>` +
      (tMax > tMin ? `<text x="${W - R}" y="${H - 6}" text-anchor="end">${date(tMax)}</text>` : "") +
      `${area}<path class="line" d="${line}"/>${dots}</svg>`;
  }

  // ---- Actions ----

  $("materialize").addEventListener("click", () => upstream.launch(key));
  // A stretch selected on the partition status bar (click, shift-click to extend): its
  // button launches it, the launch dialog filled in with its first and last key.
  let picked = null;
  document.addEventListener("upstream:partition-range", (event) => {
    if (event.detail.asset !== key) return;
    picked = { start: event.detail.start, end: event.detail.end };
    $("launch-partitions").hidden = false;
  });
  $("launch-partitions").addEventListener("click", () => picked && upstream.launch(key, picked));
  $("materialize-upstream").addEventListener("click", () => upstream.launch(`*${key}`));
  $("materialize-downstream").addEventListener("click", () => upstream.launch(`${key}*`));

  // ---- Start, then follow /api/status: reload when this asset's entry changes ----

  async function watch() {
    const entry = (await api("/api/status")).assets[key];
    const seen = JSON.stringify(entry || null);
    if (lastSeen !== null && seen !== lastSeen) await load();
    lastSeen = seen;
  }

  load().then(() => upstream.poll(watch, 2000)).catch((error) => {
    if (error.status !== 404) { flash(error.message); return; }
    const box = $("asset-missing");
    box.innerHTML = `<h1>No asset <span class="mono">${esc(key)}</span></h1><p>${esc(error.message)}</p>` +
      '<p><a href="/catalog">Browse the catalog</a></p>';
    box.hidden = false;
    document.title = "No such asset · upstream";
  });
})();
