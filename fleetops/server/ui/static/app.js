// The fleetops dashboard: fills the server-rendered page shells from /api/v1 with the token kept
// in this tab's session storage (never in a URL). Live pages read /api/v1/events with fetch and
// the Authorization header (EventSource cannot send one). No framework, no build step.
"use strict";

const TOKEN = "fleetops.token";
const WHO = "fleetops.who";
const RANK = { viewer: 0, operator: 1, admin: 2 };
const RECONNECT_MS = 2000;

// -- small DOM helpers -------------------------------------------------------------------------

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value === true ? "" : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

function table(headers, rows, empty) {
  if (!rows.length) return h("p", { class: "empty" }, empty || "None.");
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, headers.map((name) => h("th", { scope: "col" }, name)))),
    h("tbody", {}, rows),
  );
}

function time(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return h("time", { datetime: iso, title: iso }, date.toLocaleString());
}

function badge(status) {
  return h("span", { class: `badge s-${String(status).toLowerCase()}` }, status);
}

function bar(percent) {
  const value = Math.round(percent || 0);
  return h(
    "span",
    { class: "bar", role: "progressbar", "aria-valuenow": value, "aria-valuemin": 0, "aria-valuemax": 100 },
    h("span", { style: `width:${value}%` }),
    h("b", {}, `${value}%`),
  );
}

// -- the session -------------------------------------------------------------------------------

function who() {
  try {
    return JSON.parse(sessionStorage.getItem(WHO) || "null");
  } catch {
    return null;
  }
}

function can(role) {
  const me = who();
  return me !== null && RANK[me.role] >= RANK[role];
}

function signOut() {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(WHO);
  location.assign("/ui/signin");
}

// Controls a role may not use are removed, not only hidden: a viewer's page has no buttons.
function applyRoles(root) {
  for (const el of root.querySelectorAll("[data-role]")) {
    if (!can(el.dataset.role)) el.remove();
  }
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${sessionStorage.getItem(TOKEN)}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(`/api/v1${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) signOut();
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, answer.message || `HTTP ${response.status}`);
  return answer;
}

function query(params) {
  const out = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") out.set(key, value);
  }
  const text = out.toString();
  return text ? `?${text}` : "";
}

function notice(text, kind) {
  const el = document.getElementById("notice");
  el.className = `notice ${kind || ""}`;
  fill(el, text);
  el.hidden = false;
}

function failed(err) {
  notice(err instanceof ApiError ? `${err.status}: ${err.message}` : String(err), "error");
}

// A live view: the "snapshot" events of /api/v1/events, read with fetch; the banner says when
// the connection is lost, and it reconnects by itself.
function live(params, onSnapshot) {
  const banner = document.getElementById("connection");
  let controller = null;
  let stopped = false;

  async function run() {
    while (!stopped) {
      controller = new AbortController();
      let ended = false;
      try {
        const response = await fetch(`/api/v1/events${query(params)}`, {
          headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN)}` },
          signal: controller.signal,
        });
        if (response.status === 401) return signOut();
        if (!response.ok) {
          const answer = await response.json().catch(() => ({}));
          throw new ApiError(response.status, answer.message || `HTTP ${response.status}`);
        }
        banner.hidden = true;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) {
            ended = true; // the server ends a stream after a while: the next one opens at once
            break;
          }
          buffer += value;
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            dispatch(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch (err) {
        if (stopped) return;
        console.error(err);
        if (err instanceof ApiError && err.status < 500) {
          failed(err);
          return; // a bad name: trying again would give the same answer
        }
      }
      if (stopped) return;
      if (ended) continue;
      banner.hidden = false;
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
    }
  }

  function dispatch(block) {
    let kind = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) kind = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).trim());
    }
    if (!data.length) return;
    const payload = JSON.parse(data.join("\n"));
    if (kind === "snapshot") onSnapshot(payload);
    else if (kind === "problem") notice(payload.message, "error");
  }

  run();
  addEventListener("pagehide", () => {
    stopped = true;
    controller?.abort();
  });
  return {
    stop() {
      stopped = true;
      controller?.abort();
    },
  };
}

