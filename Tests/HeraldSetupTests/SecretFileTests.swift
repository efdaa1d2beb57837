import Foundation
import HeraldCore
import HeraldSetup
import Testing

@Suite struct SecretFileTests {
    static func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("herald-secret-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func aNewSecretIsPrivateAndReadBackUnchanged() throws {
        let path = try Self.directory() + "/key"
        let created = try SecretFile.loadOrCreateReporting(at: path)
        #expect(created.created)
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode & 0o777 == 0o600)
        let again = try SecretFile.loadOrCreateReporting(at: path)
        #expect(again.secret == created.secret && !again.created)
    }

    @Test func aSecretFileOthersCanReadIsRefused() throws {
        let path = try Self.directory() + "/key"
        _ = try SecretFile.loadOrCreate(at: path)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(throws: ConfigurationError.self) { try SecretFile.loadOrCreate(at: path) }
        do {
            _ = try SecretFile.loadOrCreate(at: path)
        } catch let error as ConfigurationError {
            #expect(error.description.contains("chmod 600"))
        }
    }

    @Test func aLinkInPlaceOfTheSecretIsNeitherReadNorFollowed() throws {
        let directory = try Self.directory()
        let target = directory + "/elsewhere"
        #expect(FileManager.default.createFile(atPath: target, contents: Data("planted\n".utf8), attributes: [.posixPermissions: 0o600]))
        try FileManager.default.createSymbolicLink(atPath: directory + "/key", withDestinationPath: target)
        #expect(throws: ConfigurationError.self) { try SecretFile.loadOrCreate(at: directory + "/key") }
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "planted\n")
    }
}
