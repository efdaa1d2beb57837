import Foundation
import HeraldCore

/// A directory under the system temporary folder, removed by `remove()` or, failing that, when the value is released.
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("herald-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        self.path = path
    }

    /// A path inside the directory.
    public func file(_ name: String) -> String {
        path + "/" + name
    }

    /// Removes the directory and everything in it.
    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    deinit {
        remove()
    }
}

extension SecretSealer {
    /// A sealer with a fresh random key.
    public static var forTests: SecretSealer {
        // A generated key always parses.
        try! SecretSealer(parsing: SecretSealer.generateKeyText())
    }
}