// A confirmation in a modal <dialog> (keyboard: Tab between fields, Enter confirms, Esc cancels);
// resolves to {reason} or null.
function ask(title, text, options = {}) {
  const dialog = document.getElementById("confirm");
  document.getElementById("confirm-title").textContent = title;
  document.getElementById("confirm-text").textContent = text;
  const label = document.getElementById("confirm-reason-label");
  const reason = document.getElementById("confirm-reason");
  label.hidden = !options.reason;
  reason.value = "";
  reason.required = Boolean(options.reasonRequired);
  document.getElementById("confirm-ok").textContent = options.ok || "Confirm";
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => resolve(dialog.returnValue === "ok" ? { reason: reason.value.trim() || null } : null),
      { once: true },
    );
    dialog.returnValue = "";
    // Cancel is not a submit button: Enter in the reason field confirms, Esc cancels.
    document.getElementById("confirm-cancel").onclick = () => dialog.close("cancel");
    dialog.showModal();
    (options.reason ? reason : document.getElementById("confirm-ok")).focus();
  });
}

// A button whose action asks first, then calls the API; the answer goes to `done`.
function action(label, { title, text, ok, reason, reasonRequired, call, done, role, danger }) {
  return h(
    "button",
    {
      type: "button",
      class: danger ? "danger" : null,
      "data-role": role || "operator",
      onclick: async (event) => {
        const button = event.currentTarget;
        const answer = await ask(title, text, { ok, reason, reasonRequired });
        if (answer === null) return;
        button.disabled = true;
        try {
          const result = await call(answer.reason);
          if (done) done(result);
        } catch (err) {
          failed(err);
        } finally {
          button.disabled = false;
        }
      },
    },
    label,
  );
}

async function environments(select, { everyOne } = {}) {
  const listing = await api("GET", "/environments");
  const current = new URLSearchParams(location.search).get("environment");
  const names = everyOne ? listing.environments.map((e) => e.name) : listing.running;
  for (const name of names) select.append(h("option", { value: name, selected: name === current }, name));
  return listing;
}

// -- pages -------------------------------------------------------------------------------------

const pages = {};

pages.signin = () => {
  const form = document.getElementById("signin-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = document.getElementById("token").value.trim();
    const response = await fetch("/api/v1/whoami", { headers: { Authorization: `Bearer ${token}` } });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      document.getElementById("signin-error").textContent = answer.message || `HTTP ${response.status}`;
      return;
    }
    sessionStorage.setItem(TOKEN, token);
    sessionStorage.setItem(WHO, JSON.stringify(answer));
    // Only a page of the dashboard: a "next" elsewhere would make this form an open redirect.
    const next = new URLSearchParams(location.search).get("next") || "";
    location.assign(next.startsWith("/ui/") ? next : "/ui/fleet");
  });
};

