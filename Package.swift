// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "herald",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "herald", targets: ["herald"]),
        // For any Swift receiver of Standard Webhooks (swift-crypto only), and its Hummingbird middleware.
        .library(name: "StandardWebhooks", targets: ["StandardWebhooks"]),
        .library(name: "StandardWebhooksHummingbird", targets: ["StandardWebhooksHummingbird"]),
        // Herald inside a Swift application: a Service, Swift calls, and routes for the host's Hummingbird router.
        .library(name: "HeraldKit", targets: ["HeraldKit"]),
        // A typed client for Herald's API, generated from its OpenAPI document.
        .library(name: "HeraldClient", targets: ["HeraldClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/swift-server/swift-openapi-async-http-client.git", from: "1.5.0"),
        // Used directly (buffers, errors, HTTP/1 types), so declared; the versions the packages above need anyway.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        // The config file of `herald serve`: layered providers (flags, environment, file), YAML and JSON.
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: ["JSON", "YAML"]),
        // The YAML parser swift-configuration uses; read directly to refuse unknown keys and values of the wrong shape.
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        // Metrics: recorded through swift-metrics' API, exported in Prometheus' text format by swift-prometheus.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // Traces: spans through swift-distributed-tracing (which Hummingbird uses too), exported by swift-otel over
        // OTLP/HTTP only (its gRPC exporter is not built).
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        .target(
            name: "StandardWebhooks",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "StandardWebhooksHummingbird",
            dependencies: [
                "StandardWebhooks",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(
            name: "HeraldCore",
            dependencies: [
                "StandardWebhooks",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        // What both SQL backends share: statements written once over a dialect, row decoding, the store operations
        // whose SQL both speak.
        .target(
            name: "HeraldSQL",
            dependencies: ["HeraldCore"]
        ),
        .target(
            name: "HeraldSQLite",
            dependencies: [
                "HeraldCore",
                "HeraldSQL",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "HeraldPostgres",
            dependencies: [
                "HeraldCore",
                "HeraldSQL",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // Only for `ConnectionPoolError` (the pool's circuit breaker), which PostgresNIO passes through as is.
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "HeraldDelivery",
            dependencies: [
                "HeraldCore",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // What a process needs before it serves: configuration from flags and environment, secret files.
        .target(
            name: "HeraldSetup",
            dependencies: ["HeraldCore", "HeraldPostgres"]
        ),
        .target(
            name: "HeraldAPI",
            dependencies: [
                "HeraldCore",
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(
            name: "HeraldBench",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "HeraldListen",
            dependencies: [
                "HeraldCore",
                "HeraldDelivery",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The server assembled: opening the database, the API, the dispatcher; what `herald serve` runs and what a
        // Swift application embeds.
        .target(
            name: "HeraldKit",
            dependencies: [
                "HeraldCore",
                "HeraldSetup",
                "HeraldSQLite",
                "HeraldPostgres",
                "HeraldAPI",
                "HeraldDelivery",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The code under Generated/ is written by scripts/generate-client (swift-openapi-generator) and committed, so
        // building the client never builds the generator; CI checks it matches the served document.
        .target(
            name: "HeraldClient",
            dependencies: [
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIAsyncHTTPClient", package: "swift-openapi-async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        // The settings of `herald serve`, one catalogue read from flags over environment over a config file.
        .target(
            name: "HeraldSettings",
            dependencies: [
                "HeraldCore",
                "HeraldSetup",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .plugin(name: "HeraldBuildInfo", capability: .buildTool()),
        .executableTarget(
            name: "herald",
            dependencies: [
                "HeraldCore",
                "HeraldSetup",
                "HeraldSettings",
                "HeraldSQLite",
                "HeraldPostgres",
                "HeraldAPI",
                "HeraldDelivery",
                "HeraldBench",
                "HeraldListen",
                "HeraldKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "OTel", package: "swift-otel"),
            ],
            plugins: ["HeraldBuildInfo"]
        ),
        .target(
            name: "HeraldTesting",
            dependencies: [
                "HeraldCore",
                "HeraldSQLite",
                "HeraldPostgres",
                "HeraldAPI",
                "HeraldDelivery",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "HeraldCoreTests",
            dependencies: ["HeraldCore", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "StandardWebhooksTests",
            dependencies: [
                "StandardWebhooks", "StandardWebhooksHummingbird",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "HeraldSetupTests",
            dependencies: ["HeraldCore", "HeraldSetup", "HeraldSettings"]
        ),
        .testTarget(
            name: "HeraldStorageTests",
            dependencies: [
                "HeraldCore", "HeraldSQL", "HeraldSQLite", "HeraldPostgres", "HeraldTesting",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "HeraldDeliveryTests",
            dependencies: [
                "HeraldCore", "HeraldDelivery", "HeraldTesting", "StandardWebhooks", "HeraldSQLite",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .testTarget(
            name: "HeraldKitTests",
            dependencies: [
                "HeraldCore", "HeraldKit", "HeraldSetup", "HeraldPostgres", "HeraldTesting", "StandardWebhooks",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "HeraldBenchTests",
            dependencies: [
                "HeraldBench",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "HeraldClientTests",
            dependencies: [
                "HeraldClient", "HeraldTesting",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
            ]
        ),
        .testTarget(
            name: "HeraldAPITests",
            dependencies: [
                "HeraldCore", "HeraldAPI", "HeraldTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
