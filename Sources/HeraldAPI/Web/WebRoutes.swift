import HTTPTypes
import Hummingbird

/// The live views, served by `herald serve` itself from strings compiled into the binary: no build step, no CDN, works
/// offline. They hold no data and no token; the script signs in and calls the public API like any client.
enum WebRoutes {
    static func add(to router: Router<HeraldRequestContext>) {
        router.get("dashboard") { _, _ in page(DashboardPage.html, type: "text/html; charset=utf-8") }
        router.get("portal") { _, _ in page(PortalPage.html, type: "text/html; charset=utf-8") }
        router.get("assets/herald.js") { _, _ in page(WebScript.js, type: "text/javascript; charset=utf-8") }
        router.get("assets/dashboard.js") { _, _ in page(DashboardScript.js, type: "text/javascript; charset=utf-8") }
        router.get("assets/portal.js") { _, _ in page(PortalScript.js, type: "text/javascript; charset=utf-8") }
        router.get("assets/herald.css") { _, _ in page(WebStyle.css, type: "text/css; charset=utf-8") }
    }

    /// Only this server's own files and API, no inline script or style, never inside another site's frame.
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none';"
        + " base-uri 'none'; form-action 'self'; object-src 'none'"

    private static func page(_ text: String, type: String) -> Response {
        let buffer = ByteBuffer(string: text)
        return Response(
            status: .ok,
            headers: [
                .contentType: type, .contentLength: String(buffer.readableBytes), .cacheControl: "no-cache",
                // The pages load only their own script and style and talk only to this server.
                .contentSecurityPolicy: contentSecurityPolicy,
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
                HTTPField.Name("X-Frame-Options")!: "DENY",
                HTTPField.Name("Referrer-Policy")!: "no-referrer",
            ],
            body: .init(byteBuffer: buffer)
        )
    }
}
