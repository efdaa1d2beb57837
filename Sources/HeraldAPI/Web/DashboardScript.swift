// swift-format-ignore-file
// The dashboard's script, served as /assets/dashboard.js: no inline script, so the pages' Content-Security-Policy needs no
// 'unsafe-inline'.

enum DashboardScript {
    static let js = #"""
"use strict";
const { html, raw } = Herald;
const token = Herald.token();
const $ = id => document.getElementById(id);

if (!token) {
  $("signin").classList.remove("hidden");
  $("signin-form").addEventListener("submit", event => {
    event.preventDefault();
    sessionStorage.setItem("herald.token", $("signin-token").value.trim());
    location.reload();
  });
} else {
  start();
}

function start() {
  const claims = Herald.claims(token) || {};
  if (claims.org) {
    // An app token belongs in its application's portal.
    location.replace("portal#token=" + encodeURIComponent(token));
    return;
  }
  $("app").classList.remove("hidden");
  $("scope").textContent = claims.sub || "";
  $("signout").addEventListener("click", Herald.signOut);

  const endpoints = new Map();
  // One point per 10 s, each the rate over the minute before it (what the stats events carry).
  let points = [];
  let statsSeen = 0;
  let attemptsShown = 0;

  Herald.live("", {
    health: data => { endpoints.clear(); data.endpoints.forEach(e => endpoints.set(e.id, e)); renderHealth(); },
    endpoint: e => { if (e.deleted) endpoints.delete(e.id); else endpoints.set(e.id, { ...endpoints.get(e.id), ...e }); renderHealth(); },
    attempt: a => {
      const endpoint = endpoints.get(a.endpointId);
      if (endpoint) { endpoint.lastStatusCode = a.responseStatusCode; endpoint.lastAttemptAt = a.timestamp; renderHealth(); }
      addAttempt(a, endpoint);
    },
    history: h => {
      const perMinute = Math.max(1, Math.round(60 / h.bucketSeconds));
      points = h.buckets.map((bucket, index, all) => {
        const window = all.slice(Math.max(0, index - perMinute + 1), index + 1);
        const seconds = window.length * h.bucketSeconds;
        return { messagesPerSecond: window.reduce((n, b) => n + b.messages, 0) / seconds,
                 deliveriesPerSecond: window.reduce((n, b) => n + b.deliveries, 0) / seconds };
      });
      drawChart();
    },
    stats: s => {
      showStats(s);
      Herald.sources($("sources-section"), $("sources"), s.sources || [], s.at);
      if (statsSeen++ % 5 === 0) { points.push(s); if (points.length > 60) points.shift(); }
      else if (points.length) points[points.length - 1] = s;
      drawChart();
    },
  }, (state, message) => {
    $("conn-dot").className = "dot " + (state === "live" ? "ok" : state === "error" ? "bad" : "warn");
    $("conn-text").textContent = state === "live" ? "live" : state === "error" ? message : "connecting…";
    if (state === "error" && /token|401|auth/i.test(message || "")) showError("Sign-in failed: " + message + ". Sign out and use a valid organisation token.");
  });

  function showError(text) { $("error").textContent = text; $("error").classList.remove("hidden"); }

  function setTile(id, text, level) {
    $("v-" + id).textContent = text;
    $("tile-" + id).className = "tile" + (level ? " " + level : "");
  }

  function showStats(s) {
    setTile("mps", s.messagesPerSecond.toFixed(1));
    setTile("dps", s.deliveriesPerSecond.toFixed(1));
    setTile("rate", s.successRate === null ? "—" : (s.successRate * 100).toFixed(1) + " %",
      s.successRate === null ? "" : s.successRate >= 0.99 ? "ok" : s.successRate >= 0.9 ? "warn" : "bad");
    setTile("p50", s.p50Ms === null ? "—" : s.p50Ms + " ms");
    setTile("p99", s.p99Ms === null ? "—" : s.p99Ms + " ms", s.p99Ms === null ? "" : s.p99Ms < 1000 ? "ok" : s.p99Ms < 5000 ? "warn" : "bad");
    setTile("due", String(s.due), s.due === 0 ? "ok" : s.due < 1000 ? "warn" : "bad");
    setTile("retrying", String(s.retrying), s.retrying === 0 ? "ok" : "warn");
  }

  function drawChart() {
    Herald.chart($("chart"), [
      { values: points.map(p => p.messagesPerSecond), color: "#3b5bdb" },
      { values: points.map(p => p.deliveriesPerSecond), color: "#1f9d55" },
    ]);
  }
  window.addEventListener("resize", drawChart);

  function health(e) {
    if (e.disabled) return { level: "", text: "disabled" };
    if (e.circuitBreaker === "open") return { level: "bad", text: "circuit breaker open" + (e.pausedUntil ? " · probe at " + Herald.dateTime(e.pausedUntil) : "") };
    if (e.circuitBreaker === "probing") return { level: "warn", text: "circuit breaker: probing" };
    if (e.pausedUntil && new Date(e.pausedUntil) > new Date()) return { level: "warn", text: "slowed down by the receiver until " + Herald.dateTime(e.pausedUntil) };
    if (e.failingSince) return { level: "bad", text: "failing since " + Herald.dateTime(e.failingSince) };
    if (e.lastStatusCode === null || e.lastStatusCode === undefined) return { level: "", text: "no deliveries yet" };
    const level = Herald.statusClass(e.lastStatusCode);
    return { level, text: (level === "ok" ? "healthy" : "last attempt failed") + " · " + Herald.ago(e.lastAttemptAt) };
  }

  function renderHealth() {
    const list = [...endpoints.values()];
    if (!list.length) { $("health").innerHTML = '<div class="empty">No endpoints yet. Create one through the API or an application\'s portal.</div>'; $("health-summary").textContent = ""; return; }
    const failing = list.filter(e => health(e).level === "bad").length;
    const disabled = list.filter(e => e.disabled).length;
    $("health-summary").textContent = list.length + " endpoints · " + failing + " failing · " + disabled + " disabled";
    const byApp = new Map();
    list.forEach(e => { if (!byApp.has(e.appId)) byApp.set(e.appId, []); byApp.get(e.appId).push(e); });
    $("health").innerHTML = [...byApp.entries()].map(([appId, items]) => html`
      <table aria-label="Endpoints of ${items[0].appName}">
        <colgroup><col class="col-status"><col><col class="col-wide"></colgroup>
        <thead><tr><th colspan="3"><span class="app-name">${items[0].appName}</span> <span class="mono muted">${appId}</span></th></tr></thead>
        <tbody>${raw(items.map(e => { const h = health(e); return html`
          <tr><td><span class="badge ${h.level}">${e.disabled ? "off" : e.lastStatusCode == null ? "—" : Herald.statusText(e.lastStatusCode)}</span></td>
          <td><div class="mono">${e.url}</div><div class="muted">${e.description || e.uid || e.id}</div>${raw((e.delivery || []).map(d => html` <span class="badge">${d}</span>`).join(""))}</td>
          <td>${h.text}</td></tr>`; }).join(""))}</tbody>
      </table>`).join("");
  }

  function addAttempt(a, endpoint) {
    const row = document.createElement("tr");
    row.className = "new";
    row.innerHTML = html`<td>${Herald.time(a.timestamp)}</td>
      <td><span class="badge ${Herald.statusClass(a.responseStatusCode)}">${Herald.statusText(a.responseStatusCode)}</span></td>
      <td>${a.responseDurationMs} ms</td>
      <td><div class="mono">${a.url}</div><div class="muted">${endpoint ? endpoint.appName : a.appId}</div></td>
      <td class="mono">${a.msgId}</td>`;
    $("attempts").prepend(row);
    while ($("attempts").children.length > 50) $("attempts").lastChild.remove();
    attemptsShown++;
    $("attempts-empty").classList.toggle("hidden", attemptsShown > 0);
  }

  $("search-form").addEventListener("submit", async event => {
    event.preventDefault();
    const query = $("search-input").value.trim();
    const out = $("search-result");
    out.innerHTML = '<div class="empty">Searching…</div>';
    try {
      const apps = await Herald.api("GET", "/app?limit=250");
      for (const app of apps.data) {
        let message;
        try { message = await Herald.api("GET", "/app/" + app.id + "/msg/" + encodeURIComponent(query)); } catch { continue; }
        const attempts = await Herald.api("GET", "/app/" + app.id + "/attempt/msg/" + message.id + "?limit=50");
        out.innerHTML = html`<p><strong>${message.eventType}</strong> in <span class="app-name">${app.name}</span>
          · <span class="mono">${message.id}</span> · ${Herald.dateTime(message.timestamp)}</p>
          <pre>${JSON.stringify(message.payload, null, 2)}</pre>
          ${attempts.data.length ? raw(html`<table><thead><tr><th>Time</th><th>Status</th><th>Duration</th><th>Endpoint</th><th>Response</th></tr></thead><tbody>${raw(attempts.data.map(t => html`
            <tr><td>${Herald.dateTime(t.timestamp)}</td><td><span class="badge ${Herald.statusClass(t.responseStatusCode)}">${Herald.statusText(t.responseStatusCode)}</span></td>
            <td>${t.responseDurationMs} ms</td><td class="mono">${t.url}</td><td class="mono">${(t.response || "").slice(0, 200)}</td></tr>`).join(""))}</tbody></table>`)
          : raw('<div class="empty">No attempts for this message.</div>')}`;
        return;
      }
      out.innerHTML = html`<div class="empty">No message "${query}" in any application.</div>`;
    } catch (error) {
      out.innerHTML = html`<div class="error">${error.message}</div>`;
    }
  });
}
"""#
}