pages.fleet = async () => {
  const select = document.getElementById("environment");
  await environments(select);
  const openLogs = new Map(); // instance id -> its last log lines (fetched when opened)
  let view = null;
  let stream = live({ view: "fleet", environment: select.value }, render);
  select.addEventListener("change", () => {
    stream.stop();
    history.replaceState(null, "", `?environment=${encodeURIComponent(select.value)}`);
    stream = live({ view: "fleet", environment: select.value }, render);
  });

  function render(snapshot) {
    view = snapshot;
    const alarming = snapshot.alarms.filter((a) => a.state === "ALARM");
    fill(
      document.getElementById("banners"),
      snapshot.maintenance.map((w) =>
        h("p", { class: "banner warn" }, `Maintenance until ${new Date(w.ends_at).toLocaleString()}: ${w.reason} (${w.started_by})`),
      ),
      snapshot.lock && h("p", { class: "banner" }, `Locked by ${snapshot.lock.owner}: ${snapshot.lock.reason}`),
      snapshot.blocks.map((b) => h("p", { class: "banner warn" }, `${b.service} is blocked: ${b.reason}`)),
    );
    fill(
      document.getElementById("services"),
      table(
        ["Service", "Version", "Running", "Healthy / desired", "Rollout", "Alarms in ALARM"],
        snapshot.services.map((s) => {
          const r = s.rollout_view;
          const alarms = alarming.filter((a) => a.service === s.name).map((a) => a.name);
          return h(
            "tr",
            { "data-service": s.name },
            h("th", { scope: "row" }, s.name),
            h("td", {}, s.version, h("small", {}, ` release ${s.release_number}`)),
            h("td", {}, s.versions.join(", ")),
            h("td", { class: s.healthy >= s.desired ? "ok" : "bad" }, `${s.healthy} / ${s.desired}`, h("small", {}, ` (${s.min}–${s.max})`)),
            h(
              "td",
              {},
              r
                ? [
                    badge(r.status),
                    " ",
                    bar(r.percentage_complete),
                    h("small", {}, ` ${r.instances_to_update} to update`, r.checkpoint ? `, checkpoint ${r.checkpoint}` : ""),
                    r.status_reason ? h("div", { class: "reason" }, r.status_reason) : null,
                  ]
                : "—",
            ),
            h("td", { class: alarms.length ? "bad" : "" }, alarms.join(", ") || "—"),
          );
        }),
        "No services.",
      ),
    );
    fill(
      document.getElementById("alarming"),
      table(
        ["Alarm", "Service", "Reason", "Since"],
        alarming.map((a) => h("tr", {}, h("td", {}, a.name), h("td", {}, a.service), h("td", {}, a.reason), h("td", {}, time(a.updated)))),
        "No alarm is in ALARM.",
      ),
    );
    fill(
      document.getElementById("datastores"),
      table(
        ["Datastore", "Kind", "Health", "Detail", "Connections", "Size"],
        snapshot.datastores.map((d) =>
          h("tr", {}, h("td", {}, d.name), h("td", {}, d.kind), h("td", { class: d.healthy ? "ok" : "bad" }, d.healthy ? "healthy" : "unhealthy"), h("td", {}, d.detail), h("td", {}, d.connections ?? ""), h("td", {}, d.size_bytes === null ? "" : `${Math.round(d.size_bytes / 1024)} KiB`)),
        ),
        "No datastores in this environment.",
      ),
    );
    renderInstances();
  }

  function renderInstances() {
    fill(
      document.getElementById("instances"),
      table(
        ["Instance", "Service", "Version", "State", "Health", "Reason", "Started", "Last log lines"],
        view.services.flatMap((s) =>
          s.instances.map((i) =>
            h(
              "tr",
              {},
              h("td", {}, i.id),
              h("td", {}, s.name),
              h("td", {}, i.version),
              h("td", {}, i.state),
              h("td", { class: i.health === "healthy" ? "ok" : i.health === "unhealthy" ? "bad" : "" }, i.health),
              h("td", { class: "reason" }, i.health_reason),
              h("td", {}, time(i.started_at)),
              h("td", {}, logCell(s.name, i.id)),
            ),
          ),
        ),
        "No instances.",
      ),
    );
  }

  function logCell(service, id) {
    if (openLogs.has(id)) {
      const lines = openLogs.get(id);
      return [
        h("pre", { class: "log" }, lines === null ? "…" : lines.join("\n") || "(nothing logged)"),
        h("button", { type: "button", class: "quiet", onclick: () => { openLogs.delete(id); renderInstances(); } }, "Hide"),
      ];
    }
    return h(
      "button",
      {
        type: "button",
        class: "quiet",
        onclick: async () => {
          openLogs.set(id, null);
          renderInstances();
          try {
            const answer = await api("GET", `/fleet/logs${query({ service, instance: id, limit: 5, environment: view.environment })}`);
            openLogs.set(id, answer.records.map(logLine));
          } catch (err) {
            openLogs.set(id, [String(err.message)]);
          }
          renderInstances();
        },
      },
      "Show",
    );
  }
};

