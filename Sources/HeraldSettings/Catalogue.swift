import Foundation
import HeraldCore
import HeraldSetup
import Logging

extension Setting {
    /// Every setting, in the order they are applied and printed (allowed subnets before the operational webhook URL
    /// that is checked against them).
    public static let catalogue: [Setting] = [
        Setting(
            "host",
            flag: "--host",
            kind: .text,
            allowed: "an address to listen on, e.g. 0.0.0.0 or 127.0.0.1",
            apply: { settings, value in settings.herald.host = value },
            effective: { .text($0.herald.host) }
        ),
        Setting(
            "port",
            flag: "--port",
            kind: .integer,
            allowed: "a port number from 0 to 65535",
            apply: { settings, value in settings.herald.port = try whole(value, in: 0...65_535) },
            effective: { .literal(String($0.herald.port)) }
        ),
        Setting(
            "metrics",
            kind: .boolean,
            allowed: "true or false",
            apply: { settings, value in settings.herald.metricsEnabled = try boolean(value) },
            effective: { .literal(String($0.herald.metricsEnabled)) }
        ),
        Setting(
            "metrics_host",
            kind: .text,
            allowed: "an address for the metrics port to listen on, e.g. 127.0.0.1 or 0.0.0.0",
            apply: { settings, value in settings.herald.metricsHost = value },
            effective: { .text($0.herald.metricsHost) }
        ),
        Setting(
            "metrics_port",
            flag: "--metrics-port",
            kind: .integer,
            optional: true,
            allowed: "a port number from 0 to 65535, other than the API's",
            apply: { settings, value in settings.herald.metricsPort = try whole(value, in: 0...65_535) },
            effective: { $0.herald.metricsPort.map { .literal(String($0)) } }
        ),
        Setting(
            "database",
            environment: "HERALD_DATABASE_URL",
            flag: "--database",
            kind: .text,
            quotesValue: false,
            allowed: "sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB[?sslmode=…]",
            apply: { settings, value in settings.herald.database = try DatabaseLocation(parsing: value) },
            // The description has no password.
            effective: { .text($0.herald.database.description) }
        ),
        Setting(
            "main_key",
            kind: .text,
            secret: true,
            optional: true,
            allowed: "32 bytes in base64 (openssl rand -base64 32)",
            apply: { settings, value in
                _ = try SecretSealer(parsing: value)
                settings.herald.mainKey = value
            },
            effective: { $0.herald.mainKey.map { .text($0) } }
        ),
        Setting(
            "jwt_secret",
            kind: .text,
            secret: true,
            optional: true,
            allowed: "a secret of at least 32 bytes",
            apply: { settings, value in
                guard value.utf8.count >= 32 else { throw Refused() }
                settings.herald.jwtSecret = value
            },
            effective: { $0.herald.jwtSecret.map { .text($0) } }
        ),
        Setting(
            "allowed_subnets",
            kind: .list,
            optional: true,
            allowed: "a list of CIDRs, e.g. [10.1.0.0/16, fd12::/64]",
            apply: { settings, value in
                guard let policy = DestinationPolicy(parsingAllowedSubnets: value) else { throw Refused() }
                settings.herald.delivery.destinationPolicy.allowedSubnets = policy.allowedSubnets
            },
            effective: { .list($0.herald.delivery.destinationPolicy.allowedSubnets.map(\.description)) }
        ),
        Setting(
            "grantable_subnets",
            kind: .list,
            optional: true,
            allowed: "a list of CIDRs, e.g. [10.1.0.0/16]",
            apply: { settings, value in
                guard let policy = DestinationPolicy(parsingAllowedSubnets: value) else { throw Refused() }
                settings.herald.delivery.destinationPolicy.grantableSubnets = policy.allowedSubnets
            },
            effective: { .list($0.herald.delivery.destinationPolicy.grantableSubnets.map(\.description)) }
        ),
        Setting(
            "public_url",
            kind: .text,
            quotesValue: false,
            optional: true,
            allowed: "the base URL clients reach this server at, e.g. https://hooks.example.com",
            apply: { settings, value in settings.herald.publicURL = value },
            effective: { $0.herald.publicURL.map { .text(URLRedaction.shown($0, keepPath: true)) } }
        ),
        Setting(
            "https_only",
            kind: .boolean,
            allowed: "true or false",
            apply: { settings, value in settings.herald.httpsOnly = try boolean(value) },
            effective: { .literal(String($0.herald.httpsOnly)) }
        ),
        Setting(
            "max_body_bytes",
            kind: .integer,
            allowed: "a whole number of bytes from 1024 to 1073741824",
            apply: { settings, value in settings.herald.maxBodyBytes = try whole(value, in: 1024...(1 << 30)) },
            effective: { .literal(String($0.herald.maxBodyBytes)) }
        ),
        Setting(
            "default_signature",
            kind: .text,
            allowed: "hmac or ed25519",
            apply: { settings, value in
                guard let kind = EndpointSecret.Kind(rawValue: value) else { throw Refused() }
                settings.herald.defaultSignature = kind
            },
            effective: { .text($0.herald.defaultSignature.rawValue) }
        ),
        Setting(
            "max_concurrency",
            kind: .integer,
            allowed: "a whole number from 1 to 100000",
            apply: { settings, value in settings.herald.delivery.maxConcurrency = try whole(value, in: 1...100_000) },
            effective: { .literal(String($0.herald.delivery.maxConcurrency)) }
        ),
        Setting(
            "max_concurrency_per_app",
            kind: .integer,
            allowed: "a whole number from 1 to 100000",
            apply: { settings, value in
                settings.herald.delivery.maxConcurrencyPerApplication = try whole(value, in: 1...100_000)
            },
            effective: { .literal(String($0.herald.delivery.maxConcurrencyPerApplication)) }
        ),
        Setting(
            "max_endpoints_per_app",
            kind: .integer,
            allowed: "a whole number from 1 to 100000",
            apply: { settings, value in settings.herald.limits.maxEndpointsPerApplication = try whole(value, in: 1...100_000) },
            effective: { .literal(String($0.herald.limits.maxEndpointsPerApplication)) }
        ),
        Setting(
            "max_event_types_per_endpoint",
            kind: .integer,
            allowed: "a whole number from 1 to 10000",
            apply: { settings, value in settings.herald.limits.maxEventTypesPerEndpoint = try whole(value, in: 1...10_000) },
            effective: { .literal(String($0.herald.limits.maxEventTypesPerEndpoint)) }
        ),
        Setting(
            "message_rate_per_app",
            kind: .number,
            allowed: "messages per second from 0 (no limit) to 1000000",
            apply: { settings, value in
                settings.herald.limits.messagesPerSecondPerApplication = try rate(value, allowsOff: true)
            },
            effective: { .literal(number($0.herald.limits.messagesPerSecondPerApplication)) }
        ),
        Setting(
            "resend_rate_per_app",
            kind: .number,
            allowed: "resends per second, above 0, up to 1000000",
            apply: { settings, value in
                settings.herald.limits.resendsPerSecondPerApplication = try rate(value, allowsOff: false)
            },
            effective: { .literal(number($0.herald.limits.resendsPerSecondPerApplication)) }
        ),
        Setting(
            "max_streams_per_token",
            kind: .integer,
            allowed: "a whole number from 1 to 10000",
            apply: { settings, value in settings.herald.limits.maxStreamsPerToken = try whole(value, in: 1...10_000) },
            effective: { .literal(String($0.herald.limits.maxStreamsPerToken)) }
        ),
        Setting(
            "request_timeout",
            kind: .integer,
            allowed: "whole seconds from 1 to 30",
            apply: { settings, value in settings.herald.delivery.requestTimeoutSeconds = try whole(value, in: 1...30) },
            effective: { .literal(String($0.herald.delivery.requestTimeoutSeconds)) }
        ),
        Setting(
            "retry_schedule",
            kind: .list,
            allowed: "a list of seconds to wait after each failed attempt (each up to 30 days), e.g. [5, 300, 1800]",
            apply: { settings, value in
                guard let policy = RetryPolicy(parsing: value) else { throw Refused() }
                settings.herald.delivery.retryPolicy = policy
            },
            effective: { .literalList($0.herald.delivery.retryPolicy.schedule.map(number)) }
        ),
        Setting(
            "headers",
            kind: .text,
            allowed: "webhook, svix or both",
            apply: { settings, value in
                guard let names = DeliverySettings.HeaderNames(rawValue: value) else { throw Refused() }
                settings.herald.delivery.headerNames = names
            },
            effective: { .text($0.herald.delivery.headerNames.rawValue) }
        ),
        Setting(
            "disable_after",
            kind: .integer,
            allowed: "seconds from 1 to \(HeraldConfiguration.maximumDisableAfterSeconds) (10 years)",
            apply: { settings, value in
                settings.herald.delivery.disableAfterSeconds = Int64(
                    try whole(value, in: 1...Int(HeraldConfiguration.maximumDisableAfterSeconds))
                )
            },
            effective: { .literal(String($0.herald.delivery.disableAfterSeconds)) }
        ),
        Setting(
            "retention",
            kind: .text,
            quotesValue: false,
            optional: true,
            allowed: "a whole number and a unit, e.g. 90d, 12h, 30m or 30s (at most 100 years)",
            apply: { settings, value in
                guard let period = RetentionPeriod(parsing: value) else { throw Refused() }
                settings.herald.retention = period
            },
            effective: { $0.herald.retention.map { .text($0.description) } }
        ),
        Setting(
            "operational_webhook_url",
            kind: .text,
            quotesValue: false,
            optional: true,
            allowed: "an http(s) URL",
            apply: { settings, value in
                let policy = settings.herald.delivery.destinationPolicy
                guard EndpointURL.check(value, httpsOnly: false, policy: policy, loc: []).isEmpty else { throw Refused() }
                settings.herald.operationalWebhookURL = value
            },
            effective: { $0.herald.operationalWebhookURL.map { .text(URLRedaction.shown($0, keepPath: false)) } }
        ),
        Setting(
            "operational_webhook_secret",
            kind: .text,
            secret: true,
            optional: true,
            allowed: "a whsec_ or whsk_ secret",
            apply: { settings, value in
                guard let secret = EndpointSecret(parsing: value) else { throw Refused() }
                settings.herald.operationalWebhookSecret = secret
            },
            effective: { $0.herald.operationalWebhookSecret.map { _ in .text("set") } }
        ),
        Setting(
            "log_level",
            kind: .text,
            allowed: "trace, debug, info, notice, warning, error or critical",
            apply: { settings, value in
                guard let level = Logger.Level(rawValue: value) else { throw Refused() }
                settings.logLevel = level
            },
            effective: { .text($0.logLevel.rawValue) }
        ),
        Setting(
            "log_format",
            kind: .text,
            allowed: "text or json (one JSON object per line)",
            apply: { settings, value in
                guard let format = LogFormat(rawValue: value) else { throw Refused() }
                settings.logFormat = format
            },
            effective: { .text($0.logFormat.rawValue) }
        ),
        Setting(
            "otel_endpoint",
            kind: .text,
            quotesValue: false,
            optional: true,
            allowed: "the base URL of an OTLP/HTTP collector, e.g. http://otel-collector:4318",
            apply: { settings, value in
                guard let url = URL(string: value), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host?.isEmpty == false,
                    url.query == nil, url.fragment == nil
                else { throw Refused() }
                settings.otelEndpoint = value
            },
            effective: { $0.otelEndpoint.map { .text(URLRedaction.shown($0, keepPath: true)) } }
        ),
        Setting(
            "role",
            flag: "--role",
            kind: .text,
            allowed: "api (HTTP only), worker (delivery only) or all",
            apply: { settings, value in
                guard let role = ServeRole(rawValue: value) else { throw Refused() }
                settings.role = role
            },
            effective: { .text($0.role.rawValue) }
        ),
    ]

    private static func whole(_ value: String, in range: ClosedRange<Int>) throws -> Int {
        guard let number = Int(value), range.contains(number) else { throw Refused() }
        return number
    }

    private static func rate(_ value: String, allowsOff: Bool) throws -> Double {
        guard let rate = Double(value), rate.isFinite, rate <= 1_000_000, allowsOff ? rate >= 0 : rate > 0 else {
            throw Refused()
        }
        return rate
    }

    private static func boolean(_ value: String) throws -> Bool {
        switch value.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw Refused()
        }
    }

    /// A number without a needless ".0".
    private static func number(_ value: Double) -> String {
        if let whole = Int(exactly: value) { return String(whole) }
        return String(value)
    }
}
