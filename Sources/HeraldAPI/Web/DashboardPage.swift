// swift-format-ignore-file
// The operator dashboard (`/dashboard`): delivery health across every application, updated by /api/v1/live.

enum DashboardPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Herald · Operator dashboard</title>
<link rel="stylesheet" href="/assets/herald.css">
</head>
<body>
<section id="signin" class="signin hidden" aria-labelledby="signin-title">
  <h2 id="signin-title">Sign in to the Herald dashboard</h2>
  <p>Paste an organisation token (<span class="mono">herald token create</span> prints one). It stays in this tab only.</p>
  <form id="signin-form" class="stack">
    <label>Organisation token <input id="signin-token" type="password" autocomplete="off" required></label>
    <button class="primary" type="submit">Sign in</button>
    <div id="signin-error" class="error hidden" role="alert"></div>
  </form>
</section>

<div id="app" class="hidden">
<header>
  <h1>Herald · Operator dashboard</h1>
  <span class="scope" id="scope"></span>
  <span class="spacer"></span>
  <span class="conn" aria-live="polite"><span id="conn-dot" class="dot"></span><span id="conn-text">connecting…</span></span>
  <button id="signout" type="button">Sign out</button>
</header>
<main>
  <div id="error" class="error hidden" role="alert"></div>
  <div class="tiles" aria-label="Delivery figures over the last minute">
    <div class="tile" id="tile-mps"><div class="label">Messages / s</div><div class="value" id="v-mps">—</div></div>
    <div class="tile" id="tile-dps"><div class="label">Deliveries / s</div><div class="value" id="v-dps">—</div></div>
    <div class="tile" id="tile-rate"><div class="label">Success rate</div><div class="value" id="v-rate">—</div></div>
    <div class="tile" id="tile-p50"><div class="label">p50 latency</div><div class="value" id="v-p50">—</div></div>
    <div class="tile" id="tile-p99"><div class="label">p99 latency</div><div class="value" id="v-p99">—</div></div>
    <div class="tile" id="tile-due"><div class="label">Backlog due</div><div class="value" id="v-due">—</div></div>
    <div class="tile" id="tile-retrying"><div class="label">Retrying</div><div class="value" id="v-retrying">—</div></div>
  </div>
  <section aria-labelledby="chart-title">
    <h2 id="chart-title">Throughput <span class="hint">last 10 minutes, per second (1-minute average)</span></h2>
    <canvas id="chart" role="img" aria-label="Messages and deliveries per second over the last minutes"></canvas>
    <div class="legend"><span style="color:#3b5bdb">messages / s</span><span style="color:#1f9d55">deliveries / s</span></div>
  </section>
  <div class="columns">
    <section aria-labelledby="health-title">
      <h2 id="health-title">Endpoints <span class="hint" id="health-summary"></span></h2>
      <div id="health"><div class="empty">Loading endpoints…</div></div>
    </section>
    <section aria-labelledby="attempts-title">
      <h2 id="attempts-title">Latest attempts <span class="hint">as they happen</span></h2>
      <table>
        <thead><tr><th>Time</th><th>Status</th><th>Duration</th><th>Endpoint</th><th>Message</th></tr></thead>
        <tbody id="attempts"></tbody>
      </table>
      <div id="attempts-empty" class="empty">No attempts yet. They appear here the moment a webhook is sent.</div>
    </section>
  </div>
  <section aria-labelledby="search-title">
    <h2 id="search-title">Find a message</h2>
    <form id="search-form" class="inline" role="search">
      <label class="hidden" for="search-input">Message id or event id</label>
      <input id="search-input" placeholder="msg_… or your eventId" size="40" required>
      <button type="submit" class="primary">Search</button>
    </form>
    <div id="search-result"></div>
  </section>
</main>
</div>
<script src="/assets/herald.js"></script>
<script>
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
    location.replace("/portal#token=" + encodeURIComponent(token));
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
        <colgroup><col style="width:70px"><col><col style="width:38%"></colgroup>
        <thead><tr><th colspan="3"><span class="app-name">${items[0].appName}</span> <span class="mono muted">${appId}</span></th></tr></thead>
        <tbody>${raw(items.map(e => { const h = health(e); return html`
          <tr><td><span class="badge ${h.level}">${e.disabled ? "off" : e.lastStatusCode ?? "—"}</span></td>
          <td><div class="mono">${e.url}</div><div class="muted">${e.description || e.uid || e.id}</div></td>
          <td>${h.text}</td></tr>`; }).join(""))}</tbody>
      </table>`).join("");
  }

  function addAttempt(a, endpoint) {
    const row = document.createElement("tr");
    row.className = "new";
    row.innerHTML = html`<td>${Herald.time(a.timestamp)}</td>
      <td><span class="badge ${Herald.statusClass(a.responseStatusCode)}">${a.responseStatusCode || "none"}</span></td>
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
            <tr><td>${Herald.dateTime(t.timestamp)}</td><td><span class="badge ${Herald.statusClass(t.responseStatusCode)}">${t.responseStatusCode || "none"}</span></td>
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
</script>
</body>
</html>
"""#
}
