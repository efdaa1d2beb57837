/// What Herald keeps of a receiver's response body: text that every backend can store and every reader can show,
/// whatever bytes the receiver sent.
public enum ResponseText {
    /// Put before a body that was not clean text, so a reader knows the bytes shown are not exactly those sent.
    public static let replacedNote = "[herald: the response was not UTF-8 text without NUL; such bytes show as U+FFFD]\n"

    /// Valid UTF-8 without NUL is kept as it is; anything else has each invalid sequence and each NUL replaced by
    /// U+FFFD (PostgreSQL's text cannot hold NUL) and is marked with `replacedNote`.
    public static func recorded<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        if !bytes.contains(0), let text = String(validating: bytes, as: UTF8.self) { return text }
        var text = replacedNote
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            text.unicodeScalars.append(scalar == "\0" ? "\u{FFFD}" : scalar)
        }
        return text
    }
}
