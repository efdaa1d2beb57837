import HeraldCore
import HeraldDelivery
import Testing

/// The SSRF checklist's alternative spellings through the system resolver, then the classifier (numeric hosts need no
/// DNS).
@Suite struct SystemResolverTests {
    static let policy = DestinationPolicy()

    @Test(arguments: [
        ("2130706433", "127.0.0.1"), ("0x7f000001", "127.0.0.1"), ("0x7f.0x0.0x0.0x1", "127.0.0.1"), ("0x7f.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"), ("0177.0000.0000.0001", "127.0.0.1"), ("017700000001", "127.0.0.1"), ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"), ("0", "0.0.0.0"), ("2852039166", "169.254.169.254"), ("0xa9fea9fe", "169.254.169.254"),
        ("0251.0376.0251.0376", "169.254.169.254"), ("169.254.43518", "169.254.169.254"), ("10.1", "10.0.0.1"),
        ("0x0a000001", "10.0.0.1"), ("192.168.1", "192.168.0.1"), ("3232235521", "192.168.0.1"), ("0300.0250.0.1", "192.168.0.1"),
        ("012.0.0.1", "10.0.0.1"),
    ])
    func alternativeSpellingsAreClassifiedAfterResolution(spelling: String, canonical: String) async throws {
        let addresses = try await SystemHostResolver().resolve(host: spelling)
        #expect(addresses.map(\.description) == [canonical])
        #expect(!addresses.contains(where: Self.policy.permits))
    }

    @Test func leadingZeroTrapGoesTheOtherWayToo() async throws {
        #expect(try await SystemHostResolver().resolve(host: "010.0.0.1").map(\.description) == ["8.0.0.1"])
    }

    @Test func localHostNamesResolveToBlockedAddresses() async throws {
        for name in ["localhost", "LOCALHOST", "localhost.", "ip6-localhost"] {
            let addresses = (try? await SystemHostResolver().resolve(host: name)) ?? []
            #expect(!addresses.contains(where: Self.policy.permits), "\(name)")
        }
    }
}
