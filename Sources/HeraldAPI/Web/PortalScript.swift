// swift-format-ignore-file
// The portal's script, served as /assets/portal.js: no inline script, so the pages' Content-Security-Policy needs no
// 'unsafe-inline'.

enum PortalScript {
    static let js = #"""
"use strict";
const { html, raw } = Herald;
const $ = id => document.getElementById(id);
const token = Herald.token();
const claims = token && Herald.claims(token);

if (!token || !claims) {
  $("signin").classList.remove("hidden");
} else {
  start(claims.org ? claims.sub : null);
}

function start(appId) {
  $("app").classList.remove("hidden");
  const endpoints = new Map();
  let eventTypes = [];
  let openMessage = null;
  let messageFilter = "";

  function flash(text, ok = true) {
    const box = $("flash");
    box.textContent = text;
    box.className = ok ? "notice" : "error";
    box.setAttribute("role", ok ? "status" : "alert");
    clearTimeout(flash.timer);
    flash.timer = setTimeout(() => box.className = "hidden", ok ? 4000 : 12000);
  }
  async function act(what, work) {
    try { const result = await work(); flash(what); return result; }
    catch (error) { flash(error.message, false); throw error; }
  }
  const list = text => text.split(",").map(s => s.trim()).filter(Boolean);

  document.querySelectorAll("nav.tabs button").forEach(button => button.addEventListener("click", () => {
    document.querySelectorAll("nav.tabs button").forEach(b => b.setAttribute("aria-selected", String(b === button)));
    ["endpoints", "events", "messages"].forEach(tab => $("tab-" + tab).classList.toggle("hidden", tab !== button.dataset.tab));
  }));

  if (!appId) {
    $("signin").classList.remove("hidden");
    $("app").classList.add("hidden");
    $("signin").querySelector("p").textContent = "This link holds an organisation token; the portal needs an application's link (POST /api/v1/auth/app-portal-access/{app}).";
    return;
  }
  const base = "/app/" + appId;

  async function load() {
    try {
      const app = await Herald.api("GET", base);
      $("title").textContent = app.name + " · Webhooks";
      document.title = app.name + " · Webhooks portal";
      $("scope").textContent = app.uid || app.id;
      eventTypes = (await Herald.api("GET", "/event-type?with_content=true&limit=250")).data;
      renderEvents();
      const list = await Herald.api("GET", base + "/endpoint?limit=250");
      list.data.forEach(e => endpoints.set(e.id, { ...endpoints.get(e.id), ...e }));
      renderEndpoints();
      await loadMessages();
    } catch (error) {
      flash("Could not load the portal: " + error.message + (/expired|token/i.test(error.message) ? " — ask for a new link." : ""), false);
    }
  }

  function status(e) {
    if (e.disabled) return { level: "", text: "Disabled — no webhooks are sent to it." };
    if (e.circuitBreaker === "open") return { level: "bad", text: "Paused after repeated failures (circuit breaker open)" + (e.pausedUntil ? "; one webhook will be tried at " + Herald.dateTime(e.pausedUntil) : "") + ". Waiting webhooks keep their retries." };
    if (e.circuitBreaker === "probing") return { level: "warn", text: "Trying one webhook to see whether it works again (circuit breaker)." };
    if (e.pausedUntil && new Date(e.pausedUntil) > new Date()) return { level: "warn", text: "Your server asked us to slow down (429, 502 or 504): paused until " + Herald.dateTime(e.pausedUntil) + "." };
    if (e.failingSince) return { level: "bad", text: "Failing since " + Herald.dateTime(e.failingSince) + ". It will be disabled if it keeps failing." };
    if (e.lastStatusCode === undefined || e.lastStatusCode === null) return { level: "", text: "No webhooks sent yet." };
    if (Herald.statusClass(e.lastStatusCode) === "ok") return { level: "ok", text: "Working: last webhook answered " + e.lastStatusCode + " " + Herald.ago(e.lastAttemptAt) + "." };
    return { level: "bad", text: "Last webhook " + (e.lastStatusCode ? "answered " + e.lastStatusCode : "got no answer") + " " + Herald.ago(e.lastAttemptAt) + ". See its attempts for why." };
  }

  /** Updates the endpoint list in place, so an open panel (attempts, forms) survives live updates. */
  function renderEndpoints() {
    const container = $("endpoints");
    const items = [...endpoints.values()];
    if (!items.length) { container.innerHTML = '<div class="empty">No endpoints yet. Add the URL where you want to receive webhooks below.</div>'; return; }
    container.querySelectorAll(".empty").forEach(node => node.remove());
    const seen = new Set();
    for (const e of items) {
      seen.add(e.id);
      let box = container.querySelector('details[data-id="' + CSS.escape(e.id) + '"]');
      if (!box) {
        box = document.createElement("details");
        box.dataset.id = e.id;
        box.innerHTML = `<summary></summary><p data-status></p><p class="muted" data-info></p>
          <div class="actions">
            <button type="button" data-act="attempts">View attempts</button>
            <button type="button" data-act="toggle"></button>
            <button type="button" data-act="edit">Edit</button>
            <button type="button" data-act="policy">Delivery settings</button>
            <button type="button" data-act="secret">Show signing secret</button>
            <button type="button" data-act="rotate">Rotate secret</button>
            <button type="button" data-act="headers">Custom headers</button>
            <button type="button" data-act="example">Send an example</button>
            <button type="button" data-act="recover">Resend failed since…</button>
            <button type="button" class="danger" data-act="delete">Delete</button>
          </div>
          <div class="panel" data-panel></div>`;
        container.append(box);
      }
      const s = status(e);
      box.querySelector("summary").innerHTML = html`<span class="badge ${s.level}">${e.disabled ? "off" : e.lastStatusCode == null ? "—" : Herald.statusText(e.lastStatusCode)}</span> <span class="mono">${e.url}</span> <span class="muted">${e.description || e.uid || e.id}</span>`;
      box.querySelector("[data-status]").textContent = s.text;
      box.querySelector("[data-info]").textContent = "Event types: " + ((e.eventTypes || []).join(", ") || "all") + " · Channels: " + ((e.channels || []).join(", ") || "all") + ((e.delivery || []).length ? " · Delivery: " + e.delivery.join(", ") : "") + " · " + e.id;
      box.querySelector("[data-act=toggle]").textContent = e.disabled ? "Enable" : "Disable";
    }
    container.querySelectorAll("details[data-id]").forEach(box => { if (!seen.has(box.dataset.id)) box.remove(); });
  }

  $("endpoints").addEventListener("click", async event => {
    const button = event.target.closest("button[data-act]");
    if (!button) return;
    const box = button.closest("details");
    const id = box.dataset.id;
    const e = endpoints.get(id);
    const panel = box.querySelector("[data-panel]");
    const path = base + "/endpoint/" + id;
    switch (button.dataset.act) {
      case "attempts": {
        const attempts = await Herald.api("GET", base + "/attempt/endpoint/" + id + "?limit=25");
        panel.innerHTML = attempts.data.length ? html`<table><thead><tr><th>Time</th><th>Status</th><th>Response</th><th></th></tr></thead><tbody>${raw(attempts.data.map(a => html`
          <tr><td>${Herald.dateTime(a.timestamp)}</td><td><span class="badge ${Herald.statusClass(a.responseStatusCode)}">${Herald.statusText(a.responseStatusCode)}</span> ${a.responseDurationMs} ms</td>
          <td class="mono">${a.responseStatusCode ? (a.response || "(empty body)").slice(0, 300) : "No response: " + (a.response || "the request failed")}</td>
          <td><button type="button" data-resend="${a.msgId}" data-endpoint="${id}">Resend</button></td></tr>`).join(""))}</tbody></table>`
          : '<div class="empty">No attempts yet.</div>';
        break;
      }
      case "toggle":
        await act(e.disabled ? "Endpoint enabled." : "Endpoint disabled.", async () => endpoints.set(id, { ...e, ...(await Herald.api("PATCH", path, { disabled: !e.disabled })) }));
        renderEndpoints();
        break;
      case "edit":
        panel.innerHTML = html`<form class="stack" data-form="edit">
          <label>URL <input name="url" type="url" value="${e.url}" required></label>
          <label>Description <input name="description" value="${e.description}"></label>
          <label>Only these event types <input name="eventTypes" value="${(e.eventTypes || []).join(", ")}"></label>
          <label>Only these channels <input name="channels" value="${(e.channels || []).join(", ")}"></label>
          <button class="primary" type="submit">Save</button></form>`;
        break;
      case "policy": {
        const policy = await Herald.api("GET", path + "/policy");
        const breaker = policy.circuitBreaker || policy.serverDefaults.circuitBreaker;
        const defaults = policy.serverDefaults;
        panel.innerHTML = html`<form class="stack" data-form="policy">
          <p class="muted">Circuit breaker: ${policy.state.circuitBreaker}${raw(policy.state.pausedUntil ? html` · paused until ${Herald.dateTime(policy.state.pausedUntil)}` : "")}</p>
          <label>Retry schedule, seconds after each failure (empty: ${defaults.retrySchedule.join(", ")}) <input name="retrySchedule" value="${(policy.retrySchedule || []).join(", ")}" placeholder="${defaults.retrySchedule.join(", ")}"></label>
          <label>Timeout in seconds (empty: ${defaults.timeoutSeconds}) <input name="timeoutSeconds" type="number" min="1" max="30" value="${policy.timeoutSeconds ?? ""}"></label>
          <label>Most webhooks per second (empty: no limit) <input name="throttleRate" type="number" min="1" max="65535" value="${e.throttleRate ?? ""}"></label>
          <label class="check"><input name="ordered" type="checkbox" ${raw(policy.ordering === "fifo" ? "checked" : "")}> One at a time, in order (a failing webhook holds back the ones after it)</label>
          <label class="check"><input name="breaker" type="checkbox" ${raw(breaker.enabled ? "checked" : "")}> Pause after <input name="failureThreshold" type="number" min="1" max="1000" value="${breaker.failureThreshold}"> failures in a row, for <input name="cooldownSeconds" type="number" min="1" max="86400" value="${breaker.cooldownSeconds}"> seconds</label>
          <label>Only payloads matching this filter (JSON, MongoDB-style; empty: all) <textarea name="filter">${policy.filter ? JSON.stringify(policy.filter, null, 2) : ""}</textarea></label>
          <button class="primary" type="submit">Save delivery settings</button></form>`;
        break;
      }
      case "secret": {
        const secret = await Herald.api("GET", path + "/secret");
        panel.innerHTML = html`<p>Verify each webhook's <span class="mono">webhook-signature</span> with this secret (Standard Webhooks):</p><pre>${secret.key}</pre>`;
        break;
      }
      case "rotate":
        if (!confirm("Rotate the signing secret? The old one keeps signing for 24 hours so you can switch without losing webhooks.")) return;
        await act("Secret rotated; the old one stays valid for 24 hours.", () => Herald.api("POST", path + "/secret/rotate", {}));
        break;
      case "headers": {
        const headers = await Herald.api("GET", path + "/headers");
        panel.innerHTML = html`<form class="stack" data-form="headers"><label>Headers sent with every webhook (JSON object)
          <textarea name="headers">${JSON.stringify(headers.headers || {}, null, 2)}</textarea></label>
          ${raw((headers.sensitive || []).length ? html`<p class="muted">Sensitive, not shown: ${headers.sensitive.join(", ")}</p>` : "")}
          <button class="primary" type="submit">Save headers</button></form>`;
        break;
      }
      case "example":
        panel.innerHTML = html`<form class="inline" data-form="example"><label>Event type <select name="eventType">${raw(eventTypes.map(t => html`<option>${t.name}</option>`).join(""))}</select></label>
          <button class="primary" type="submit">Send</button></form>`;
        break;
      case "recover": {
        const since = new Date(Date.now() - 24 * 3600 * 1000).toISOString().slice(0, 16);
        panel.innerHTML = html`<form class="inline" data-form="recover"><label>Resend every failed message since <input name="since" type="datetime-local" value="${since}" required></label>
          <button class="primary" type="submit">Resend failed</button></form>`;
        break;
      }
      case "delete":
        if (!confirm("Delete this endpoint? Webhooks stop at once.")) return;
        await act("Endpoint deleted.", () => Herald.api("DELETE", path));
        endpoints.delete(id);
        renderEndpoints();
        break;
    }
  });

  $("endpoints").addEventListener("submit", async event => {
    event.preventDefault();
    const form = event.target;
    const id = form.closest("details").dataset.id;
    const path = base + "/endpoint/" + id;
    const data = Object.fromEntries(new FormData(form));
    if (form.dataset.form === "edit") {
      const updated = await act("Endpoint saved.", () => Herald.api("PATCH", path, {
        url: data.url, description: data.description,
        eventTypes: list(data.eventTypes).length ? list(data.eventTypes) : null,
        channels: list(data.channels).length ? list(data.channels) : null,
      }));
      endpoints.set(id, { ...endpoints.get(id), ...updated });
      renderEndpoints();
    } else if (form.dataset.form === "policy") {
      let filter = null;
      if (data.filter.trim()) {
        try { filter = JSON.parse(data.filter); } catch { flash("The filter must be JSON, e.g. {\"data.amount\": {\"$gte\": 100}}.", false); return; }
      }
      const schedule = list(data.retrySchedule).map(Number);
      await act("Delivery settings saved.", async () => {
        await Herald.api("PUT", path + "/policy", {
          retrySchedule: data.retrySchedule.trim() ? schedule : null,
          timeoutSeconds: data.timeoutSeconds ? Number(data.timeoutSeconds) : null,
          ordering: data.ordered ? "fifo" : null,
          circuitBreaker: { enabled: Boolean(data.breaker), failureThreshold: Number(data.failureThreshold), cooldownSeconds: Number(data.cooldownSeconds) },
          filter,
        });
        const updated = await Herald.api("PATCH", path, { throttleRate: data.throttleRate ? Number(data.throttleRate) : null });
        endpoints.set(id, { ...endpoints.get(id), ...updated });
      });
      renderEndpoints();
    } else if (form.dataset.form === "headers") {
      let headers;
      try { headers = JSON.parse(data.headers); } catch { flash("The headers must be a JSON object, e.g. {\"X-Api-Key\": \"…\"}.", false); return; }
      await act("Headers saved.", () => Herald.api("PUT", path + "/headers", { headers }));
    } else if (form.dataset.form === "example") {
      await act("Example sent; its attempt appears under View attempts in a moment.", () => Herald.api("POST", path + "/send-example", { eventType: data.eventType }));
    } else if (form.dataset.form === "recover") {
      const result = await act("Failed messages queued again.", () => Herald.api("POST", path + "/recover", { since: new Date(data.since).toISOString() }));
      if (result && result.id) flash("Failed messages queued again (" + result.status + ").");
    }
  });

  $("endpoints").addEventListener("click", async event => {
    const button = event.target.closest("button[data-resend]");
    if (!button) return;
    await act("Message resent; the new attempt appears in a moment.", () => Herald.api("POST", base + "/msg/" + button.dataset.resend + "/endpoint/" + button.dataset.endpoint + "/resend"));
  });

  $("create-form").addEventListener("submit", async event => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(event.target));
    const created = await act("Endpoint added.", () => Herald.api("POST", base + "/endpoint", {
      url: data.url, description: data.description,
      eventTypes: list(data.eventTypes).length ? list(data.eventTypes) : undefined,
      channels: list(data.channels).length ? list(data.channels) : undefined,
    }));
    endpoints.set(created.id, created);
    event.target.reset();
    renderEndpoints();
  });

  function renderEvents() {
    if (!eventTypes.length) { $("events").innerHTML = '<div class="empty">No event types are published yet.</div>'; return; }
    $("events").innerHTML = eventTypes.map(t => {
      const schema = t.schemas && (t.schemas["1"] || Object.values(t.schemas)[0]);
      const example = schema && schema.examples && schema.examples[0];
      return html`<details><summary>${t.name}${raw(t.deprecated ? ' <span class="badge warn">deprecated</span>' : "")}</summary>
        <p>${t.description}</p>${raw(example ? html`<p class="muted">Example payload</p><pre>${JSON.stringify(example, null, 2)}</pre>` : "")}</details>`;
    }).join("");
  }

  async function loadMessages() {
    const query = "?limit=50" + (messageFilter ? "&event_types=" + encodeURIComponent(messageFilter) : "");
    const messages = await Herald.api("GET", base + "/msg" + query);
    $("messages").innerHTML = "";
    messages.data.slice().reverse().forEach(m => addMessage(m, false));
    $("messages-empty").classList.toggle("hidden", messages.data.length > 0);
  }

  function addMessage(m, fresh) {
    if (messageFilter && m.eventType !== messageFilter) return;
    const row = document.createElement("tr");
    if (fresh) row.className = "new";
    row.innerHTML = html`<td>${Herald.dateTime(m.timestamp)}</td><td>${m.eventType}</td><td class="mono">${m.id}${raw(m.eventId ? "<br>" : "")}<span class="muted">${m.eventId || ""}</span></td>
      <td><button type="button" data-message="${m.id}">Details</button></td>`;
    $("messages").prepend(row);
    $("messages-empty").classList.add("hidden");
  }

  $("messages-filter").addEventListener("submit", event => {
    event.preventDefault();
    messageFilter = new FormData(event.target).get("eventType").trim();
    loadMessages().catch(error => flash(error.message, false));
  });

  $("messages").addEventListener("click", event => {
    const button = event.target.closest("button[data-message]");
    if (button) showMessage(button.dataset.message).catch(error => flash(error.message, false));
  });

  async function showMessage(id) {
    openMessage = id;
    const message = await Herald.api("GET", base + "/msg/" + id);
    const destinations = await Herald.api("GET", base + "/msg/" + id + "/endpoint?limit=50");
    const attempts = await Herald.api("GET", base + "/attempt/msg/" + id + "?limit=50");
    $("message-detail").classList.remove("hidden");
    $("detail").innerHTML = html`<p><strong>${message.eventType}</strong> · <span class="mono">${message.id}</span> · ${Herald.dateTime(message.timestamp)}</p>
      <pre>${JSON.stringify(message.payload, null, 2)}</pre>
      <table><thead><tr><th>Endpoint</th><th>Status</th><th>Next attempt</th><th></th></tr></thead><tbody>${raw(destinations.data.map(d => html`
        <tr><td class="mono">${d.url}</td><td>${["delivered", "pending", "failed", "retrying"][d.status] || d.status}</td><td>${d.nextAttempt ? Herald.dateTime(d.nextAttempt) : "—"}</td>
        <td><button type="button" data-resend-detail="${d.id}">Resend</button></td></tr>`).join(""))}</tbody></table>
      <h2>Attempts</h2>
      ${attempts.data.length ? raw(html`<table><thead><tr><th>Time</th><th>Status</th><th>Response</th></tr></thead><tbody>${raw(attempts.data.map(a => html`
        <tr><td>${Herald.dateTime(a.timestamp)}</td><td><span class="badge ${Herald.statusClass(a.responseStatusCode)}">${Herald.statusText(a.responseStatusCode)}</span> ${a.responseDurationMs} ms</td>
        <td class="mono">${(a.response || "").slice(0, 300)}</td></tr>`).join(""))}</tbody></table>`) : raw('<div class="empty">No attempts yet.</div>')}`;
    $("message-detail").scrollIntoView({ behavior: "smooth", block: "nearest" });
  }

  $("detail").addEventListener("click", async event => {
    const button = event.target.closest("button[data-resend-detail]");
    if (!button) return;
    await act("Message resent.", () => Herald.api("POST", base + "/msg/" + openMessage + "/endpoint/" + button.dataset.resendDetail + "/resend"));
  });

  Herald.live("", {
    health: data => { data.endpoints.forEach(e => endpoints.set(e.id, { ...endpoints.get(e.id), ...e })); renderEndpoints(); },
    endpoint: e => {
      if (e.deleted) endpoints.delete(e.id);
      else endpoints.set(e.id, { ...endpoints.get(e.id), ...e });
      renderEndpoints();
    },
    message: m => addMessage(m, true),
    stats: s => Herald.sources($("sources-section"), $("sources"), s.sources || [], s.at),
    attempt: a => {
      const e = endpoints.get(a.endpointId);
      if (e) { e.lastStatusCode = a.responseStatusCode; e.lastAttemptAt = a.timestamp; if (a.status === 0) e.failingSince = null; renderEndpoints(); }
      if (openMessage === a.msgId) showMessage(openMessage).catch(() => {});
    },
  }, (state, message) => {
    $("conn-dot").className = "dot " + (state === "live" ? "ok" : state === "error" ? "bad" : "warn");
    $("conn-text").textContent = state === "live" ? "live" : state === "error" ? message : "connecting…";
  });

  load();
}
"""#
}
