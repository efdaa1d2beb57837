import Foundation

/// Which addresses webhooks may be sent to: only globally routable ones, plus operator-allowed subnets.
///
/// IPv4: everything but the special-purpose ranges (private, loopback, link-local, CGNAT, benchmarking, documentation,
/// multicast, reserved…). IPv6: only global unicast `2000::/3`, minus its special-purpose parts (Teredo and the other
/// IETF assignments, documentation, 6to4); an IPv4-mapped address is judged as the IPv4 address it carries, so NAT64,
/// IPv4-compatible, ULA, link-local and multicast forms are all outside. Cloud metadata and link-local addresses stay
/// blocked even when an allowed subnet covers them, and so does Azure's wire server although it is a public address.
public struct DestinationPolicy: Sendable, Hashable {
    /// Operator-configured exemptions (`HERALD_ALLOWED_SUBNETS`).
    public var allowedSubnets: [IPNetwork]
    /// Networks the operator lets an application open to its own endpoints (`HERALD_GRANTABLE_SUBNETS`): an
    /// application's `allowedSubnets` must lie inside them, and only its deliveries may reach them (an inbound
    /// source's internal services, say), while every other application's stay guarded.
    public var grantableSubnets: [IPNetwork]

    public init(allowedSubnets: [IPNetwork] = [], grantableSubnets: [IPNetwork] = []) {
        self.allowedSubnets = allowedSubnets
        self.grantableSubnets = grantableSubnets
    }

    /// Whether an application may be granted `subnet`: it lies inside a grantable network.
    public func canGrant(_ subnet: IPNetwork) -> Bool {
        grantableSubnets.contains { $0.contains(subnet) }
    }

    /// The policy for one application's deliveries: this one plus the application's granted subnets that are still
    /// grantable (the operator's list is checked again here, so narrowing it takes effect at once).
    public func granting(_ subnets: [IPNetwork]) -> DestinationPolicy {
        guard !subnets.isEmpty else { return self }
        var policy = self
        policy.allowedSubnets += subnets.filter(canGrant)
        return policy
    }

    /// Parses `HERALD_ALLOWED_SUBNETS`: comma-separated CIDRs (a bare address means just that address).
    public init?(parsingAllowedSubnets text: String) {
        let entries = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let networks = entries.compactMap(IPNetwork.init)
        guard networks.count == entries.count else { return nil }
        self.init(allowedSubnets: networks)
    }

    static let nonGlobalIPv4 = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
        "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4",
        "240.0.0.0/4",
    ].compactMap(IPNetwork.init)
    static let globalUnicastIPv6 = IPNetwork("2000::/3")!
    static let nonGlobalInsideGlobalIPv6 = ["2001::/23", "2001:db8::/32", "2002::/16", "3fff::/20"].compactMap(IPNetwork.init)
    /// Never reachable, whatever the allow-list says: link-local (where cloud metadata lives), the AWS IPv6 metadata
    /// address, and Azure's wire server `168.63.129.16` (metadata and agent traffic on a public address).
    static let alwaysBlocked = ["169.254.0.0/16", "fe80::/10", "fd00:ec2::254/128", "168.63.129.16/32"].compactMap(IPNetwork.init)

    /// Whether Herald may connect to `address`.
    public func permits(_ address: IPAddress) -> Bool {
        let effective = address.mappedIPv4 ?? address
        // An IPv4 address carried by a translation form (NAT64's well-known prefix, 6to4) is judged too, so an allowed
        // IPv6 range cannot be a way around the addresses that stay blocked.
        let carried = [address, effective] + [Self.nat64, Self.sixToFour].compactMap { address.embeddedIPv4(in: $0) }
        if carried.contains(where: { candidate in Self.alwaysBlocked.contains { $0.contains(candidate) } }) { return false }
        if allowedSubnets.contains(where: { $0.contains(effective) }) { return true }
        return Self.isGlobal(effective)
    }

    /// NAT64's well-known prefix (the IPv4 address in the last 32 bits) and 6to4 (in bits 16–47).
    static let nat64 = (network: IPNetwork("64:ff9b::/96")!, offset: 12)
    static let sixToFour = (network: IPNetwork("2002::/16")!, offset: 2)

    /// Whether an address is globally routable.
    public static func isGlobal(_ address: IPAddress) -> Bool {
        switch address {
        case .v4:
            return !nonGlobalIPv4.contains { $0.contains(address) }
        case .v6:
            if let mapped = address.mappedIPv4 { return isGlobal(mapped) }
            return globalUnicastIPv6.contains(address) && !nonGlobalInsideGlobalIPv6.contains { $0.contains(address) }
        }
    }
}