pages.deployments = () => {
  const filters = document.getElementById("filters");
  const saved = new URLSearchParams(location.search);
  for (const [key, value] of saved) if (filters.elements[key]) filters.elements[key].value = value;
  let last = null;
  filters.addEventListener("input", () => {
    history.replaceState(null, "", query(Object.fromEntries(new FormData(filters))) || location.pathname);
    if (last) render(last);
  });
  filters.addEventListener("submit", (event) => event.preventDefault());
  live({ view: "deployments" }, render);

  const deploy = document.getElementById("deploy-form");
  deploy?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(deploy));
    const services = data.services.split(",").map((s) => s.trim()).filter(Boolean);
    const what = `${data.version} to ${services.join(", ") || "every service"} in ${data.environment}`;
    if ((await ask("Deploy?", `Deploy ${what}.`, { ok: "Deploy" })) === null) return;
    try {
      const started = await api("POST", "/deployments", { environment: data.environment, version: data.version, services });
      location.assign(`/ui/deployments/${encodeURIComponent(started.execution)}`);
    } catch (err) {
      failed(err);
    }
  });

  function render(snapshot) {
    last = snapshot;
    const f = Object.fromEntries(new FormData(filters));
    const rows = snapshot.executions.filter((e) => {
      const input = e.input || {};
      return (
        (!f.environment || input.environment === f.environment) &&
        (!f.status || e.status === f.status) &&
        (!f.service || !input.services || input.services.includes(f.service))
      );
    });
    fill(
      document.getElementById("executions"),
      table(
        ["Execution", "Environment", "Version", "Services", "Status", "Started", "Ended", "By"],
        rows.map((e) => {
          const input = e.input || {};
          return h(
            "tr",
            { "data-execution": e.execution },
            h("td", {}, h("a", { href: `/ui/deployments/${encodeURIComponent(e.execution)}` }, e.execution)),
            h("td", {}, input.environment || ""),
            h("td", {}, input.version || (input.versions ? Object.values(input.versions).join(", ") : "")),
            h("td", {}, (input.services || []).join(", ") || "all"),
            h("td", {}, badge(e.status)),
            h("td", {}, time(e.start_date)),
            h("td", {}, time(e.stop_date)),
            h("td", {}, input.requested_by || ""),
          );
        }),
        "No deployments match.",
      ),
    );
  }
};

