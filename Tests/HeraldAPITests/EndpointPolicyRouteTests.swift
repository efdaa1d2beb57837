import HeraldCore
import HeraldTesting
import Testing

@Suite struct EndpointPolicyRouteTests {
    static let endpoint = "/api/v1/app/shop/endpoint/main"
    static let policy = "\(endpoint)/policy"

    static func withEndpoint(_ body: @Sendable @escaping (APIClient) async throws -> Void) async throws {
        try await EndpointRouteTests.withShop { api in
            let created = try await api.request(.post, "/api/v1/app/shop/endpoint", body: #"{"url":"https://example.com/hook","uid":"main"}"#)
            try #require(created.status == 201)
            try await body(api)
        }
    }

    @Test func anEndpointStartsWithTheServersSettingsAndShowsThem() async throws {
        try await Self.withEndpoint { api in
            let response = try await api.request(.get, Self.policy)
            #expect(response.status == 200)
            #expect(response.json?["retrySchedule"] == .null)
            #expect(response.json?["timeoutSeconds"] == .null)
            #expect(response.json?["filter"] == .null)
            #expect(response.json?["serverDefaults"]?["timeoutSeconds"] == .integer(15))
            #expect(
                response.json?["serverDefaults"]?["retrySchedule"]?.arrayValue?.count == RetryPolicy.defaultSchedule.count
            )
        }
    }

    @Test func orderingAndTheBreakerAreStoredAndTheStateIsShown() async throws {
        try await Self.withEndpoint { api in
            let body = #"{"ordering":"fifo","circuitBreaker":{"failureThreshold":3}}"#
            let put = try await api.request(.put, Self.policy, body: body)
            #expect(put.status == 200)
            #expect(put.json?["ordering"] == .string("fifo"))
            let breaker: JSONValue = .object(["enabled": .bool(true), "failureThreshold": .integer(3), "cooldownSeconds": .integer(30)])
            #expect(put.json?["circuitBreaker"] == breaker)
            #expect(put.json?["state"] == .object(["circuitBreaker": .string("closed"), "pausedUntil": .null]))
            #expect(put.json?["serverDefaults"]?["circuitBreaker"]?["failureThreshold"] == .integer(10))
            let get = try await api.request(.get, Self.policy)
            #expect(get.json?["ordering"] == .string("fifo") && get.json?["circuitBreaker"] == breaker)
        }
    }

