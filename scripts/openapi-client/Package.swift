// swift-tools-version:6.1
// Builds swift-openapi-generator, the tool that writes HeraldClient's code from Herald's OpenAPI document
// (scripts/generate-client runs it). Kept out of Herald's own package so building Herald never builds the generator.
import PackageDescription

let package = Package(
    name: "openapi-client",
    dependencies: [
        .package(url: "https://github.com/apple/swift-openapi-generator.git", exact: "1.14.3")
    ]
)
