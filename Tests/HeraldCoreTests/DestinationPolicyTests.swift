import Foundation
import HeraldCore
import Testing

/// The SSRF checklist of the reference, against the classifier (`SystemResolverTests` has the spellings a resolver reads).
@Suite struct DestinationPolicyTests {
    static let policy = DestinationPolicy()

    @Test(arguments: [
        "0.0.0.0", "0.1.2.3", "127.0.0.1", "127.255.255.254", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254",
        "169.254.170.2", "100.64.0.1", "192.0.0.192", "192.0.2.1", "198.51.100.1", "203.0.113.1", "192.88.99.1", "198.18.0.1",
        "224.0.0.1", "240.0.0.1", "255.255.255.255", "172.31.255.255", "100.127.255.255",
        "[::1]", "[::]", "[0:0:0:0:0:0:0:1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::ffff:169.254.169.254]",
        "[0:0:0:0:0:ffff:a9fe:a9fe]", "[::ffff:10.0.0.1]", "[::127.0.0.1]", "[fe80::1]", "[fe80::1%25eth0]", "[febf::1]",
        "[fd00:ec2::254]", "[fc00::1]", "[fd7a:115c:a1e0::1]", "[64:ff9b::a9fe:a9fe]", "[64:ff9b::7f00:1]", "[64:ff9b:1::1]",
        "[2002:a9fe:a9fe::1]", "[2002:7f00:1::1]", "[2001:0:4136:e378:8000:63bf:3fff:fdd2]", "[ff02::1]", "[2001:db8::1]",
        "[3fff::1]", "[100::1]", "[5f00::1]", "[64:ff9c::1]", "168.63.129.16", "[::ffff:168.63.129.16]",
    ])
    func nonGlobalAddressesAreBlocked(text: String) throws {
        let address = try #require(IPAddress(text.replacingOccurrences(of: "%25", with: "%")))
        #expect(!Self.policy.permits(address))
    }

    @Test(arguments: [
        "8.8.8.8", "1.1.1.1", "172.15.255.255", "172.32.0.0", "100.63.255.255", "100.128.0.0", "198.20.0.0",
        "[2001:4860:4860::8888]", "[2606:4700:4700::1111]", "[::ffff:8.8.8.8]",
    ])
    func globalAddressesAreAllowed(text: String) throws {
        #expect(Self.policy.permits(try #require(IPAddress(text))))
    }

    @Test func theAllowListOpensExactlyWhatItSays() throws {
        let policy = try #require(DestinationPolicy(parsingAllowedSubnets: "127.0.0.1/32, 10.20.0.0/16"))
        #expect(policy.permits(try #require(IPAddress("127.0.0.1"))))
        #expect(policy.permits(try #require(IPAddress("::ffff:127.0.0.1"))))
        #expect(policy.permits(try #require(IPAddress("10.20.3.4"))))
        for blocked in ["127.0.0.2", "::1", "::ffff:127.0.0.2", "169.254.169.254", "10.21.0.1"] {
            #expect(!policy.permits(try #require(IPAddress(blocked))), "\(blocked)")
        }
        let metadata = try #require(DestinationPolicy(parsingAllowedSubnets: "169.254.0.0/16,fd00::/8"))
        #expect(!metadata.permits(try #require(IPAddress("169.254.169.254"))))
        #expect(!metadata.permits(try #require(IPAddress("fd00:ec2::254"))))
        let wireServer = try #require(DestinationPolicy(parsingAllowedSubnets: "168.63.0.0/16"))
        #expect(!wireServer.permits(try #require(IPAddress("168.63.129.16"))))
        #expect(wireServer.permits(try #require(IPAddress("168.63.129.17"))))
        // Translation forms carrying a blocked IPv4 address stay blocked even when their IPv6 range is allowed.
        let translated = try #require(DestinationPolicy(parsingAllowedSubnets: "64:ff9b::/96,2002::/16"))
        for carried in ["64:ff9b::a83f:8110", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1", "2002:a83f:8110::1"] {
            #expect(!translated.permits(try #require(IPAddress(carried))), "\(carried)")
        }
        #expect(translated.permits(try #require(IPAddress("64:ff9b::808:808"))))
        #expect(DestinationPolicy(parsingAllowedSubnets: "10.0.0.0/33") == nil)
        #expect(DestinationPolicy(parsingAllowedSubnets: "not-a-cidr") == nil)
        for malformed in ["/", "//", "/8", "10.0.0.0/", "10.0.0.0/-1"] {
            #expect(DestinationPolicy(parsingAllowedSubnets: malformed) == nil, "\(malformed)")
        }
    }
}

@Suite struct EndpointURLTests {
    @Test(arguments: [
        "file:///etc/passwd", "gopher://127.0.0.1:6379/_", "ftp://example.com", "dict://example.com", "ws://example.com",
        "data:text/plain,hi", "http:///path", "https://:443/", "https://example.com:0/", "https://example.com:65536/",
        "https://example.com:99999/", "https://evil.com@example.com/", "https://user:pass@example.com/", " https://example.com",
        "https://example.com\t", "https://exa mple.com", "http://127.0.0.1/", "http://[::1]/", "http://169.254.169.254/",
        "http://[::ffff:127.0.0.1]/", "http://10.0.0.1:8080/", "http://168.63.129.16/",
    ])
    func badURLsAreRefusedWhenWritten(url: String) {
        #expect(!EndpointURL.check(url, httpsOnly: false, loc: ["url"]).isEmpty)
    }

    @Test(arguments: ["https://example.com/hook", "HTTPS://example.com", "http://example.com:8080/a?b=c", "https://8.8.8.8/x"])
    func goodURLsPass(url: String) {
        #expect(EndpointURL.check(url, httpsOnly: false, loc: ["url"]).isEmpty)
    }

    @Test func httpsOnlyRefusesHTTPAndAllowListOpensLiterals() throws {
        #expect(!EndpointURL.check("http://example.com", httpsOnly: true, loc: []).isEmpty)
        let policy = try #require(DestinationPolicy(parsingAllowedSubnets: "127.0.0.0/8"))
        #expect(EndpointURL.check("http://127.0.0.1:9000/", httpsOnly: false, policy: policy, loc: []).isEmpty)
    }
}
