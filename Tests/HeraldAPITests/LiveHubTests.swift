import HeraldCore
import Synchronization
import Testing

@testable import HeraldAPI

/// A live store that counts how often it is read and answers with nothing.
final class CountingLiveStore: LiveStore {
    let reads = Mutex((activity: 0, health: 0, stats: 0))

    func liveActivity(orgID: String, appID: String?, since: Timestamp, limit: Int) async throws -> [LiveActivity] {
        reads.withLock { $0.activity += 1 }
        return []
    }

    func endpointHealth(orgID: String, appID: String?, changedSince: Timestamp?) async throws -> [EndpointHealth] {
        reads.withLock { $0.health += 1 }
        return []
    }

    func liveHistory(orgID: String, appID: String?, now: Timestamp, minutes: Int, bucketSeconds: Int) async throws -> [LiveBucket] { [] }

    func liveStats(orgID: String, appID: String?, now: Timestamp, windowSeconds: Int) async throws -> LiveStats {
        reads.withLock { $0.stats += 1 }
        return LiveStats(windowSeconds: windowSeconds, messages: 0, attempts: 0, successfulAttempts: 0, durationsMs: [], due: 0, retrying: 0)
    }
}

@Suite struct LiveHubTests {
    /// `viewers` viewers of one scope looking every 20 ms for `looks` looks; returns the store's reads.
    static func watch(viewers: Int, looks: Int, store: CountingLiveStore, hub: LiveHub) async throws {
        let scope = LiveScope(orgID: "org_1", appID: nil)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<viewers {
                group.addTask {
                    let subscription = hub.subscribe(scope, store: store, clock: SystemWallClock())
                    var cursor = subscription.feed.cursor
                    for _ in 0..<looks {
                        cursor = try await subscription.feed.events(after: cursor).cursor
                        _ = try await subscription.feed.stats()
                        try await Task.sleep(for: .milliseconds(20))
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func theDatabaseIsReadOncePerTickWhateverTheNumberOfViewers() async throws {
        let store = CountingLiveStore()
        let hub = LiveHub()
        let started = ContinuousClock.now
        try await Self.watch(viewers: 50, looks: 40, store: store, hub: hub)
        let elapsed = ContinuousClock.now - started
        let reads = store.reads.withLock { $0 }
        // Reads follow the clock — one per tick, one per stats period, however long the run took on this machine — not
        // the viewers: a reader per viewer would read 50 times as often (at least 50 × 40 looks' worth of ticks).
        let ticks = Int(elapsed / LiveRoutes.tick) + 2
        let periods = Int(elapsed / LiveRoutes.statsEvery) + 2
        #expect(reads.activity >= 1 && reads.activity <= ticks)
        #expect(reads.stats >= 1 && reads.stats <= periods)
        #expect(reads.activity < 50)
        #expect(hub.readers == 0)
    }

    @Test func eachScopeHasOneReaderWhileWatched() async throws {
        let hub = LiveHub()
        let store = CountingLiveStore()
        let first = hub.subscribe(LiveScope(orgID: "org_1", appID: nil), store: store, clock: SystemWallClock())
        let second = hub.subscribe(LiveScope(orgID: "org_1", appID: nil), store: store, clock: SystemWallClock())
        let other = hub.subscribe(LiveScope(orgID: "org_1", appID: "app_1"), store: store, clock: SystemWallClock())
        #expect(first.feed === second.feed)
        #expect(first.feed !== other.feed)
        #expect(hub.readers == 2)
        withExtendedLifetime((first, second, other)) {}
    }
}
