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
<link rel="stylesheet" href="assets/herald.css">
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
    <div class="legend"><span class="legend-messages">messages / s</span><span class="legend-deliveries">deliveries / s</span></div>
  </section>
\#(SourcesTable.html)
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
<script src="assets/herald.js"></script>
<script src="assets/dashboard.js"></script>
</body>
</html>
"""#
}
