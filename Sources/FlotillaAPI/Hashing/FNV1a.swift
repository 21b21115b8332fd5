/// 32-bit FNV-1a. Karmada applies it to a binding's UID to pick the direction of Webster's name tie-break;
/// Kubernetes applies it to a pod template to name its `pod-template-hash`.
public enum FNV1a {
    public static func hash32(_ text: String) -> UInt32 { hash32(Array(text.utf8)) }

    public static func hash32(_ bytes: [UInt8]) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in bytes {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return hash
    }

    /// Kubernetes' `SafeEncodeString` of the hash: decimal digits mapped onto consonants and digits that
    /// cannot spell words, as in `pod-template-hash` values like `5d4f8c7b9`.
    public static func safeEncoded(_ hash: UInt32) -> String {
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        return String(String(hash).utf8.map { alphabet[Int($0) % alphabet.count] })
    }
}
