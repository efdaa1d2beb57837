import Foundation
import HeraldClient
import Testing

/// HeraldClient from an outside package against a real `herald serve`: the binary built at the repository's root
/// (`swift build` there), or `HERALD_BIN`.
@Suite struct HeraldServeClientTests {
    @Test func createsAnApplicationOnARunningServer() async throws {
        let server = try await HeraldServe.start()
        defer { server.stop() }
        let client = Client(serverURL: server.url, token: server.token)
        let created = try await client.createApplication(body: .json(.init(name: "Merchant Corp", uid: "merchant-corp"))).created.body.json
        #expect(created.uid == "merchant-corp")
        let fetched = try await client.getApplication(path: .init(appId: "merchant-corp")).ok.body.json
        #expect(fetched.id == created.id)
        #expect(fetched.name == "Merchant Corp")
    }
}

/// `herald serve` on a fresh SQLite file and a port it picks, with an org token from `herald token create`.
struct HeraldServe {
    let url: URL
    let token: String
    let process: Process
    let directory: URL

    static var executable: URL {
        if let configured = ProcessInfo.processInfo.environment["HERALD_BIN"], !configured.isEmpty {
            return URL(fileURLWithPath: configured)
        }
        // This file, PaymentsTests, Tests, payments, Examples: what is left is the repository's root.
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<5 { root.deleteLastPathComponent() }
        return root.appendingPathComponent(".build/debug/herald")
    }

    static func start() async throws -> HeraldServe {
        let executable = Self.executable
        try #require(FileManager.default.isExecutableFile(atPath: executable.path), "build herald first: swift build at the repository's root")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("herald-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let database = "sqlite:" + directory.appendingPathComponent("herald.db").path

        let process = Process()
        process.executableURL = executable
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", "0", "--database", database]
        // A file, not a pipe: nobody reads the log after start-up, and a full pipe would stop the server.
        let logPath = directory.appendingPathComponent("serve.log").path
        guard FileManager.default.createFile(atPath: logPath, contents: nil), let log = FileHandle(forWritingAtPath: logPath) else {
            throw HeraldServeError(log: "cannot create \(logPath)")
        }
        process.standardError = log
        try process.run()
        try log.close()
        var text = ""
        var port: Int?
        let deadline = ContinuousClock.now + .seconds(60)
        while port == nil, ContinuousClock.now < deadline, process.isRunning {
            text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if let range = text.range(of: "listening on http://127.0.0.1:"), text[range.upperBound...].contains(",") {
                port = Int(text[range.upperBound...].prefix { $0.isNumber })
            } else {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        guard let port, let url = URL(string: "http://127.0.0.1:\(port)") else {
            process.terminate()
            throw HeraldServeError(log: text)
        }

        let tokenProcess = Process()
        tokenProcess.executableURL = executable
        tokenProcess.arguments = ["token", "create", "--database", database]
        let output = Pipe()
        tokenProcess.standardOutput = output
        try tokenProcess.run()
        let token = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        tokenProcess.waitUntilExit()
        return HeraldServe(url: url, token: token.trimmingCharacters(in: .whitespacesAndNewlines), process: process, directory: directory)
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }
}

struct HeraldServeError: Error, CustomStringConvertible {
    let log: String
    var description: String { "herald serve did not start; its log:\n\(log)" }
}
