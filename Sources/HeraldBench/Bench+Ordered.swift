import NIOCore

extension Bench {
    /// An ordered (`fifo`) endpoint's pace: messages sent one after another as fast as Herald accepts them (so their
    /// order is the client's), delivered one at a time; deliveries per second from the first arrival to the last, and
    /// whether they arrived in the order sent. One delivery at a time makes the pace the reciprocal of one round —
    /// claim, send, record the result, make the next one due.
    func ordered(_ receiverURL: String) async throws -> [(String, Double)] {
        let count = max(100, options.backlogDeliveries / 1_000)
        let path = "/ordered"
        return try await withHerald { _, load in
            try await load.call(.POST, "/api/v1/app", body: Self.appBody)
            let endpoint = try await load.call(.POST, "/api/v1/app/bench/endpoint", body: #"{"url":"\#(receiverURL)\#(path)"}"#)
            let endpointID = LoadGenerator.id(in: .init(bytes: endpoint))
            try await load.call(.PUT, "/api/v1/app/bench/endpoint/\(endpointID)/policy", body: #"{"ordering":"fifo"}"#)
            receiver.recordArrivals(true)
            progress("ordered: \(count) messages to an ordered endpoint")
            var messages: [String] = []
            for _ in 0..<count { messages.append(try await load.sendMessage(app: "bench")) }
            _ = try await waitUntil(timeout: .seconds(1800)) {
                messages.allSatisfy { receiver.arrival(of: $0, path: path) != nil }
            }
            let arrivals = messages.compactMap { message in receiver.arrival(of: message, path: path).map { (message, $0) } }
            guard arrivals.count == messages.count else {
                throw BenchError("ordered: \(arrivals.count) of \(messages.count) messages arrived")
            }
            let byArrival = arrivals.sorted { $0.1 < $1.1 }
            let inOrder = byArrival.map(\.0) == messages
            guard let first = byArrival.first?.1, let last = byArrival.last?.1, last > first else {
                throw BenchError("ordered: no time between the first arrival and the last")
            }
            return [
                ("messages", Double(count)),
                ("deliveries_per_s", Double(count - 1) / Self.seconds(last - first)),
                ("arrived_in_order", inOrder ? 1 : 0),
            ]
        }
    }
}
