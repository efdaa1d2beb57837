import Hummingbird

/// The merchant's live page: its totals, refreshed every second without a click.
struct LivePage: ResponseGenerator {
    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/html; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: Self.html))
        )
    }

    static let html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>Merchant — paid invoices</title>
        <style>
          body { font: 16px system-ui, sans-serif; margin: 3rem auto; max-width: 36rem; color: #1d2433; }
          h1 { font-size: 1.4rem; }
          .total { font-size: 2.4rem; font-weight: 600; margin: .2rem 0; }
          .muted { color: #6b7385; }
        </style>
        </head>
        <body>
        <h1>Paid invoices</h1>
        <div id="totals" class="total">—</div>
        <p><span id="count">0</span> invoices booked · <span id="duplicates">0</span> duplicate events ignored</p>
        <p class="muted">Last booked: <span id="last">never</span>. Updates by itself.</p>
        <script>
        async function refresh() {
          try {
            const totals = await (await fetch("totals")).json();
            const parts = Object.entries(totals.totalsCents).map(([currency, cents]) =>
              (cents / 100).toLocaleString(undefined, { style: "currency", currency }));
            document.getElementById("totals").textContent = parts.length ? parts.join(" + ") : "nothing yet";
            document.getElementById("count").textContent = totals.invoices;
            document.getElementById("duplicates").textContent = totals.duplicatesIgnored;
            document.getElementById("last").textContent = totals.lastBookedAt ? new Date(totals.lastBookedAt).toLocaleTimeString() : "never";
          } catch (error) {
            document.getElementById("last").textContent = "(cannot reach the merchant service)";
          }
        }
        refresh();
        setInterval(refresh, 1000);
        </script>
        </body>
        </html>
        """
}

extension Totals: ResponseEncodable {}
