import Foundation

/// Base64url (RFC 4648 §5) without padding: the encoding of the CONNECT `sig` field and of JWT segments.
public enum Base64URL {
    /// Encodes bytes as base64url text without `=` padding.
    /// - Parameter bytes: The bytes to encode.
    /// - Returns: Text over `A-Za-z0-9-_`.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes base64url text; padding is optional and the standard alphabet (`+/`) is also accepted.
    /// - Parameter text: The encoded text.
    /// - Returns: The decoded bytes.
    /// - Throws: ``NKeyError`` with code ``NKeyError/Code/invalidBase64``.
    public static func decode(_ text: String) throws(NKeyError) -> [UInt8] {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.hasSuffix("=") { standard.removeLast() }
        guard standard.utf8.count % 4 != 1 else {
            throw NKeyError(.invalidBase64, "length \(text.utf8.count) is not a valid base64 length")
        }
        standard += String(repeating: "=", count: (4 - standard.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: standard) else {
            throw NKeyError(.invalidBase64, "text contains characters outside the base64url alphabet")
        }
        return [UInt8](data)
    }
}
