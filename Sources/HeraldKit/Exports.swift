// What an application embedding Herald configures, importable with `import HeraldKit` alone (the targets that
// define these are not products of their own).
@_exported import struct HeraldCore.ConfigurationError
@_exported import struct HeraldCore.DeliverySettings
@_exported import struct HeraldCore.DestinationPolicy
@_exported import struct HeraldCore.IPNetwork
@_exported import struct HeraldCore.RetentionPeriod
@_exported import struct HeraldCore.RetryPolicy
@_exported import struct HeraldCore.TenantLimits
@_exported import struct HeraldDelivery.Retention
@_exported import struct HeraldPostgres.PostgresLocation
@_exported import enum HeraldSetup.DatabaseLocation
@_exported import struct HeraldSetup.HeraldConfiguration
