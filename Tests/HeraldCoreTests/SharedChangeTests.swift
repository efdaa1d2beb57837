import HeraldCore
import Synchronization
import Testing

struct SharedChangeTests {
    static let hash = String(repeating: "0123456789abcdef", count: 4)

    @Test(arguments: [SharedChange.applications, .sources, .tokenRevoked(hash: SharedChangeTests.hash), .unknown])
    func aChangeCrossesANotificationUnchanged(_ change: SharedChange) {
        #expect(SharedChange(notificationPayload: change.notificationPayload) == change)
    }

    /// A newer instance's kind of change is not understood: every cache starts over rather than keep what it changed.
    @Test func aKindNotKnownStartsEverythingOver() {
        #expect(SharedChange(notificationPayload: "change:endpoints") == .unknown)
        #expect(SharedChange(notificationPayload: "change:revoked:") == .unknown)
        // Only a revocation hash as Herald writes them (64 lowercase hex digits) names a token; others are not kept.
        #expect(SharedChange(notificationPayload: "change:revoked:" + Self.hash.uppercased()) == .unknown)
        #expect(SharedChange(notificationPayload: "change:revoked:" + Self.hash + "0") == .unknown)
        #expect(SharedChange(notificationPayload: "change:revoked:" + String(repeating: "x", count: 7000)) == .unknown)
        #expect(SharedChange(notificationPayload: "change:") == .unknown)
    }

    /// Work announcements and start checks share the channel and are not changes.
    @Test func otherNotificationsAreNotChanges() {
        #expect(SharedChange(notificationPayload: "") == nil)
        #expect(SharedChange(notificationPayload: "check:1234") == nil)
        #expect(SharedChange(notificationPayload: "applications") == nil)
    }

    /// Caches are cleared before they may answer again, so nothing kept from before following began answers after it.
    @Test func followingStartsOnlyAfterCachesWereToldToStartOver() {
        let news = SharedChangeNews()
        let followingWhenTold = Mutex<[Bool]>([])
        news.observe { change in
            if change == .unknown { followingWhenTold.withLock { $0.append(news.isFollowing) } }
        }
        #expect(!news.isFollowing)
        news.startedFollowing()
        #expect(news.isFollowing)
        #expect(followingWhenTold.withLock { $0 } == [false])
        news.stoppedFollowing()
        #expect(!news.isFollowing)
    }
}
