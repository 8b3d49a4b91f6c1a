// The catalog: every asset in one filterable, sortable table. The body is virtualised (only
// the rows in view exist), so 10,000 assets scroll smoothly. Search and sort live in the URL.
"use strict";

(() => {
  const { api, esc, fmtTime, badge, assetHref, runHref, flash } = upstream;
  const $ = (id) => document.getElementById(id);

  let assets = [];                   // one model per asset (see model())
  let shown = [];                    // the filtered, sorted rows
  const params = new URLSearchParams(location.search);
  const sort = { by: params.get("sort") || "key", dir: params.get("dir") === "desc" ? -1 : 1 };
  const table = upstream.virtualTable($("catalog-scroll"), $("catalog-body"), { colspan: 6, render: row });
  $("catalog-search").value = params.get("q") || "";

  // A row count is whichever of these names the latest materialization has (numeric), else
  // any numeric entry whose name ends like one ("order_rows", "record_count").
  const ROW_NAMES = ["rows", "row_count", "num_rows", "n_rows", "nrows", "rowcount", "record_count",
    "num_records", "records", "count"];
  function rowCount(metadata) {
    const numeric = Object.entries(metadata || {})
      .filter(([, v]) => v && (v.type === "int" || v.type === "float") && Number.isFinite(v.value));
    const byName = new Map(numeric.map(([k, v]) => [k.toLowerCase(), v.value]));
    for (const name of ROW_NAMES) if (byName.has(name)) return byName.get(name);
    const loose = numeric.find(([k]) => /(rows?|count|records?)$/i.test(k));
    return loose ? loose[1].value : null;
  }

  function model(a) {
    const m = a.last_materialization;
    const o = a.last_observation;  // an external asset's newest observation, if any
    return {
      key: a.key, group: a.group || "", description: a.description || "",
      at: m ? m.timestamp : (o ? o.timestamp : null), runId: a.last_run_id || (m && m.run_id) || null,
      // an external asset never materialized here shows as such, not as "never"
      status: a.is_external && !m && (a.status || "never") === "never" ? "external" : a.status || "never",
      rows: m ? rowCount(m.metadata) : null, kinds: a.kinds || [],
      // kinds, owners and tags are searchable too: "python team:sales" narrows to both.
      search: [a.key, a.group || "", a.description || "", ...(a.kinds || []), ...(a.owners || []),
        ...Object.entries(a.tags || {}).map(([k, v]) => (v ? `${k}=${v}` : k))].join("\n").toLowerCase(),
    };
  }

  function row(a) {
    const cut = a.key.lastIndexOf("/");  // a prefix ("sales/") is shown quieter than the name
    const name = cut < 0 ? esc(a.key) :
      `<span class="muted">${esc(a.key.slice(0, cut + 1))}</span>${esc(a.key.slice(cut + 1))}`;
    const status = a.runId ?
      `<a href="${runHref(a.runId)}" title="Run ${esc(a.runId)}">${badge(a.status)}</a>` : badge(a.status);
    return `<tr data-key="${esc(a.key)}">` +
      `<td title="${esc(a.key)}"><a href="${assetHref(a.key)}">${name}</a></td>` +
      `<td>${a.group ? `<span class="pill">${esc(a.group)}</span>` : ""}` +
      `${a.kinds.map((k) => ` <span class="chip kind" title="kind">${esc(k)}</span>`).join("")}</td>` +
      (a.description ? `<td title="${esc(a.description)}">${esc(a.description)}</td>` : '<td class="muted">-</td>') +
      (a.at == null ? '<td class="muted">never</td>' :
        `<td title="${esc(upstream.fmtAgo(a.at))}">${esc(fmtTime(a.at))}</td>`) +
      `<td>${status}</td>` +
      `<td class="num">${a.rows == null ? '<span class="muted">-</span>' : esc(upstream.fmtNumber(a.rows))}</td></tr>`;
  }

  // ---- Filtering and sorting ----

  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  const STATUS_RANK = { running: 0, failed: 1, materialized: 2, never: 3, external: 4 };
  function compare(a, b) {
    const x = a[sort.by];
    const y = b[sort.by];
    const missing = (v) => v == null || v === "";
    if (missing(x) || missing(y)) return missing(x) - missing(y) || collator.compare(a.key, b.key);  // blanks last
    let c;
    if (sort.by === "status") c = (STATUS_RANK[x] ?? 9) - (STATUS_RANK[y] ?? 9);
    else if (typeof x === "number") c = x - y;
    else c = collator.compare(x, y);
    return c * sort.dir || collator.compare(a.key, b.key);
  }

  function apply() {
    // Every word must match the key, group or description: "sales daily" narrows quickly.
    const words = $("catalog-search").value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    shown = words.length ? assets.filter((a) => words.every((w) => a.search.includes(w))) : assets.slice();
    shown.sort(compare);
    table.setItems(shown);

    const n = upstream.fmtNumber(shown.length);
    $("catalog-count").textContent = words.length ? `${n} of ${upstream.fmtNumber(assets.length)}` : `${n}`;
    const empty = $("catalog-empty");
    empty.hidden = shown.length > 0;
    empty.textContent = assets.length ? "No asset matches this filter." : "No assets are defined yet.";
    const button = $("materialize-shown");
    button.disabled = !shown.length;
    button.textContent = words.length ? `Materialize ${n} shown` : "Materialize all";

    for (const th of document.querySelectorAll("th[data-sort]")) {
      if (th.dataset.sort === sort.by) th.setAttribute("aria-sort", sort.dir > 0 ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    }
    const q = new URLSearchParams();
    if (words.length) q.set("q", $("catalog-search").value.trim());
    if (sort.by !== "key") q.set("sort", sort.by);
    if (sort.dir < 0) q.set("dir", "desc");
    history.replaceState(null, "", location.pathname + (q.toString() ? `?${q}` : ""));
  }

  document.querySelector("#catalog-table thead").addEventListener("click", (e) => {
    const th = e.target.closest("th[data-sort]");
    if (!th) return;
    if (sort.by === th.dataset.sort) sort.dir = -sort.dir;
    else {  // newest and biggest first is what one looks for in those columns
      sort.by = th.dataset.sort;
      sort.dir = ["at", "rows"].includes(sort.by) ? -1 : 1;
    }
    $("catalog-scroll").scrollTop = 0;
    apply();
  });
  $("catalog-search").addEventListener("input", () => { $("catalog-scroll").scrollTop = 0; apply(); });
  document.addEventListener("keydown", (e) => {  // "/" jumps to the filter, as on most catalogs
    if (e.key === "/" && document.activeElement.tagName !== "INPUT") { e.preventDefault(); $("catalog-search").focus(); }
  });

  $("materialize-shown").addEventListener("click", async () => {
    const button = $("materialize-shown");
    const filtered = shown.length !== assets.length;
    button.disabled = true;  // one click, one run
    await upstream.launch(filtered ? shown.map((a) => a.key).join(",") : "*");
    button.disabled = !shown.length;
  });

  // ---- Loading and live status ----

  async function load() {
    assets = (await api("/api/assets")).map(model);
    apply();
  }

  // /api/status is cheap: poll it, patch statuses in place, and refetch the full list only
  // when a materialization happened (its metadata may carry a new row count).
  const seenAt = new Map();  // key -> the status's "at" last polled; a change = new materialization
  async function pollStatus() {
    const { assets: live } = await api("/api/status");
    const first = seenAt.size === 0;
    let materialized = false;
    for (const [key, s] of Object.entries(live)) {
      if (!first && seenAt.get(key) !== s.at) materialized = true;
      seenAt.set(key, s.at);
    }
    if (materialized) { await load(); return; }
    let changed = false;
    for (const a of assets) {
      const s = live[a.key];
      if (s && a.status !== "external" && (s.status !== a.status || (s.run_id && s.run_id !== a.runId))) {
        a.status = s.status; a.runId = s.run_id || a.runId; changed = true;
      }
    }
    if (changed) { if (sort.by === "status") apply(); else table.redraw(); }
  }

  load().then(() => upstream.poll(pollStatus, 3000))
    .catch((error) => flash(error.message));
})();
