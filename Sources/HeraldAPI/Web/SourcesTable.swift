// swift-format-ignore-file
// The inbound sources' table of both live views, filled by `Herald.sources` from each `stats` event.

enum SourcesTable {
    static let html = #"""
<section id="sources-section" class="hidden" aria-labelledby="sources-title">
  <h2 id="sources-title">Inbound sources <span class="hint">webhooks received from other senders, live</span></h2>
  <table>
    <thead><tr><th></th><th>Source</th><th>Requests / s</th><th>Received</th><th>Stored</th><th>Sender retries</th><th>Refused</th><th>Last refusal</th></tr></thead>
    <tbody id="sources"></tbody>
  </table>
</section>
"""#
}
