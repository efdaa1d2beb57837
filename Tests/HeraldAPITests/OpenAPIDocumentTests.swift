import HeraldAPI
import HeraldCore
import HeraldTesting
import Testing

@Suite struct OpenAPIDocumentTests {
    @Test func everyRegisteredRouteIsDocumented() async throws {
        let harness = try await APIHarness()
        let routes = HeraldRouter.routeTable(environment: harness.environment)
        #expect(routes.count > 30)
        try await harness.run { api in
            let response = try await api.request(.get, "/api/v1/openapi.json", auth: .none)
            #expect(response.contentType == "application/json")
            let document = try #require(response.json)
            #expect(document["openapi"]?.string?.hasPrefix("3.") == true)
            let paths = try #require(document["paths"]?.objectValue)
            for route in routes {
                let path =
                    HeraldRouter.apiPrefix + "/"
                    + route.path.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }.joined(separator: "/")
                let method = route.method.rawValue.lowercased()
                #expect(paths[path]?[method] != nil, "\(route.method) \(path) is missing from the OpenAPI document")
            }
        }
    }
}
