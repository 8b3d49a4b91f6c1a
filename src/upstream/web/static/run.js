// The run page: header and actions, a timeline of step attempts, the steps table with the
// selected step's logs, events and error, and the event log. While the run can still change
// it polls once a second (the run, then only the events after the last one seen).
"use strict";

(() => {
  const { api, post, esc, fmtTime, fmtDuration, runHref, assetHref, badge, flash, isActive } = upstream;
  const $ = (id) => document.getElementById(id);
  const runId = upstream.pathKey("/runs/");
  const apiBase = "/api/runs/" + encodeURIComponent(runId);

  let run = null;             // the latest GET /api/runs/<id>
  const events = [];          // every event so far, in id order
  const skippedAt = new Map(); // step key -> time of its STEP_SKIPPED event (a skipped step has no times)
  let lastEventId = 0;
  let selected = null;        // {key, attempt} of the step in the detail panel
  let userSelected = false;   // once the user picks a step, never auto-select another
  let detailSignature = "";   // what the detail panel shows, to skip identical redraws
  let stopPolling = null;
  let stepsTable = null;
  let eventsTable = null;

  const now = () => Date.now() / 1000;

  // Time of day (with milliseconds for the log): a run's events are usually seconds apart,
  // so the date only goes in tooltips.
  function clock(ts, ms = false) {
    if (ts == null) return "-";
    const d = new Date(ts * 1000);
    const p = (n, w = 2) => String(n).padStart(w, "0");
    const hms = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    return ms ? `${hms}.${p(d.getMilliseconds(), 3)}` : hms;
  }

  const sameStep = (s, sel) => sel && s.step_key === sel.key && s.attempt === sel.attempt;
  const findStep = (sel) => sel && run.steps.find((s) => sameStep(s, sel));

  // The newest attempt of each step: what "failed" and the counts are about.
  function latestAttempts() {
    const latest = new Map();
    for (const s of run.steps) {
      const seen = latest.get(s.step_key);
      if (!seen || s.attempt >= seen.attempt) latest.set(s.step_key, s);
    }
    return [...latest.values()];
  }

  // ---- Loading and polling ----

  async function refresh() {
    // The run first, then its events: the events are then at least as new as the run, so
    // the final poll of a run that just ended also gets its last events.
    run = await api(apiBase);
    const fresh = (await api(`${apiBase}/events?after=${lastEventId}`))
      .filter((e) => e.id > lastEventId);  // a concurrent refresh (Cancel) may have added them
    for (const e of fresh) {
      e.text = eventMessage(e);
      e.search = `${e.type} ${e.step_key || ""} ${e.text}`.toLowerCase();
      if (e.type === "STEP_SKIPPED" && e.step_key) skippedAt.set(e.step_key, e.timestamp);
      events.push(e);
    }
    if (fresh.length) lastEventId = fresh[fresh.length - 1].id;
    render(fresh.length > 0);
    if (!isActive(run.status) && stopPolling) { stopPolling(); stopPolling = null; }
  }

  async function start() {
    try {
      await refresh();
    } catch (error) {
      if (error.status === 404) showMissing(error.message);
      else flash(error.message);
      return;
    }
    if (isActive(run.status)) stopPolling = upstream.poll(refresh, 1000);
  }

  function showMissing(message) {
    const box = $("run-missing");
    box.innerHTML = `<h1>No run <span class="mono">${esc(runId)}</span></h1>` +
      `<p>${esc(message)}</p><p><a href="/runs">See all runs</a></p>`;
    box.hidden = false;
    document.title = "No such run · upstream";
  }

  function render(eventsChanged) {
    $("run-page").hidden = false;  // before the tables draw: they need their real height
    renderHead();
    renderGantt();
    renderSteps();
    if (eventsChanged) renderEvents();
    autoSelect();
    renderDetail();
  }

  // ---- Header and actions ----

  function renderHead() {
    const active = isActive(run.status);
    document.title = `Run ${upstream.shortId(run.run_id)} · upstream`;
    $("run-id").textContent = run.run_id;
    $("run-status").innerHTML = badge(run.status);

    const counts = {};
    for (const s of latestAttempts()) counts[s.status] = (counts[s.status] || 0) + 1;
    const words = { SUCCESS: "succeeded", FAILURE: "failed", SKIPPED: "skipped", QUEUED: active ? "in progress" : unfinished() };
    const stepText = Object.keys(words).filter((k) => counts[k])
      .map((k) => `${counts[k]} ${words[k]}`).join(" · ") || "none yet";
    const duration = run.duration ?? (active ? now() - run.created_at : null);
    const facts = [
      ["Selection", `<code>${esc(run.selection)}</code>`],
      ["Started", `<span title="${esc(upstream.fmtAgo(run.created_at))}">${esc(fmtTime(run.created_at))}</span>`],
      ["Ended", esc(fmtTime(run.ended_at))],
      ["Duration", esc(fmtDuration(duration)) + (active ? ' <span class="muted">(running)</span>' : "")],
      ["Steps", esc(stepText)],
      ["Code location", esc(run.code_location || "-")],
    ];
    if (run.partition != null) {
      const target = typeof run.partition === "string" ? run.partition : `${run.partition.start}...${run.partition.end}`;
      facts.push(["Partition", `<code>${esc(target)}</code>`]);
    }
    const backfill = run.tags && run.tags["dagster/backfill"];
    if (backfill) {
      facts.push(["Backfill", `<a id="run-backfill" class="mono" href="/backfills/${encodeURIComponent(backfill)}">${esc(backfill)}</a>`]);
    }
    if (run.tags && Object.keys(run.tags).length) {
      facts.push(["Tags", Object.entries(run.tags).map(([k, v]) => `<code>${esc(k)}=${esc(v)}</code>`).join(" ")]);
    }
    if (run.run_config && Object.keys(run.run_config).length) {
      facts.push(["Run config", `<pre class="run-config">${esc(JSON.stringify(run.run_config, null, 2))}</pre>`]);
    }
    $("run-facts").innerHTML = facts.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join("");

    const trace = $("trace-link");
    trace.hidden = !run.trace_url;
    if (run.trace_url) trace.href = run.trace_url;

    // Re-executing a run that is still going would race it: only once it has ended.
    const failed = latestAttempts().some((s) => s.status === "FAILURE" || s.status === "SKIPPED");
    const again = $("reexecute");
    again.disabled = active;
    again.title = active ? "The run has not ended yet" : "Run every step of this run again";
    const fromFailure = $("reexecute-failed");
    fromFailure.disabled = active || !failed;
    fromFailure.title = failed ? "Run only the failed and skipped steps again" : "No step failed or was skipped";
    const cancel = $("cancel-run");
    cancel.hidden = !active;
    cancel.disabled = run.status === "CANCELING";  // asked already: waiting for steps in flight
    cancel.textContent = run.status === "CANCELING" ? "Canceling…" : "Cancel";
  }

  // QUEUED means "not reported yet": in a live run the step is waiting or executing (the
  // API cannot tell which), in an ended one the run was canceled around it.
  const unfinished = () => (run.status === "CANCELED" ? "canceled" : "not run");
  function stepBadge(s) {
    if (s.status !== "QUEUED") return badge(s.status);
    return isActive(run.status) ? '<span class="badge status-running" title="waiting or executing">in progress</span>' :
      `<span class="badge status-canceled">${unfinished()}</span>`;
  }

  async function act(button, path, body, then) {
    button.disabled = true;
    try {
      then(await post(apiBase + path, body));
    } catch (error) {
      flash(error.message);
      button.disabled = false;
    }
  }

  function reexecute(button, fromFailure) {
    act(button, "/reexecute", { from_failure: fromFailure }, ({ run_ids }) => {
      if (run_ids.length) window.location.href = runHref(run_ids[0]);
    });
  }

  $("reexecute").addEventListener("click", (e) => reexecute(e.currentTarget, false));
  $("reexecute-failed").addEventListener("click", (e) => reexecute(e.currentTarget, true));
  $("cancel-run").addEventListener("click", (e) => act(e.currentTarget, "/cancel", {}, async ({ status }) => {
    flash(`Run ${String(status).toLowerCase()}.`, "ok");
    await refresh().catch((error) => flash(error.message));
  }));

  // ---- Timeline ----
  // One row per step attempt; bars are positioned in % of the track, so a resize needs no
  // redraw. Rows are absolutely placed and only those in view are built (10,000 steps ok).

  const ROW = 22;
  const gantt = { t0: 0, t1: 1, built: false };

  function renderGantt() {
    const box = $("gantt");
    const steps = run.steps;
    const active = isActive(run.status);
    let t0 = run.created_at ?? Infinity;
    let t1 = run.ended_at ?? -Infinity;
    let longest = 4;
    for (const s of steps) {
      if (s.queued_at != null && s.queued_at < t0) t0 = s.queued_at;
      const end = s.ended_at ?? s.started_at ?? s.queued_at;
      if (end != null && end > t1 && run.ended_at == null) t1 = end;
      if (s.step_key.length > longest) longest = s.step_key.length;
    }
    if (active) t1 = Math.max(t1, now());
    if (!Number.isFinite(t0)) t0 = now();
    if (!(t1 > t0)) t1 = t0 + 1;
    Object.assign(gantt, { t0, t1 });

    $("gantt-summary").textContent = steps.length ?
      `${steps.length.toLocaleString()} step attempt${steps.length === 1 ? "" : "s"} over ${fmtDuration(t1 - t0)}` : "";
    if (!steps.length) {
      gantt.built = false;
      box.style.height = "auto";
      box.innerHTML = `<div class="empty-state">${active ? "No step has been queued yet." : "This run has no steps."}</div>`;
      return;
    }
    if (!gantt.built) {
      box.innerHTML = '<div class="gantt-axis"><div class="gantt-scale"></div></div>' +
        '<div class="gantt-body"><div class="gantt-scale"></div><div class="gantt-left"></div><div class="gantt-rows"></div></div>';
      gantt.built = true;
    }
    box.style.setProperty("--label", `${Math.min(300, Math.max(140, longest * 7 + 30))}px`);
    box.style.height = `${Math.min(steps.length * ROW + 25, 330)}px`;
    box.querySelector(".gantt-body").style.height = `${steps.length * ROW}px`;

    // About seven ticks at a round interval.
    const span = t1 - t0;
    const nice = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300,
      600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
    const step = nice.find((n) => span / n <= 7) || span / 7;
    let ticks = "";
    for (let t = 0; t <= span + 1e-9; t += step) {
      ticks += `<div class="gantt-tick" style="left:${(t / span) * 100}%">${offsetLabel(t)}</div>`;
    }
    const [axis, grid] = box.querySelectorAll(".gantt-scale");
    axis.innerHTML = ticks;
    grid.innerHTML = ticks.replace(/>[^<]*</g, "><");  // the same lines without labels
    drawGanttRows();
  }

  function offsetLabel(t) {
    if (t === 0) return "0";
    if (t < 1) return `+${Math.round(t * 1000)} ms`;
    if (t < 60) return `+${+t.toFixed(2)} s`;
    const h = Math.floor(t / 3600);
    const m = Math.floor((t % 3600) / 60);
    const s = String(Math.round(t % 60)).padStart(2, "0");
    return h ? `+${h}:${String(m).padStart(2, "0")}:${s}` : `+${m}:${s}`;
  }

  function drawGanttRows() {
    const box = $("gantt");
    const rows = box.querySelector(".gantt-rows");
    if (!rows) return;
    const steps = run.steps;
    const top = Math.max(0, box.scrollTop - 24);
    const first = Math.max(0, Math.floor(top / ROW) - 10);
    const last = Math.min(steps.length, Math.ceil((top + box.clientHeight) / ROW) + 10);
    let html = "";
    for (let i = first; i < last; i++) {
      const s = steps[i];
      html += `<div class="gantt-row${sameStep(s, selected) ? " selected" : ""}" data-index="${i}" ` +
        `style="top:${i * ROW}px;height:${ROW}px" title="${esc(barTitle(s))}">` +
        `<div class="gantt-label" style="width:var(--label)">${esc(s.step_key)}</div>` +
        `<div class="gantt-track">${bars(s)}</div></div>`;
    }
    rows.innerHTML = html;
  }

  function bars(s) {
    const { t0, t1 } = gantt;
    const pct = (t) => ((t - t0) / (t1 - t0)) * 100;
    let out = "";
    const segment = (from, to, cls) => {
      if (from == null) return;
      const left = pct(from);
      const width = Math.max(0, pct(to ?? from) - left);
      out += `<div class="bar ${cls}" style="left:${left.toFixed(3)}%;width:${width.toFixed(3)}%"></div>`;
    };
    if (s.status === "QUEUED") {
      // Waiting or executing: we only learn which once it ends, so draw it as in progress.
      if (isActive(run.status)) segment(s.queued_at, now(), "bar-live");
      else segment(s.queued_at, run.ended_at ?? t1, "bar-canceled");
    } else if (s.status === "SKIPPED") {
      const at = s.ended_at ?? skippedAt.get(s.step_key) ?? s.queued_at ?? run.ended_at;
      segment(s.queued_at, at, "bar-queued");
      segment(at, null, "bar-skipped");
    } else {
      segment(s.queued_at, s.started_at ?? s.ended_at, "bar-queued");
      segment(s.started_at ?? s.queued_at, s.ended_at, `bar-${s.status.toLowerCase()}`);
    }
    return out;
  }

  function barTitle(s) {
    const lines = [`${s.step_key} (attempt ${s.attempt}): ${s.status.toLowerCase()}`];
    lines.push(`queued ${clock(s.queued_at, true)}`);
    if (s.started_at != null && s.queued_at != null) lines.push(`waited ${fmtDuration(s.started_at - s.queued_at)}`);
    if (s.duration != null) lines.push(`ran ${fmtDuration(s.duration)}`);
    if (s.skip_reason) lines.push(s.skip_reason);
    if (s.error) lines.push(`${s.error.type}: ${s.error.message}`);
    return lines.join("\n");
  }

  $("gantt").addEventListener("scroll", () => requestAnimationFrame(drawGanttRows), { passive: true });
  $("gantt").addEventListener("click", (e) => {
    const row = e.target.closest(".gantt-row");
    if (row) { const s = run.steps[+row.dataset.index]; select(s, { table: true }); }
  });

  // ---- Steps table ----

  function renderSteps() {
    if (!stepsTable) {
      stepsTable = upstream.virtualTable($("steps-scroll"), $("steps-body"), { colspan: 7, render: stepRow });
    }
    const status = $("step-status-filter").value;
    const q = $("step-search").value.trim().toLowerCase();
    const shown = run.steps.filter((s) => (!status || s.status === status) && (!q ||
      `${s.step_key} ${s.worker_id || ""} ${s.skip_reason || ""}`.toLowerCase().includes(q)));
    $("step-count").textContent = shown.length === run.steps.length ?
      `(${run.steps.length.toLocaleString()})` : `(${shown.length.toLocaleString()} of ${run.steps.length.toLocaleString()})`;
    stepsTable.setItems(shown);
  }

  function stepRow(s) {
    const classes = ["clickable"];
    if (s.status === "FAILURE") classes.push("step-failure");
    if (sameStep(s, selected)) classes.push("selected");
    let duration = esc(fmtDuration(s.duration));
    if (s.duration == null && s.status === "QUEUED" && isActive(run.status) && s.queued_at != null) {
      duration = `<span class="muted" title="waiting or running">${esc(fmtDuration(now() - s.queued_at))}…</span>`;
    }
    return `<tr class="${classes.join(" ")}" data-step="${esc(s.step_key)}" data-attempt="${s.attempt}">` +
      `<td title="${esc(s.step_key)}">${esc(s.step_key)}</td><td>${stepBadge(s)}</td>` +
      `<td class="num">${s.attempt}</td><td title="${esc(s.worker_id || "")}">${esc(s.worker_id || "-")}</td>` +
      `<td title="${esc(fmtTime(s.started_at))}">${clock(s.started_at)}</td><td class="num">${duration}</td>` +
      `<td title="${esc(s.skip_reason || "")}">${esc(s.skip_reason || "")}</td></tr>`;
  }

  $("steps-body").addEventListener("click", (e) => {
    const row = e.target.closest("tr[data-step]");
    if (row) select({ step_key: row.dataset.step, attempt: +row.dataset.attempt }, { gantt: true });
  });
  $("step-status-filter").addEventListener("change", () => run && renderSteps());
  $("step-search").addEventListener("input", () => run && renderSteps());

  // ---- Selection and the step detail panel ----

  function select(step, { table = false, gantt: toGantt = false, user = true } = {}) {
    selected = { key: step.step_key, attempt: step.attempt };
    if (user) userSelected = true;
    history.replaceState(null, "", `#step=${encodeURIComponent(step.step_key)}`);
    renderDetail();
    if (table) {
      const i = stepsTable.items.findIndex((s) => sameStep(s, selected));
      if (i >= 0) stepsTable.scrollTo(i); else stepsTable.redraw();
    } else stepsTable.redraw();
    const gi = run.steps.findIndex((s) => sameStep(s, selected));
    const box = $("gantt");
    if (toGantt && gi >= 0) {
      const y = gi * ROW;
      if (y < box.scrollTop || y > box.scrollTop + box.clientHeight - 24 - ROW) box.scrollTop = y - box.clientHeight / 2;
    }
    drawGanttRows();
    if ($("event-step-only").checked) renderEvents();
  }

  // Once: the step named in the URL (#step=key), else the first failed one, whose
  // traceback is what a reader of a failed run came for.
  function autoSelect() {
    if (userSelected || selected) return;
    const wanted = new URLSearchParams(location.hash.slice(1)).get("step");
    const step = (wanted && [...run.steps].reverse().find((s) => s.step_key === wanted)) ||
      run.steps.find((s) => s.status === "FAILURE");
    if (step) select(step, { table: true, gantt: true, user: false });
  }

  function renderDetail() {
    const box = $("step-detail");
    const s = findStep(selected);
    if (!s) {
      if (detailSignature !== "none") {
        box.innerHTML = '<div class="card-head"><h2>Step details</h2></div><div class="empty-state">' +
          "Select a step in the timeline or the table<br>to see its logs, events and error.</div>";
        detailSignature = "none";
      }
      return;
    }
    const mine = events.filter((e) => e.step_key === s.step_key);
    const signature = JSON.stringify(s) + mine.length;
    if (signature === detailSignature) return;  // keep scroll position and text selection
    detailSignature = signature;

    const facts = [
      ["Worker", esc(s.worker_id || "-")],
      ["Queued", esc(clock(s.queued_at, true))],
      ["Started", esc(clock(s.started_at, true))],
      ["Ended", esc(clock(s.ended_at, true))],
      ["Waited", esc(fmtDuration(s.started_at != null && s.queued_at != null ? s.started_at - s.queued_at : null))],
      ["Duration", esc(fmtDuration(s.duration))],
    ].map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join("");

    let body = `<dl class="facts facts-grid">${facts}</dl>`;
    if (s.error) {
      body += `<h3>Error</h3><div class="error-head">${esc(s.error.type)}: ` +
        `<span class="muted" style="white-space:pre-wrap">${esc(s.error.message)}</span></div>` +
        `<pre class="traceback">${esc(s.error.traceback || "(no traceback)")}</pre>`;
    }
    if (s.skip_reason) body += `<h3>Skipped</h3><div class="skip-reason">${esc(s.skip_reason)}</div>`;
    if (s.metadata && Object.keys(s.metadata).length) body += `<h3>Metadata</h3>${upstream.renderMetadata(s.metadata)}`;

    const logs = mine.filter((e) => e.type === "LOG");
    body += `<h3>Logs <span class="count">(${logs.length})</span></h3>`;
    body += logs.length ? logs.map((e) => {
      const level = String(e.data.level || "info").toLowerCase();
      return `<div class="log-line"><span class="mono muted">${clock(e.timestamp, true)}</span>` +
        `<span class="level level-${esc(level)}">${esc(level)}</span><span class="msg">${esc(e.data.message)}</span></div>`;
    }).join("") : '<p class="muted">No log lines.</p>';

    const other = mine.filter((e) => e.type !== "LOG");
    body += `<h3>Events <span class="count">(${other.length})</span></h3>`;
    body += other.length ? other.map((e) => `<div class="log-line"><span class="mono muted">${clock(e.timestamp, true)}</span>` +
      `<span class="etype etype-${esc(e.type)}" style="grid-column:span 1">${esc(e.type.replace(/^STEP_|^ASSET_/, ""))}</span>` +
      `<span class="msg">${esc(e.text)}</span></div>`).join("") : '<p class="muted">No events yet.</p>';

    box.innerHTML = `<div class="card-head"><h2 class="mono" title="${esc(s.step_key)}">${esc(s.step_key)}</h2>` +
      `${stepBadge(s)}<span class="count">attempt ${s.attempt}</span><span class="grow"></span>` +
      `${assetLinks(s)}</div><div class="detail-scroll" style="padding:12px 16px">${body}</div>`;
  }

  // A step's asset pages: the assets it made (a multi-asset's step, keyed by its op name,
  // makes several), else the asset its key names.
  function assetLinks(s) {
    const made = s.assets || [];
    if (!made.length || (made.length === 1 && made[0] === s.step_key)) {
      return `<a href="${assetHref(s.step_key)}">Asset</a>`;
    }
    return made.map((k) => `<a href="${assetHref(k)}">${esc(k)}</a>`).join(" ");
  }

  // ---- Event log ----

  function eventMessage(e) {
    const d = e.data || {};
    switch (e.type) {
      case "LOG": return String(d.message ?? "");
      case "STEP_FAILURE": return d.error ? `${d.error.type}: ${d.error.message}` : "failed";
      case "STEP_SKIPPED": return d.reason || "skipped";
      case "STEP_SUCCESS": return d.duration != null ? `succeeded in ${fmtDuration(d.duration)}` : "succeeded";
      case "ASSET_MATERIALIZATION": {
        const meta = Object.entries(d.metadata || {}).map(([k, v]) => `${k}=${JSON.stringify(v && v.value)}`);
        return `materialized ${d.asset_key || e.step_key || ""}${meta.length ? " · " + meta.join(", ") : ""}`;
      }
      case "RUN_STARTED": return d.selection != null ? `selection ${d.selection}` : "";
      default: return Object.keys(d).length ? JSON.stringify(d) : "";
    }
  }

  function eventRow(e) {
    const level = e.type === "LOG" ? String(e.data.level || "info").toLowerCase() : "";
    const firstLine = e.text.split("\n", 1)[0];
    const step = e.step_key ? `<a href="#" data-select="${esc(e.step_key)}">${esc(e.step_key)}</a>` : "";
    return `<tr><td class="mono" title="${esc(fmtTime(e.timestamp))}">${clock(e.timestamp, true)}</td>` +
      `<td><span class="etype etype-${esc(e.type)}">${esc(e.type)}</span></td>` +
      `<td title="${esc(e.step_key || "")}">${step}</td><td title="${esc(e.text)}">` +
      (level ? `<span class="level level-${esc(level)}">${esc(level)}</span> ` : "") + `${esc(firstLine)}</td></tr>`;
  }

  function renderEvents() {
    if (!eventsTable) {
      eventsTable = upstream.virtualTable($("events-scroll"), $("events-body"), { colspan: 4, render: eventRow });
    }
    const follow = eventsTable.items.length > 0 && eventsTable.atBottom();  // keep tailing a live log
    const q = $("event-search").value.trim().toLowerCase();
    const onlyStep = $("event-step-only").checked && selected ? selected.key : null;
    const shown = (q || onlyStep) ?
      events.filter((e) => (!q || e.search.includes(q)) && (!onlyStep || e.step_key === onlyStep)) : events.slice();
    $("event-count").textContent = shown.length === events.length ?
      `(${events.length.toLocaleString()})` : `(${shown.length.toLocaleString()} of ${events.length.toLocaleString()})`;
    eventsTable.setItems(shown);
    if (follow && isActive(run.status)) eventsTable.toBottom();
  }

  $("events-body").addEventListener("click", (e) => {
    const link = e.target.closest("a[data-select]");
    if (!link) return;
    e.preventDefault();
    const key = link.dataset.select;
    const step = [...run.steps].reverse().find((s) => s.step_key === key);  // its newest attempt
    if (step) select(step, { table: true, gantt: true });
  });
  $("event-search").addEventListener("input", () => run && renderEvents());
  $("event-step-only").addEventListener("change", () => run && renderEvents());

  start();
})();
