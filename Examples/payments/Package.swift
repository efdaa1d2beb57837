// swift-tools-version:6.1
import PackageDescription

// The mission's story, runnable: a payments service that embeds Herald (HeraldKit) and pushes thin `invoice.paid`
// events, and a merchant service that verifies them (StandardWebhooks), pulls the invoice over the payments REST API,
// books it once, shows its totals live, and — without a public URL — reads the same events by polling (HeraldClient).
let package = Package(
    name: "payments",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "herald", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
    ],
    targets: [
        .target(
            name: "PaymentsService",
            dependencies: [
                .product(name: "HeraldKit", package: "herald"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "MerchantService",
            dependencies: [
                .product(name: "StandardWebhooks", package: "herald"),
                .product(name: "StandardWebhooksHummingbird", package: "herald"),
                .product(name: "HeraldClient", package: "herald"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "payments-demo",
            dependencies: [
                "PaymentsService", "MerchantService",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "PaymentsTests",
            dependencies: [
                "PaymentsService", "MerchantService",
                .product(name: "HeraldClient", package: "herald"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
