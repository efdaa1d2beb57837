// swift-tools-version:6.1
import PackageDescription

// An outside package that depends on Herald by path and uses only its receiver-side product: what a team receiving
// Herald's (or any Standard Webhooks sender's) webhooks adds to its own Package.swift.
let package = Package(
    name: "verify-webhook",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "herald", path: "../..")
    ],
    targets: [
        .target(
            name: "VerifyWebhook",
            dependencies: [.product(name: "StandardWebhooks", package: "herald")]
        ),
        .testTarget(name: "VerifyWebhookTests", dependencies: ["VerifyWebhook"]),
    ],
    swiftLanguageModes: [.v6]
)