pages.deployment = () => {
  const name = document.body.dataset.execution;
  const controls = document.getElementById("controls");
  let shown = "";
  live({ view: "deployment", execution: name }, render);

  function render(d) {
    document.getElementById("runbook").textContent = d.runbook === "rollback" ? "Rollback" : "Deployment";
    fill(document.getElementById("status"), badge(d.status));
    const input = d.input || {};
    fill(
      document.getElementById("summary"),
      [
        ["Environment", d.environment || input.environment],
        ["Version", input.version || Object.entries(input.versions || {}).map(([service, v]) => `${service} ${v}`).join(", ")],
        ["Requested by", input.requested_by],
        ["Started", time(d.start_date)],
        ["Ended", time(d.stop_date)],
        ["Waiting for approval", d.waiting_for_approval ? "yes" : "no"],
      ].map(([k, v]) => [h("dt", {}, k), h("dd", {}, v || "—")]),
    );
    fill(
      document.getElementById("failure"),
      d.error ? h("div", { class: "banner bad", role: "alert" }, h("strong", {}, d.error), h("p", {}, d.cause || "")) : null,
    );
    renderControls(d);
    const rows = (list, group) =>
      list.map((s) =>
        h(
          "tr",
          { "data-service": s.service },
          h("td", {}, group === "rollback" ? "rollback" : `wave ${s.wave}`),
          h("th", { scope: "row" }, s.service),
          h("td", {}, s.version, s.release ? h("small", {}, ` release ${s.release}`) : null),
          h("td", {}, badge(s.status)),
          h("td", {}, s.rollout ? bar(s.rollout.percentage_complete) : "—"),
          h("td", {}, s.rollout ? [`${s.rollout.instances_to_update} to update`, s.rollout.checkpoint ? `, ${s.rollout.checkpoint}` : ""] : ""),
          h(
            "td",
            { class: "reason" },
            s.rollout ? s.rollout.status_reason : "",
            s.rollout && s.rollout.failure ? h("details", {}, h("summary", {}, "Failure report"), h("pre", { class: "log" }, s.rollout.failure)) : null,
          ),
        ),
      );
    fill(
      document.getElementById("waves"),
      table(["Wave", "Service", "Version", "Status", "Progress", "Batch / checkpoint", "Reason"], [...rows(d.services, "wave"), ...rows(d.rollback, "rollback")], "No rollout planned yet."),
      d.skipped.length ? h("p", {}, "Skipped: ", d.skipped.map((s) => `${s.service} (${s.reason})`).join("; ")) : null,
    );
    fill(document.getElementById("graph"), drawGraph(d.graph));
    fill(
      document.getElementById("events"),
      d.events_total > d.events.length ? h("p", {}, `The last ${d.events.length} of ${d.events_total} events.`) : null,
      table(
        ["#", "Time", "Type", "Detail"],
        d.events.map((e) => h("tr", {}, h("td", {}, e.id), h("td", {}, time(e.timestamp)), h("td", {}, e.type), h("td", { class: "reason" }, eventDetail(e)))),
      ),
    );
  }

  function renderControls(d) {
    // Rebuilt only when what can be done changes, so that a button keeps its focus.
    const key = `${d.status}/${d.waiting_for_approval}`;
    if (key === shown) return;
    shown = key;
    const environment = d.environment || (d.input || {}).environment;
    const services = d.services.map((s) => s.service);
    const buttons = [];
    if (d.waiting_for_approval) {
      buttons.push(
        action("Approve…", { title: `Approve ${name}?`, text: `Let the deployment to ${environment} go on.`, ok: "Approve", reason: true, call: (reason) => api("POST", `/executions/${encodeURIComponent(name)}/approval`, { approve: true, reason }), done: () => notice("Approved.") }),
        action("Reject…", { title: `Reject ${name}?`, text: "The deployment fails; nothing is changed.", ok: "Reject", reason: true, reasonRequired: true, danger: true, call: (reason) => api("POST", `/executions/${encodeURIComponent(name)}/approval`, { approve: false, reason }), done: () => notice("Rejected.") }),
      );
    }
    if (d.status === "RUNNING") {
      buttons.push(
        action("Stop…", {
          title: `Stop ${name}?`,
          text: "The execution is stopped, then the services it touched are rolled back to their last verified release.",
          ok: "Stop and roll back",
          danger: true,
          call: () => api("POST", `/executions/${encodeURIComponent(name)}/stop`),
          done: (answer) => rolledBack(answer.rollback && answer.rollback.execution, "Stopped"),
        }),
      );
    } else if (d.runbook === "deploy" && environment) {
      buttons.push(
        action("Roll back…", {
          title: `Roll back ${services.join(", ") || "every service"} in ${environment}?`,
          text: "Each service returns to its last verified release.",
          ok: "Roll back",
          danger: true,
          call: () => api("POST", "/rollbacks", { environment, services }),
          done: (answer) => rolledBack(answer.execution, "Rollback started"),
        }),
      );
    }
    fill(controls, buttons);
    applyRoles(controls);
  }

  function rolledBack(rollback, what) {
    const el = document.getElementById("notice");
    el.className = "notice";
    fill(el, rollback ? [`${what}: `, h("a", { href: `/ui/deployments/${encodeURIComponent(rollback)}`, id: "rollback-link" }, `rollback ${rollback}`)] : `${what}; nothing to roll back.`);
    el.hidden = false;
  }
};

