import HeraldCore
import Synchronization
import Testing

struct SharedChangeTests {
    @Test(arguments: [SharedChange.applications, .sources, .tokenRevoked(hash: "abc:def"), .unknown])
    func aChangeCrossesANotificationUnchanged(_ change: SharedChange) {
        #expect(SharedChange(notificationPayload: change.notificationPayload) == change)
    }

    /// A newer instance's kind of change is not understood: every cache starts over rather than keep what it changed.
    @Test func aKindNotKnownStartsEverythingOver() {
        #expect(SharedChange(notificationPayload: "change:endpoints") == .unknown)
        #expect(SharedChange(notificationPayload: "change:revoked:") == .unknown)
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
