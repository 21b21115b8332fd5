/// 32-bit FNV-1a, the hash Karmada applies to a binding's UID to pick the direction of Webster's name tie-break.
enum FNV1a {
    static func hash32(_ text: String) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in text.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return hash
    }
}
