import Tracing

/// Whether an instrument is bootstrapped (a tracer, or anything that extracts and injects trace context). With none
/// (`herald serve` without `HERALD_OTEL_ENDPOINT`), a span's context, attributes and `traceparent` are built only to be
/// dropped, so Herald's hot paths skip them (BENCHMARKS.md, session 55). Read on each use, not cached: a process
/// embedding Herald may bootstrap its tracer after Herald starts.
public enum TraceRecording {
    public static var isOn: Bool { !(InstrumentationSystem.instrument is NoOpInstrument) }
}

/// A message's place in a trace, kept with it so that its delivery attempts — made later, maybe by another
/// instance — join the trace of the request that published it. The W3C `traceparent` form, written and read by
/// whatever tracer the process bootstrapped (`InstrumentationSystem`); with none, there is nothing to keep.
public enum TraceParent {
    /// `traceparent` is 55 characters today; a later version may add fields, but never this many.
    static let maximumLength = 128

    /// The `traceparent` of `context`, or nil when tracing is off or the tracer wrote something unusable.
    public static func of(_ context: ServiceContext) -> String? {
        var carrier: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &carrier, using: CarrierInjector())
        guard let value = carrier["traceparent"], isPlausible(value) else { return nil }
        return value
    }

    /// A context whose parent is `traceParent` (read back from the database); the top level when there is none.
    public static func context(from traceParent: String?) -> ServiceContext {
        var context = ServiceContext.topLevel
        guard let traceParent, isPlausible(traceParent) else { return context }
        InstrumentationSystem.instrument.extract(["traceparent": traceParent], into: &context, using: CarrierExtractor())
        return context
    }

    /// Printable ASCII of a sane length: what goes into a column and a header as it is.
    static func isPlausible(_ value: String) -> Bool {
        (1...maximumLength).contains(value.utf8.count) && value.utf8.allSatisfy { (0x21...0x7E).contains($0) }
    }
}

private struct CarrierInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key.lowercased()] = value
    }
}

private struct CarrierExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? {
        carrier[key.lowercased()]
    }
}
