// Shared by every page: the API client, formatting, the navigation bar. No build step.
"use strict";

const upstream = (() => {
  async function request(method, path, body) {
    const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (method !== "GET") {
      init.headers["Content-Type"] = "application/json";
      init.headers["X-Upstream-CSRF"] = "1";
      init.body = JSON.stringify(body || {});
    }
    const response = await fetch(path, init);
    let data = null;
    try { data = await response.json(); } catch (_) { data = null; }
    if (response.status === 401 && window.location.pathname !== "/login") {
      // The token is missing or expired: log in, then come back here.
      window.location.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
    }
    if (!response.ok) {
      const message = (data && data.error) || `${response.status} ${response.statusText}`;
      const error = new Error(message);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  const api = (path) => request("GET", path);
  const post = (path, body) => request("POST", path, body);

  function esc(value) {
    return String(value ?? "").replace(/[&<>"']/g, (c) => (
      { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }

  function fmtTime(ts) {
    if (ts == null) return "-";
    const d = new Date(ts * 1000);
    const pad = (n) => String(n).padStart(2, "0");
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
      `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }

  function fmtDuration(seconds) {
    if (seconds == null) return "-";
    if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
    if (seconds < 60) return `${seconds.toFixed(2)} s`;
    const m = Math.floor(seconds / 60);
    return `${m} min ${Math.round(seconds - m * 60)} s`;
  }

  // Asset key -> URL path of its page (each part encoded; parts joined by "/").
  const assetHref = (key) => "/assets/" + key.split("/").map(encodeURIComponent).join("/");
  const runHref = (runId) => "/runs/" + encodeURIComponent(runId);

  // A status word as a coloured badge; CSS classes are status-<lowercase>.
  function badge(status) {
    const s = String(status || "never").toLowerCase();
    return `<span class="badge status-${esc(s)}">${esc(s)}</span>`;
  }

  // Metadata {name: {type, value}} as a definition list; each kind shown as Dagster's UI
  // shows it: URLs and assets and runs as links, tables as tables, timestamps as dates.
  function renderMetadata(metadata) {
    const names = Object.keys(metadata || {});
    if (!names.length) return '<p class="muted">no metadata</p>';
    const rows = names.map((name) => {
      const { type, value } = metadata[name] || {};
      return `<dt>${esc(name)}</dt><dd data-type="${esc(type)}">${metadataValue(type, value)}</dd>`;
    });
    return `<dl class="metadata">${rows.join("")}</dl>`;
  }

  const external = (href, text) => `<a href="${esc(href)}" rel="noopener noreferrer" target="_blank">${esc(text)}</a>`;
  const timeTag = (ts) => (typeof ts === "number" ?
    `<time datetime="${esc(new Date(ts * 1000).toISOString())}" title="${esc(fmtAgo(ts))}">${esc(fmtTime(ts))}</time>` : esc(ts));

  // One metadata value as HTML, by its type (model/metadata.py writes these shapes).
  function metadataValue(type, value) {
    switch (type) {
      case "url": return external(value, value);
      case "json": return `<code>${esc(JSON.stringify(value))}</code>`;
      case "md": return `<pre class="md">${esc(value)}</pre>`;
      case "path": return `<code>${esc(value)}</code>`;
      case "notebook": return `<code>${esc(value)}</code> <span class="pill">notebook</span>`;
      case "int": case "float": return esc(fmtNumber(value));
      case "bool": return esc(String(value));
      case "null": return '<span class="muted">null</span>';
      case "timestamp": return timeTag(value);
      case "asset": return `<a class="meta-asset" href="${assetHref(String(value))}">${esc(value)}</a>`;
      case "dagster_run": return `<a class="mono meta-run" href="${runHref(value)}" title="Run ${esc(value)}">${esc(shortId(value))}</a>`;
      case "python_artifact": return `<code>${esc(`${(value || {}).module}.${(value || {}).name}`)}</code>`;
      case "table": return metadataTable((value || {}).records || [], (value || {}).schema);
      case "table_schema": return schemaTable(value || {});
      default: return esc(typeof value === "object" ? JSON.stringify(value) : value);
    }
  }

  // Rows as a table; columns from the schema when there is one, else from the rows.
  function metadataTable(records, schema) {
    const columns = schema && schema.columns ? schema.columns.map((c) => c.name) :
      [...new Set(records.flatMap((r) => Object.keys(r)))];
    const head = columns.map((c) => `<th>${esc(c)}</th>`).join("");
    const body = records.map((r) => `<tr>${columns.map((c) => `<td>${r[c] == null ? '<span class="muted">null</span>' : esc(r[c])}</td>`).join("")}</tr>`).join("");
    return `<table class="meta-table"><thead><tr>${head}</tr></thead><tbody>${body ||
      `<tr><td colspan="${columns.length || 1}" class="muted">no rows</td></tr>`}</tbody></table>`;
  }

  // A schema: one row per column with its type, constraints and description.
  function schemaTable(schema) {
    const rows = (schema.columns || []).map((c) => {
      const k = c.constraints || {};
      const notes = [k.nullable === false ? "not null" : "", k.unique ? "unique" : "", ...(k.other || [])].filter(Boolean);
      return `<tr><td>${esc(c.name)}</td><td><code>${esc(c.type)}</code></td><td>${esc(notes.join(", "))}</td>` +
        `<td>${esc(c.description || "")}</td></tr>`;
    }).join("");
    const other = ((schema.constraints || {}).other || []);
    return `<table class="meta-table meta-schema"><thead><tr><th>Column</th><th>Type</th><th>Constraints</th>` +
      `<th>Description</th></tr></thead><tbody>${rows}</tbody></table>` +
      (other.length ? `<p class="muted">Table constraints: ${esc(other.join("; "))}</p>` : "");
  }

  // Metadata as compact "name value" chips, for table cells where a <dl> is too tall.
  function metadataInline(metadata) {
    const names = Object.keys(metadata || {});
    if (!names.length) return '<span class="muted">-</span>';
    return names.map((name) => {
      const { type, value } = metadata[name] || {};
      let inner;
      if (type === "url") inner = external(value, clip(String(value)));
      else if (type === "asset" || type === "dagster_run" || type === "timestamp") inner = metadataValue(type, value);
      else if (type === "table") inner = esc(`${((value || {}).records || []).length} rows`);
      else if (type === "table_schema") inner = esc(`${((value || {}).columns || []).length} columns`);
      else if (type === "python_artifact") inner = esc(`${(value || {}).module}.${(value || {}).name}`);
      else if ((type === "int" || type === "float") && typeof value === "number") inner = esc(fmtNumber(value));
      else inner = esc(clip(type === "json" ? JSON.stringify(value) : String(value ?? "")));
      return `<span class="chip"><span class="chip-name">${esc(name)}</span> ${inner}</span>`;
    }).join(" ");
  }

  const clip = (text) => (text.length > 60 ? text.slice(0, 57) + "…" : text);

  // 1234567 -> "1,234,567"; floats keep at most 3 decimals.
  const fmtNumber = (n) => (typeof n === "number"
    ? n.toLocaleString("en-US", { maximumFractionDigits: 3 }) : String(n ?? "-"));

  // "3 min ago" style, for places where the exact time goes in a tooltip.
  function fmtAgo(ts) {
    if (ts == null) return "-";
    const s = Math.max(0, Date.now() / 1000 - ts);
    if (s < 45) return "just now";
    const units = [[86400 * 365, "y"], [86400 * 30, "mo"], [86400, "d"], [3600, "h"], [60, "min"]];
    for (const [size, unit] of units) if (s >= size) return `${Math.floor(s / size)} ${unit} ago`;
    return "just now";
  }

  const shortId = (runId) => String(runId || "").slice(0, 8);
  // A run in one of these states may still change: pages poll while they see one.
  const isActive = (status) => ["QUEUED", "STARTED", "CANCELING"].includes(status);

  // The rest of location.pathname after `prefix`, each part URL-decoded: "/assets/a/b" -> "a/b".
  function pathKey(prefix) {
    return window.location.pathname.slice(prefix.length).split("/").filter((p) => p !== "")
      .map((p) => { try { return decodeURIComponent(p); } catch (_) { return p; } }).join("/");
  }

  // A table body that renders only the rows in view (plus a margin) between two spacer rows,
  // so 10,000 rows cost a few dozen DOM nodes. `scroller` is the element that scrolls (fixed
  // height); every row must have the same height (cells do not wrap: see .vtable in app.css).
  // render(item, index) returns one "<tr>...</tr>" string.
  function virtualTable(scroller, tbody, { rowHeight = 33, colspan = 1, render, overscan = 12 }) {
    let items = [];
    let drawn = "";
    let measured = false;
    let frame = 0;
    const spacer = (h) => (h > 0 ? `<tr class="vspacer" style="height:${h}px"><td colspan="${colspan}"></td></tr>` : "");

    function draw(force) {
      const top = scroller.scrollTop;
      const first = Math.max(0, Math.floor(top / rowHeight) - overscan);
      const last = Math.min(items.length, Math.ceil((top + scroller.clientHeight) / rowHeight) + overscan);
      const span = `${first}:${last}:${items.length}`;
      if (!force && span === drawn) return;  // scrolled within the rendered margin
      drawn = span;
      let html = spacer(first * rowHeight);
      for (let i = first; i < last; i++) html += render(items[i], i);
      tbody.innerHTML = html + spacer((items.length - last) * rowHeight);
      // Fonts and zoom decide the real row height: measure it once, then lay out again.
      if (!measured && last > first) {
        const row = tbody.querySelector("tr:not(.vspacer)");
        const h = row && row.getBoundingClientRect().height;
        if (h) { measured = true; if (Math.abs(h - rowHeight) > 0.5) { rowHeight = h; draw(true); } }
      }
    }
    const schedule = () => { cancelAnimationFrame(frame); frame = requestAnimationFrame(() => draw(false)); };
    scroller.addEventListener("scroll", schedule, { passive: true });
    new ResizeObserver(schedule).observe(scroller);

    return {
      setItems(list) { items = list; draw(true); },
      redraw() { draw(true); },
      get items() { return items; },
      // Bring row `index` into view (e.g. the step selected elsewhere), centred if it was hidden.
      scrollTo(index) {
        const y = index * rowHeight;
        const head = scroller.querySelector("thead");
        const headH = head ? head.getBoundingClientRect().height : 0;
        if (y < scroller.scrollTop || y + rowHeight > scroller.scrollTop + scroller.clientHeight - headH) {
          scroller.scrollTop = Math.max(0, y - scroller.clientHeight / 2);
        }
        draw(true);
      },
      atBottom: () => scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - rowHeight,
      toBottom() { scroller.scrollTop = scroller.scrollHeight; draw(true); },
    };
  }

  // The message line at the top of the page (errors and confirmations).
  function flash(message, kind = "error") {
    const box = document.getElementById("flash");
    if (!box) return;
    box.className = `flash flash-${kind}`;
    box.textContent = message;
    box.hidden = !message;
    // Confirmations fade after a few seconds; errors stay until the next message.
    clearTimeout(flash.timer);
    if (kind === "ok" && message) flash.timer = setTimeout(() => { box.hidden = true; }, 5000);
  }

  // Launch a run for `selection`; on success go to its page. A selection of partitioned
  // assets first asks which partition (or range) the run takes; `preset` ({start, end},
  // e.g. a stretch clicked on the partition status bar) fills the dialog in.
  async function launch(selection, preset) {
    try {
      const body = { selection };
      const choice = await api(`/api/selection?q=${encodeURIComponent(selection)}`);
      if (choice.partitions_error) { flash(choice.partitions_error); return []; }
      if (choice.partitions) {
        const partition = await pickPartition(choice.partitions, preset);
        if (partition === undefined) return [];  // canceled
        if (partition.backfill) {  // a run per partition (BackfillPolicy), not one run
          const partitions = { range: partition.backfill };
          const { backfill_id } = await post("/api/backfills", { selection, partitions });
          window.location.href = `/backfills/${encodeURIComponent(backfill_id)}`;
          return [];
        }
        body.partition = partition;
      }
      const { run_ids } = await post("/api/runs", body);
      if (run_ids.length === 1) window.location.href = runHref(run_ids[0]);
      else { flash(`launched ${run_ids.length} runs`, "ok"); }
      return run_ids;
    } catch (error) {
      flash(error.message);
      return [];
    }
  }

  // The launch dialog's partition picker: resolves to a key, {start, end} (one run),
  // {backfill: [start, end]} (a backfill), or undefined (canceled). Keys come from the
  // selection's definition (typed when there are too many).
  function pickPartition(p, preset) {
    return new Promise((resolve) => {
      const dialog = document.createElement("dialog");
      dialog.className = "partition-dialog";
      const field = (id, value) => p.keys
        ? `<select id="${id}">${p.keys.map((k) => `<option${k === value ? " selected" : ""}>${esc(k)}</option>`).join("")}</select>`
        : `<input id="${id}" value="${esc(value || "")}" placeholder="${esc(p.first || "")}">`;
      dialog.innerHTML = `<form method="dialog">
        <h3>Partition</h3>
        <p class="muted">${esc(p.assets.join(", "))}: ${esc(p.definition)}, ${p.count} partitions</p>
        <label>From ${field("partition-start", preset ? preset.start : p.last)}</label>
        <label>to ${field("partition-end", preset ? preset.end : p.last)}</label>
        <p><button type="button" id="partition-all">All partitions</button></p>
        <p><button value="launch" class="primary">Launch</button> <button value="backfill" title="runs cut by each asset's BackfillPolicy: a run per partition by default">Launch as backfill</button> <button value="cancel">Cancel</button></p>
      </form>`;
      document.body.appendChild(dialog);
      const start = dialog.querySelector("#partition-start");
      const end = dialog.querySelector("#partition-end");
      dialog.querySelector("#partition-all").onclick = () => { start.value = p.first; end.value = p.last; };
      dialog.addEventListener("close", () => {
        dialog.remove();
        const [a, b] = [start.value.trim(), end.value.trim() || start.value.trim()];
        if (dialog.returnValue === "backfill") { resolve({ backfill: [a, b] }); return; }
        if (dialog.returnValue !== "launch") { resolve(undefined); return; }
        resolve(a === b ? a : { start: a, end: b });
      });
      if (p.count === 0) { flash(`${p.definition} has no partitions yet`); dialog.remove(); resolve(undefined); return; }
      dialog.showModal();
    });
  }

  // Fills <nav id="nav">: links, the active page, dev-mode reload, a code location error.
  async function initNav() {
    const nav = document.getElementById("nav");
    if (!nav) return;
    const here = window.location.pathname;
    const links = [["/", "Asset graph"], ["/catalog", "Catalog"], ["/runs", "Runs"], ["/backfills", "Backfills"]];
    nav.innerHTML = '<a class="brand" href="/">upstream</a>' + links.map(([href, label]) => {
      const active = href === "/" ? (here === "/") :
        here.startsWith(href) || (href === "/catalog" && here.startsWith("/assets/"));
      return `<a href="${href}" class="${active ? "active" : ""}">${label}</a>`;
    }).join("") + '<span class="spacer"></span><span id="nav-location" class="muted"></span>';
    try {
      const info = await api("/api/info");
      const names = info.code_locations.map((l) => l.name).join(", ");
      document.getElementById("nav-location").textContent = names;
      if (info.mode === "dev") {
        const button = document.createElement("button");
        button.id = "reload";
        button.textContent = "Reload definitions";
        button.onclick = async () => {
          try {
            const after = await post("/api/reload");
            showLoadErrors(after);
            if (!after.code_locations.some((l) => l.load_error)) window.location.reload();
          } catch (error) { flash(error.message); }
        };
        nav.appendChild(button);
        // The code reloads itself when its files change: show a new import error (or its
        // fix) without waiting for the user to navigate.
        setTimeout(() => poll(async () => showLoadErrors(await api("/api/info")), 3000), 3000);
      }
      showLoadErrors(info);
    } catch (error) {
      flash(error.message);
    }
  }

  function showLoadErrors(info) {
    const failed = info.code_locations.filter((l) => l.load_error);
    let box = document.getElementById("load-error");
    if (!failed.length) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("pre");
      box.id = "load-error";
      box.className = "load-error";
      document.body.insertBefore(box, document.querySelector("main"));
    }
    box.textContent = failed.map((l) => `${l.name} failed to load:\n${l.load_error}`).join("\n\n");
  }

  // Calls `fn` now and every `ms` while the page is visible; returns a stop function.
  function poll(fn, ms) {
    let timer = null;
    let stopped = false;
    const tick = async () => {
      if (stopped) return;
      if (!document.hidden) { try { await fn(); } catch (error) { flash(error.message); } }
      if (!stopped) timer = setTimeout(tick, ms);
    };
    tick();
    return () => { stopped = true; clearTimeout(timer); };
  }

  document.addEventListener("DOMContentLoaded", initNav);
  return { api, post, esc, fmtTime, fmtDuration, assetHref, runHref, badge, renderMetadata,
           flash, launch, poll,
           metadataInline, fmtNumber, fmtAgo, shortId, isActive, pathKey, virtualTable };
})();
