/// Whether this build may open a database: one migrated by a newer Herald (migrations this build does not know) is
/// refused before anything is written, so an older binary never changes a newer schema. Both backends ask it.
public enum SchemaCompatibility {
    public static func check(applied: Set<String>, known: [String]) throws {
        let unknown = applied.subtracting(known).sorted()
        guard !unknown.isEmpty else { return }
        throw ConfigurationError(
            "this database was migrated by a newer Herald (migration \(unknown.joined(separator: ", ")) is unknown to Herald \(HeraldVersion.current)); run that version or a later one — an older Herald never opens a newer database"
        )
    }
}
