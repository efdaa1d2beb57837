import HeraldCore
import Testing

@testable import HeraldDelivery

/// Slots reserved for deliveries leased on acceptance, beside claims, and when a slot coming free calls for a claim
/// (`DispatchSlots`).
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

    /// Ends the request of each of `tasks` in turn; returns whether any asked for a claim.
    static func finish(_ tasks: [DeliveryTask], in slots: inout DispatchSlots) -> Bool {
        var refill = false
        for task in tasks { refill = slots.next(after: task, stopping: false).refill || refill }
        return refill
    }

    @Test func aSlotComingFreeCallsForAClaimOnlyWhenRoomMayHaveHeldDueDeliveriesBack() {
        var slots = DispatchSlots(maxInFlight: 16, maxPerEndpoint: 2, maxPerApplication: 8)
        // Before any claim, and after one that took all it could, a slot coming free calls for a claim.
        #expect(slots.roomMayHoldBackDue)
        let full = [Self.task("ep_a", id: 1), Self.task("ep_b", id: 2)]
        slots.noteClaim(limit: 2, room: slots.room, taken: full)
        #expect(slots.roomMayHoldBackDue)
        #expect(Self.finish(slots.admit(full), in: &slots))

        // A claim that took less than it could, every endpoint and application below its cap: what was due it took,
        // so requests ending call for nothing (new work is announced; retries and hand-backs wake the loop).
        let short = [Self.task("ep_a", id: 3), Self.task("ep_b", id: 4)]
        slots.noteClaim(limit: 10, room: slots.room, taken: short)
        #expect(!slots.roomMayHoldBackDue)
        #expect(!Self.finish(slots.admit(short), in: &slots))

        // One endpoint reached its claim cap (twice its sending cap): the claim passed over the rest of its deliveries.
        let capped = (5...8).map { Self.task("ep_a", id: $0) }
        slots.noteClaim(limit: 10, room: slots.room, taken: capped)
        #expect(slots.roomMayHoldBackDue)
        let started = slots.admit(capped)
        #expect(started.count == 2 && slots.waitingCount == 2)

        // An endpoint with no room was passed over whole.
        slots.noteClaim(limit: 10, room: EndpointRoom(cap: 4, claimed: ["ep_c": 4]), taken: [])
        #expect(slots.roomMayHoldBackDue)
        // So was an application with no room.
        slots.noteClaim(limit: 10, room: EndpointRoom(cap: 4, appCap: 2, claimedByApp: ["app_1": 2]), taken: [])
        #expect(slots.roomMayHoldBackDue)
        // An application reaching its cap in the claim.
        slots.noteClaim(limit: 10, room: EndpointRoom(cap: 4, appCap: 2), taken: [Self.task("ep_d", id: 9), Self.task("ep_e", id: 10)])
        #expect(slots.roomMayHoldBackDue)
        // A failed claim, and no claim at all (no room), leave it to the next slot coming free.
        slots.noteClaim(limit: 10, room: EndpointRoom(cap: 4), taken: [])
        #expect(!slots.roomMayHoldBackDue)
        slots.noteClaim(limit: 10, room: EndpointRoom(cap: 4), taken: nil)
        #expect(slots.roomMayHoldBackDue)
        slots.noteClaim(limit: 10, room: EndpointRoom(cap: 4), taken: [])
        slots.noteClaim(limit: 0, room: EndpointRoom(cap: 4), taken: [])
        #expect(slots.roomMayHoldBackDue)
        // A backlog parked here is let back by a claim finding its line run dry.
        slots.noteClaim(limit: 10, room: EndpointRoom(cap: 4), taken: [], holdsParked: true)
        #expect(slots.roomMayHoldBackDue)
    }
}
