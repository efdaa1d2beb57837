import HeraldCore
import NIOCore
import Synchronization

/// One reader per scope (an organisation, or one application) for all of this instance's live viewers of it: the
/// database is read once per tick and once per stats period whatever the number of viewers, and each viewer takes what
/// it has not sent yet from memory. No task runs in the background: the first viewer to find the news a tick old
/// reads it for everyone (the others carry on with what is there).
final class LiveHub: Sendable {
    private let feeds = Mutex<[LiveScope: (feed: SharedLiveFeed, viewers: Int)]>([:])

    /// The shared feed of `scope`, counted as watched until the returned subscription is freed.
    func subscribe(_ scope: LiveScope, store: any LiveStore, clock: any WallClock) -> Subscription {
        let feed = feeds.withLock { feeds -> SharedLiveFeed in
            if let entry = feeds[scope] {
                feeds[scope] = (entry.feed, entry.viewers + 1)
                return entry.feed
            }
            let feed = SharedLiveFeed(scope: scope, store: store, clock: clock)
            feeds[scope] = (feed, 1)
            return feed
        }
        return Subscription(hub: self, scope: scope, feed: feed)
    }

    fileprivate func unsubscribe(_ scope: LiveScope) {
        feeds.withLock { feeds in
            guard let entry = feeds[scope] else { return }
            feeds[scope] = entry.viewers > 1 ? (entry.feed, entry.viewers - 1) : nil
        }
    }

    /// Scopes being read (one reader each), for tests.
    var readers: Int { feeds.withLock { $0.count } }

    /// One viewer's hold on a shared feed.
    final class Subscription: Sendable {
        let feed: SharedLiveFeed
        private let hub: LiveHub
        private let scope: LiveScope

        fileprivate init(hub: LiveHub, scope: LiveScope, feed: SharedLiveFeed) {
            self.hub = hub
            self.scope = scope
            self.feed = feed
        }

        deinit { hub.unsubscribe(scope) }
    }
}

/// A scope's news, read by whichever viewer comes first each tick, kept for the others as encoded events.
final class SharedLiveFeed: Sendable {
    private struct State {
        var feed: LiveFeed
        var events: [(sequence: Int, event: ByteBuffer)] = []
        var nextSequence = 1
        var lastLook: ContinuousClock.Instant?
        var looking = false
        var stats: (event: ByteBuffer, at: ContinuousClock.Instant)?
        var statsLooking = false
    }

    /// Events kept for viewers that have not taken them yet; one further behind skips ahead, as a flooded look does.
    static let retained = 2 * LiveRoutes.pageLimit

    let scope: LiveScope
    private let store: any LiveStore
    private let clock: any WallClock
    private let state: Mutex<State>

    init(scope: LiveScope, store: any LiveStore, clock: any WallClock) {
        self.scope = scope
        self.store = store
        self.clock = clock
        self.state = Mutex(State(feed: LiveFeed(scope: scope, store: store, since: clock.now())))
    }

    /// Where a new viewer starts: after everything already kept.
    var cursor: Int { state.withLock { $0.nextSequence - 1 } }

    /// The events after `cursor` and the new cursor, reading the database first if the last look is a tick old and
    /// nobody else is reading.
    func events(after cursor: Int) async throws -> (events: [ByteBuffer], cursor: Int) {
        let now = ContinuousClock.now
        let reader = state.withLock { state -> LiveFeed? in
            guard !state.looking, state.lastLook.map({ now - $0 >= LiveRoutes.tick }) ?? true else { return nil }
            state.looking = true
            return state.feed
        }
        if var feed = reader {
            do {
                let events = try await feed.next(now: clock.now())
                state.withLock { state in
                    state.feed = feed
                    for event in events {
                        state.events.append((state.nextSequence, event))
                        state.nextSequence += 1
                    }
                    if state.events.count > Self.retained { state.events.removeFirst(state.events.count - Self.retained) }
                    state.lastLook = now
                    state.looking = false
                }
            } catch {
                state.withLock { $0.looking = false }
                throw error
            }
        }
        return state.withLock { state in
            let fresh = state.events.filter { $0.sequence > cursor }
            return (fresh.map(\.event), max(cursor, state.nextSequence - 1))
        }
    }

    /// The `stats` event, read again when the last one is a stats period old and nobody else is reading.
    func stats() async throws -> ByteBuffer? {
        let now = ContinuousClock.now
        let reads = state.withLock { state -> Bool in
            guard !state.statsLooking, state.stats.map({ now - $0.at >= LiveRoutes.statsEvery }) ?? true else { return false }
            state.statsLooking = true
            return true
        }
        if reads {
            do {
                let at = clock.now()
                let stats = try await store.liveStats(orgID: scope.orgID, appID: scope.appID, now: at, windowSeconds: LiveRoutes.statsWindowSeconds)
                let event = try ServerSentEvents.event("stats", id: nil, LiveEvent.StatsOut(stats, at: at))
                state.withLock { state in
                    state.stats = (event, now)
                    state.statsLooking = false
                }
            } catch {
                state.withLock { $0.statsLooking = false }
                throw error
            }
        }
        return state.withLock { $0.stats?.event }
    }
}
