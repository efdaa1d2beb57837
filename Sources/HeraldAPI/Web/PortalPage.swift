// swift-format-ignore-file
// The customer portal (`/portal#token=<app token>`): one application's endpoints, event catalogue and message log.
// Everything goes through the public REST API with the app token; /api/v1/live keeps it current.

enum PortalPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Webhooks portal</title>
<link rel="stylesheet" href="assets/herald.css">
</head>
<body>
<section id="signin" class="signin hidden" aria-labelledby="signin-title">
  <h2 id="signin-title">Webhooks portal</h2>
  <p>This page needs the link you were given (it ends with <span class="mono">#token=…</span>). Ask the service that sends you webhooks for a new link if yours has expired.</p>
</section>

<div id="app" class="hidden">
<header>
  <h1 id="title">Webhooks</h1>
  <span class="scope" id="scope"></span>
  <span class="spacer"></span>
  <nav class="tabs" aria-label="Sections">
    <button type="button" data-tab="endpoints" aria-selected="true">Endpoints</button>
    <button type="button" data-tab="events" aria-selected="false">Event types</button>
    <button type="button" data-tab="messages" aria-selected="false">Messages</button>
  </nav>
  <span class="conn" aria-live="polite"><span id="conn-dot" class="dot"></span><span id="conn-text">connecting…</span></span>
</header>
<main>
  <div id="flash" class="hidden" role="status"></div>

  <div id="tab-endpoints" class="tab">
\#(SourcesTable.html)
    <section aria-labelledby="endpoints-title">
      <h2 id="endpoints-title">Your endpoints</h2>
      <div id="endpoints"><div class="empty">Loading…</div></div>
    </section>
    <section aria-labelledby="create-title">
      <h2 id="create-title">Add an endpoint</h2>
      <form id="create-form" class="stack">
        <label>URL <input name="url" type="url" placeholder="https://example.com/webhooks" required></label>
        <label>Description <input name="description" placeholder="Production receiver"></label>
        <label>Only these event types (comma-separated; empty means all) <input name="eventTypes" placeholder="invoice.paid, invoice.failed"></label>
        <label>Only these channels (comma-separated; optional) <input name="channels"></label>
        <button class="primary" type="submit">Add endpoint</button>
      </form>
    </section>
  </div>

  <div id="tab-events" class="tab hidden">
    <section aria-labelledby="events-title">
      <h2 id="events-title">Event types you can receive</h2>
      <div id="events"><div class="empty">Loading…</div></div>
    </section>
  </div>

  <div id="tab-messages" class="tab hidden">
    <section aria-labelledby="messages-title">
      <h2 id="messages-title">Messages <span class="hint">newest first; new ones appear as they are sent</span></h2>
      <form id="messages-filter" class="inline">
        <label>Event type <input name="eventType" placeholder="all"></label>
        <button type="submit">Filter</button>
      </form>
      <table>
        <thead><tr><th>Time</th><th>Event type</th><th>Message</th><th></th></tr></thead>
        <tbody id="messages"></tbody>
      </table>
      <div id="messages-empty" class="empty hidden">No messages yet.</div>
    </section>
    <section id="message-detail" class="hidden" aria-labelledby="detail-title">
      <h2 id="detail-title">Message</h2>
      <div id="detail"></div>
    </section>
  </div>
</main>
</div>
<script src="assets/herald.js"></script>
<script src="assets/portal.js"></script>
</body>
</html>
"""#
}