// One log record as a line: its time and message, then its other fields as key=value.
function logLine(record) {
  const { timestamp, message, msg, service, instance, ...rest } = record;
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`);
  return [timestamp, message ?? msg, ...fields].filter((part) => part !== undefined && part !== null).join(" ");
}

function eventDetail(e) {
  const key = Object.keys(e).find((k) => k.endsWith("EventDetails"));
  if (!key) return "";
  const d = e[key];
  return [d.name, d.resource, d.error, d.cause].filter(Boolean).join(" · ").slice(0, 400);
}

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, value);
  for (const child of children) el.append(child);
  return el;
}

// The graph is laid out by the server (fleetops/server/ui/graph.py); this only draws it.
function drawGraph(graph) {
  const nodes = new Map(graph.nodes.map((n) => [n.name, n]));
  const root = svg("svg", { viewBox: `0 0 ${graph.width} ${graph.height}`, width: graph.width, height: graph.height, role: "img", "aria-label": "State machine" });
  root.append(
    svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto-start-reverse" }, svg("path", { d: "M0,0 L10,5 L0,10 z", class: "arrowhead" }))),
  );
  for (const e of graph.edges) {
    const a = nodes.get(e.from);
    const b = nodes.get(e.to);
    let d;
    const layers = b.layer - a.layer;
    if (e.back || b.y <= a.y || layers > 1) {
      // Loops back up, or skips layers: around the right of the states, clear of those between.
      const x = Math.max(a.x, b.x) + a.width + 12 + 8 * Math.min(Math.abs(layers), 6);
      d = `M${a.x + a.width},${a.y + a.height / 2} C${x},${a.y + a.height / 2} ${x},${b.y + b.height / 2} ${b.x + b.width},${b.y + b.height / 2}`;
    } else {
      const x1 = a.x + a.width / 2;
      const y1 = a.y + a.height;
      const x2 = b.x + b.width / 2;
      const y2 = b.y;
      d = `M${x1},${y1} C${x1},${(y1 + y2) / 2} ${x2},${(y1 + y2) / 2} ${x2},${y2}`;
    }
    root.append(svg("path", { d, class: `edge e-${e.kind}`, "marker-end": "url(#arrow)" }));
  }
  for (const n of graph.nodes) {
    const title = svg("title", {});
    title.textContent = `${n.name} (${n.type}): ${n.status.replace("_", " ")}`;
    const label = svg("text", { x: n.x + n.width / 2, y: n.y + n.height / 2 + 4, "text-anchor": "middle" });
    label.textContent = n.name;
    root.append(svg("g", { class: `node st-${n.status}`, "data-state": n.name, "data-status": n.status }, title, svg("rect", { x: n.x, y: n.y, width: n.width, height: n.height, rx: n.type === "Choice" ? 16 : 4 }), label));
  }
  return root;
}

pages.maintenance = async () => {
  const select = document.getElementById("maintenance-environment");
  if (select) await environments(select, { everyOne: true });
  async function load() {
    const [maintenance, blocks] = await Promise.all([api("GET", "/maintenance"), api("GET", "/blocks")]);
    fill(
      document.getElementById("windows"),
      table(
        ["Environment", "Reason", "By", "From", "Until", ""],
        maintenance.windows.map((w) => {
          const env = w.environment;
          return h(
            "tr",
            { "data-environment": env || "" },
            h("td", {}, env || "every environment"),
            h("td", {}, w.reason),
            h("td", {}, w.started_by),
            h("td", {}, time(w.starts_at)),
            h("td", {}, time(w.ends_at)),
            h("td", {}, action("Turn off…", { title: `End maintenance of ${env || "every environment"}?`, text: "Deployments and changes are allowed again.", ok: "Turn off", call: () => api("DELETE", `/maintenance${query({ environment: env })}`), done: load })),
          );
        }),
        "No maintenance window is open.",
      ),
    );
    fill(
      document.getElementById("blocks"),
      table(
        ["Service", "Environment", "Reason", "By", ""],
        blocks.blocks.map((b) =>
          h("tr", {}, h("td", {}, b.service), h("td", {}, b.environment || "every environment"), h("td", {}, b.reason), h("td", {}, b.blocked_by || b.by || ""),
            h("td", {}, action("Unblock…", { title: `Unblock ${b.service}?`, text: "Deployments of it are allowed again.", ok: "Unblock", call: () => api("POST", "/unblock", { services: [b.service], environment: b.environment }), done: load }))),
        ),
        "No service is blocked.",
      ),
    );
    applyRoles(document.getElementById("main"));
  }
  const form = document.getElementById("maintenance-form");
  form?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(form));
    const where = data.environment || "every environment";
    if ((await ask(`Turn maintenance on for ${where}?`, `For ${data.duration}: deployments and changes are refused, alarm notifications muted.`, { ok: "Turn on" })) === null) return;
    try {
      await api("POST", "/maintenance", { environment: data.environment || null, duration: data.duration, reason: data.reason });
      form.reset();
      await load();
    } catch (err) {
      failed(err);
    }
  });
  const blockForm = document.getElementById("block-form");
  blockForm?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(blockForm));
    const services = data.services.split(",").map((s) => s.trim()).filter(Boolean);
    if ((await ask(`Block ${services.join(", ")}?`, "Deployments of them are refused until they are unblocked.", { ok: "Block" })) === null) return;
    try {
      await api("POST", "/block", { services, environment: data.environment || null, reason: data.reason });
      blockForm.reset();
      await load();
    } catch (err) {
      failed(err);
    }
  });
  await load();
};

pages.locks = async () => {
  async function load() {
    const { locks } = await api("GET", "/locks");
    fill(
      document.getElementById("locks"),
      table(
        ["Environment", "Held by", "Reason", "Since", "Lease until", ""],
        locks.map((l) =>
          h(
            "tr",
            {},
            h("td", {}, l.environment),
            h("td", {}, l.owner),
            h("td", {}, l.reason),
            h("td", {}, time(l.acquired_at)),
            h("td", {}, time(l.expires_at), l.expired ? " (expired)" : ""),
            h("td", {}, action("Force release…", { role: "admin", danger: true, title: `Release the lock of ${l.environment}?`, text: `Only when ${l.owner} no longer runs; the audit log records who did.`, ok: "Release", call: () => api("DELETE", `/locks/${encodeURIComponent(l.environment)}`), done: load })),
          ),
        ),
        "No environment is locked.",
      ),
    );
    applyRoles(document.getElementById("locks"));
  }
  await load();
};

pages.alarms = async () => {
  const select = document.getElementById("environment");
  await environments(select);
  const histories = new Map(); // "alarm/service" -> its history entries (fetched when asked)
  let last = [];
  async function load() {
    last = (await api("GET", `/alarms${query({ environment: select.value })}`)).alarms;
    render();
  }
  function render() {
    fill(
      document.getElementById("alarms"),
      table(
        ["Alarm", "Service", "State", "Reason", "Since", "Condition", "History"],
        last.map((a) => {
          const key = `${a.name}/${a.service}`;
          const condition =
            a.type === "CompositeAlarm"
              ? `composite: ${a.rule}`
              : `${a.watched} / ${a.period_s}s ${a.comparison} ${a.threshold} (${a.datapoints_to_alarm} of ${a.evaluation_periods})`;
          return h(
            "tr",
            { "data-alarm": key },
            h("td", {}, a.name, a.description ? h("div", { class: "reason" }, a.description) : null),
            h("td", {}, a.service || "—"),
            h("td", {}, badge(a.state)),
            h("td", { class: "reason" }, a.reason),
            h("td", {}, time(a.updated)),
            h("td", { class: "reason" }, condition),
            h("td", {}, histories.has(key) ? historyOf(key) : h("button", { type: "button", class: "quiet", onclick: () => showHistory(a, key) }, "Show")),
          );
        }),
        "No alarms.",
      ),
    );
  }
  function historyOf(key) {
    const items = histories.get(key);
    if (items === null) return "…";
    if (!items.length) return h("span", { class: "empty history" }, "No state change yet.");
    return h(
      "ol",
      { class: "history" },
      items.map((i) => h("li", {}, time(i.at), ` ${i.kind === "StateUpdate" ? `${i.old_state ?? "?"} → ${i.new_state}` : "action"}: ${i.summary}`)),
    );
  }
  async function showHistory(alarm, key) {
    histories.set(key, null);
    render();
    try {
      const answer = await api("GET", `/alarms/${encodeURIComponent(alarm.name)}/history${query({ service: alarm.service || null, environment: select.value, limit: 20 })}`);
      histories.set(key, answer.history);
    } catch (err) {
      histories.delete(key);
      failed(err);
    }
    render();
  }
  select.addEventListener("change", () => {
    histories.clear();
    load().catch(failed);
  });
  await load();
  setInterval(() => load().catch(failed), 5000);
};

pages.releases = () => {
  const filters = document.getElementById("filters");
  async function load() {
    const f = Object.fromEntries(new FormData(filters));
    const { releases } = await api("GET", `/releases${query({ ...f, limit: 200 })}`);
    fill(
      document.getElementById("releases"),
      table(
        ["Environment", "Service", "Release", "Version", "Status", "Created", "Deployment"],
        releases.map((r) =>
          h("tr", {}, h("td", {}, r.environment), h("td", {}, r.service), h("td", {}, r.number), h("td", {}, r.version), h("td", {}, badge(r.status)), h("td", {}, time(r.created_at)),
            h("td", {}, r.execution_id ? h("a", { href: `/ui/deployments/${encodeURIComponent(r.execution_id)}` }, r.execution_id) : "")),
        ),
        "No releases match.",
      ),
    );
  }
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    load().catch(failed);
  });
  load().catch(failed);
};

pages.logs = async () => {
  const form = document.getElementById("query-form");
  // The handler goes on while the environments are asked for, not after: a query run while they
  // load would otherwise submit the form natively, reloading the page without an answer. It
  // waits for them before it reads the form, whose environment list is empty until then (the
  // API refused such a query with a 400, once in a full run).
  const loaded = environments(document.getElementById("environment"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await loaded;
      const f = Object.fromEntries(new FormData(form));
      const answer = await api("GET", `/fleet/logs/query${query({ query: f.query, environment: f.environment, services: f.services, since: f.since, platform: f.platform ? "true" : null })}`);
      const columns = answer.columns || [];
      const s = answer.statistics || {};
      document.getElementById("query-stats").textContent = `${answer.results.length} rows; ${s.recordsMatched ?? "?"} records matched of ${s.recordsScanned ?? "?"} scanned`;
      fill(
        document.getElementById("results"),
        table(
          columns,
          answer.results.map((row) => {
            const values = Object.fromEntries(row.map((cell) => [cell.field, cell.value]));
            return h("tr", {}, columns.map((c) => h("td", {}, values[c] ?? "")));
          }),
          "No rows.",
        ),
      );
    } catch (err) {
      failed(err);
    }
  });
  await loaded;
};

pages.audit = () => {
  const filters = document.getElementById("filters");
  const older = document.getElementById("older");
  let offset = 0;
  async function load() {
    const f = Object.fromEntries(new FormData(filters));
    const page = await api("GET", `/audit${query({ ...f, limit: 100, offset })}`);
    fill(
      document.getElementById("audit"),
      h("p", {}, `${page.total} entries; showing ${offset + 1}–${offset + page.entries.length}`),
      table(
        ["When", "Actor", "Action", "Target", "Outcome", "Arguments / error"],
        page.entries.map((e) =>
          h("tr", {}, h("td", {}, time(e.at)), h("td", {}, e.actor), h("td", {}, e.action), h("td", {}, e.target || ""), h("td", {}, badge(e.outcome)),
            h("td", { class: "reason" }, e.error || JSON.stringify(e.arguments))),
        ),
      ),
    );
    older.hidden = page.next_offset === null;
    older.onclick = () => {
      offset = page.next_offset;
      load().catch(failed);
    };
  }
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    offset = 0;
    load().catch(failed);
  });
  load().catch(failed);
};

// -- start -------------------------------------------------------------------------------------

document.addEventListener("DOMContentLoaded", () => {
  const page = document.body.dataset.page;
  if (page !== "signin") {
    if (!sessionStorage.getItem(TOKEN)) {
      location.assign(`/ui/signin?next=${encodeURIComponent(location.pathname + location.search)}`);
      return;
    }
    const me = who();
    document.getElementById("who").textContent = `${me.name} (${me.role})`;
    document.getElementById("signout").addEventListener("click", signOut);
    applyRoles(document);
  }
  Promise.resolve(pages[page] && pages[page]()).catch(failed);
});
