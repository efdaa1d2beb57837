import HeraldCore
import Logging
import OTel
import ServiceLifecycle
import Tracing

/// Herald's spans exported over OTLP/HTTP (protobuf) with swift-otel, when HERALD_OTEL_ENDPOINT names a collector.
/// The process-wide tracer is bootstrapped once, here, before anything is traced; without it every span is a no-op.
enum TraceExport {
    /// Bootstraps the tracer and returns the exporter's service (to run first, so it stops last and flushes what
    /// the others ended). The standard OTEL_* variables (sampler, headers, timeout…) still apply.
    static func bootstrap(endpoint: String, logger: Logger) throws -> any Service {
        var configuration = OTel.Configuration.default
        configuration.serviceName = "herald"
        configuration.resourceAttributes["service.version"] = HeraldVersion.current
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.diagnosticLogger = .custom(logger)
        configuration.traces.otlpExporter.endpoint = tracesURL(endpoint)
        let (tracer, service) = try OTel.makeTracingBackend(configuration: configuration)
        InstrumentationSystem.bootstrap(tracer)
        return service
    }

    /// The collector's base URL (`http://collector:4318`) with OTLP/HTTP's path for traces.
    static func tracesURL(_ base: String) -> String {
        (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/v1/traces"
    }
}
