import Foundation
import HTTPTypes
import HeraldKit
import HeraldTesting
import Hummingbird
import HummingbirdTesting
import Testing

/// Herald's API, dashboard and portal served by a host application's own router under a prefix.
@Suite struct MountedRoutesTests {
    @Test func hostRouterServesHeraldUnderItsPrefixAndItsOwnRoutesBesideIt() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var configuration = EmbeddedHeraldTests.configuration(database: .sqlite(path: directory.file("h.db")))
        configuration.publicURL = "http://shop.example/herald"
        let herald = try Herald(configuration: configuration, logger: EmbeddedHeraldTests.quiet)
        let router = Router()
        router.add(middleware: try herald.routes(under: "/herald"))
        router.get("hello") { _, _ in "host" }
        router.get("heraldic") { _, _ in "host too" }
        let app = Application(router: router)
        // Herald at the root would hide every route of the host.
        for prefix in ["", "/", "/herald?x"] {
            #expect(throws: HeraldKitError.invalidPrefix(prefix)) { _ = try herald.routes(under: prefix, context: BasicRequestContext.self) }
        }

        // Before Herald is ready, its routes say so rather than falling through to the host's 404.
        try await app.test(.router) { client in
            try await client.execute(uri: "/herald/api/v1/health", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
            }
        }

        try await EmbeddedHeraldTests.running(herald) {
            let application = try await herald.applications.create(name: "Acme", uid: "acme")
            let access = try await herald.applications.portalAccess("acme")
            #expect(access.url.hasPrefix("http://shop.example/herald/portal#token="))
            try await app.test(.router) { client in
                try await client.execute(uri: "/hello", method: .get) { response in
                    #expect(String(buffer: response.body) == "host")
                }
                // A path that only starts like the prefix is the host's.
                try await client.execute(uri: "/heraldic", method: .get) { response in
                    #expect(String(buffer: response.body) == "host too")
                }
                try await client.execute(uri: "/herald/api/v1/health", method: .get) { response in
                    #expect(response.status == .noContent || response.status == .ok)
                }
                // Herald's own authentication guards its API under the prefix.
                try await client.execute(uri: "/herald/api/v1/app", method: .get) { response in
                    #expect(response.status == .unauthorized)
                    #expect(String(buffer: response.body).contains("\"code\""))
                }
                try await client.execute(
                    uri: "/herald/api/v1/app/\(application.id)",
                    method: .get,
                    headers: [.authorization: "Bearer " + access.token]
                ) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body).contains(application.id))
                }
                // The pages load their assets and call the API relative to where they are mounted.
                try await client.execute(uri: "/herald/dashboard", method: .get) { response in
                    let page = String(buffer: response.body)
                    #expect(page.contains(#"src="assets/herald.js""#))
                    #expect(!page.contains(#"src="/assets"#))
                }
                try await client.execute(uri: "/herald/assets/herald.js", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body).contains(#"new URL("api/v1", location.href)"#))
                }
            }
        }
    }
}
