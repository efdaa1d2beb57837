import HeraldCore
import Testing

@testable import HeraldDelivery

/// Slots reserved for deliveries leased on acceptance, beside claims (`DispatchSlots`).
@Suite struct DispatchSlotsTests {
    static func task(_ endpointID: String, app appID: String = "app_1", id: Int64 = 1) -> DeliveryTask {
        DeliveryTask(
            deliveryID: id,
            triggerType: .scheduled,
            attemptNumber: 0,
            orgID: "org_1",
            appID: appID,
            appUID: nil,
            messageID: "msg_\(id)",
            eventID: nil,
            eventType: "a.b",
            payload: [],
            payloadExpiresAt: Timestamp(milliseconds: 0),
            endpointID: endpointID,
            endpointUID: nil,
            url: "https://example.com",
            secret: .generate(.hmac),
            previousSecrets: [],
            headers: [:],
            endpointInactive: false
        )
    }

    /// `DispatchSlots.reserve`, callable inside `#expect`.
    static func reserve(_ slots: inout DispatchSlots, endpointID: String, appID: String) -> Bool {
        slots.reserve(endpointID: endpointID, appID: appID)
    }

    @Test func reservationsCountAsSendingUntilGivenBackOrAdmitted() {
        var slots = DispatchSlots(maxInFlight: 8, maxPerEndpoint: 2, maxPerApplication: 3)
        #expect(Self.reserve(&slots, endpointID: "ep_a", appID: "app_1"))
        #expect(Self.reserve(&slots, endpointID: "ep_a", appID: "app_1"))
        // The endpoint's sending slots are all reserved; the application has one left.
        #expect(!Self.reserve(&slots, endpointID: "ep_a", appID: "app_1"))
        #expect(Self.reserve(&slots, endpointID: "ep_b", appID: "app_1"))
        #expect(!Self.reserve(&slots, endpointID: "ep_c", appID: "app_1"))
        #expect(slots.claimLimit == 5)
        #expect(slots.room.claimed == ["ep_a": 2, "ep_b": 1] && slots.room.claimedByApp == ["app_1": 3])

        slots.unreserve(endpointID: "ep_b", appID: "app_1")
        slots.unreserve(endpointID: "ep_a", appID: "app_1")
        let started = slots.admit([Self.task("ep_a")])
        slots.unreserve(endpointID: "ep_a", appID: "app_1")
        #expect(started.count == 1 && slots.sending == 1 && slots.reserved == 0)
        #expect(slots.claimLimit == 7)
        // Giving back what was never reserved changes nothing.
        slots.unreserve(endpointID: "ep_z", appID: "app_9")
        #expect(slots.claimLimit == 7 && slots.reserved == 0)
    }

    @Test func anEndpointWithALineReservesNothing() {
        var slots = DispatchSlots(maxInFlight: 8, maxPerEndpoint: 1)
        _ = slots.admit([Self.task("ep_a", id: 1), Self.task("ep_a", id: 2)])
        #expect(slots.waitingCount == 1)
        #expect(!Self.reserve(&slots, endpointID: "ep_a", appID: "app_1"))
    }

    @Test func aClaimLeavesAShareForLeasesAndReservationsFitBesideIt() {
        var slots = DispatchSlots(maxInFlight: 512, maxPerEndpoint: 512)
        let limit = slots.claimLimit
        #expect(limit == 512 - AcceptanceShare.slots)
        slots.claiming(limit)
        for index in 0..<AcceptanceShare.slots { #expect(Self.reserve(&slots, endpointID: "ep_\(index)", appID: "app_1")) }
        // The claim may still take its whole limit: nothing more fits beside it.
        #expect(!Self.reserve(&slots, endpointID: "ep_x", appID: "app_1"))
        _ = slots.admitClaimed([])
        #expect(Self.reserve(&slots, endpointID: "ep_x", appID: "app_1"))

        // A dispatcher with few slots claims them all.
        let small = DispatchSlots(maxInFlight: 4, maxPerEndpoint: 4)
        #expect(small.claimLimit == 4)
    }
}