    @Test func switchingOrderingBackAndForthIsLimitedLikeRecovers() async throws {
        try await Self.withEndpoint { api in
            // Each switch re-queues the endpoint's waiting deliveries; other edits are not counted.
            for _ in 0..<5 { #expect(try await api.request(.put, Self.policy, body: #"{"timeoutSeconds":5}"#).status == 200) }
            var statuses: [Int] = []
            for index in 0..<10 {
                let body = index % 2 == 0 ? #"{"ordering":"fifo"}"# : #"{}"#
                let response = try await api.request(.put, Self.policy, body: body)
                statuses.append(response.status)
                if response.status == 429 {
                    #expect(response.headers[.retryAfter] != nil)
                    break
                }
            }
            #expect(statuses.last == 429, "\(statuses)")
        }
    }

    @Test func aPutReplacesThePolicyAndTheEndpointKeepsItThroughOtherUpdates() async throws {
        try await Self.withEndpoint { api in
            let body = #"{"retrySchedule":[1,30,600.5],"timeoutSeconds":5,"filter":{"data.amount":{"$gte":100}}}"#
            let put = try await api.request(.put, Self.policy, body: body)
            #expect(put.status == 200)
            #expect(put.json?["retrySchedule"]?.arrayValue?.count == 3)
            #expect(put.json?["timeoutSeconds"] == .integer(5))
            #expect(put.json?["filter"] == .object(["data.amount": .object(["$gte": .integer(100)])]))

            // Editing the endpoint through the Svix route leaves its policy alone.
            let update = try await api.request(.put, Self.endpoint, body: #"{"url":"https://example.com/other","uid":"main","description":"moved"}"#)
            #expect(update.status == 200)
            let read = try await api.request(.get, Self.policy)
            #expect(read.json?["timeoutSeconds"] == .integer(5))
            #expect(read.json?["filter"] == put.json?["filter"])

            // A field left out goes back to the server's setting; an empty schedule means no retries.
            let reset = try await api.request(.put, Self.policy, body: #"{"retrySchedule":[]}"#)
            #expect(reset.json?["retrySchedule"] == .array([]))
            #expect(reset.json?["timeoutSeconds"] == .null)
            #expect(reset.json?["filter"] == .null)
        }
    }

    @Test(arguments: [
        (#"{"retrySchedule":"5,10"}"#, ["body", "retrySchedule"]),
        (#"{"retrySchedule":[5,"x"]}"#, ["body", "retrySchedule", "1"]),
        (#"{"retrySchedule":[5,-1]}"#, ["body", "retrySchedule", "1"]),
        (#"{"retrySchedule":[5,0]}"#, ["body", "retrySchedule", "1"]),
        (#"{"retrySchedule":[2000000,2000000]}"#, ["body", "retrySchedule"]),
        (#"{"retrySchedule":[2592001]}"#, ["body", "retrySchedule", "0"]),
        (#"{"retrySchedule":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}"#, ["body", "retrySchedule"]),
        (#"{"timeoutSeconds":0}"#, ["body", "timeoutSeconds"]),
        (#"{"timeoutSeconds":31}"#, ["body", "timeoutSeconds"]),
        (#"{"timeoutSeconds":2.5}"#, ["body", "timeoutSeconds"]),
        (#"{"timeoutSeconds":99999999999999999999}"#, ["body", "timeoutSeconds"]),
        (#"{"filter":[]}"#, ["body", "filter"]),
        (#"{"filter":{"a":{"$regex":"^x"}}}"#, ["body", "filter", "a", "$regex"]),
        (#"{"filter":{"$where":"sleep(1)"}}"#, ["body", "filter", "$where"]),
        (#"{"retrySchedul":[1]}"#, ["body", "retrySchedul"]),
        (#"{"ordering":"lifo"}"#, ["body", "ordering"]),
        (#"{"ordering":true}"#, ["body", "ordering"]),
        (#"{"circuitBreaker":true}"#, ["body", "circuitBreaker"]),
        (#"{"circuitBreaker":{"failureThreshold":0}}"#, ["body", "circuitBreaker", "failureThreshold"]),
        (#"{"circuitBreaker":{"failureThreshold":99999999999999999999}}"#, ["body", "circuitBreaker", "failureThreshold"]),
        (#"{"circuitBreaker":{"cooldownSeconds":86401}}"#, ["body", "circuitBreaker", "cooldownSeconds"]),
        (#"{"circuitBreaker":{"enabled":"no"}}"#, ["body", "circuitBreaker", "enabled"]),
        (#"{"circuitBreaker":{"threshold":3}}"#, ["body", "circuitBreaker", "threshold"]),
        (#"[]"#, ["body"]),
    ])
    func invalidPoliciesAreRefusedWithWhere(body: String, loc: [String]) async throws {
        try await Self.withEndpoint { api in
            let response = try await api.request(.put, Self.policy, body: body)
            #expect(response.status == 422, "\(body)")
            #expect(response.json?["detail"]?[0]?["loc"] == .array(loc.map(JSONValue.string)), "\(body)")
            #expect(try await api.request(.get, Self.policy).json?["timeoutSeconds"] == .null)
        }
    }

    @Test func thePortalEditsItsOwnEndpointsPoliciesOnly() async throws {
        try await Self.withEndpoint { api in
            let access = try await api.request(.post, "/api/v1/auth/app-portal-access/shop", body: "{}")
            let portal = Credentials.bearer(try #require(access.json?["token"]?.string))
            let put = try await api.request(.put, Self.policy, body: #"{"timeoutSeconds":3}"#, auth: portal)
            #expect(put.status == 200)
            #expect(try await api.request(.get, Self.policy).json?["timeoutSeconds"] == .integer(3))

            _ = try await api.request(.post, "/api/v1/app", body: #"{"name":"Other","uid":"other"}"#)
            let other = try await api.request(.post, "/api/v1/auth/app-portal-access/other", body: "{}")
            let stranger = Credentials.bearer(try #require(other.json?["token"]?.string))
            #expect(try await api.request(.get, Self.policy, auth: stranger).status == 404)
            #expect(try await api.request(.put, Self.policy, body: "{}", auth: stranger).status == 404)
            #expect(try await api.request(.get, "/api/v1/app/shop/endpoint/missing/policy").status == 404)
        }
    }
}
