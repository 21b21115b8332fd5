/// Finds the bytes a JSON string cannot hold as they are: `"`, `\` and control characters. The parser looks for the
/// end of a string with it, and the serializer for whether a string needs escaping; both look at eight bytes at a
/// time, since most keys and values have none of them.
enum JSONSpecialBytes {
    /// The first position in `start..<end` holding a special byte, or `end`.
    @inline(__always)
    static func first(in bytes: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> Int {
        var index = start
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            while index + 8 <= end, !containsSpecial(raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) {
                index += 8
            }
        }
        while index < end, !isSpecial(bytes[index]) { index += 1 }
        return index
    }

    @inline(__always) static func isSpecial(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x22 || byte == 0x5C }

    /// Whether any of the word's eight bytes is special, without looking at them one by one: a byte below 0x20, and a
    /// byte equal to `"` or `\` (the word xor'ed with that byte has a zero byte). Exact, with no false positives.
    @inline(__always) static func containsSpecial(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let below0x20 = (word &- ones &* 0x20) & ~word & high
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let zeroInQuote = (quote &- ones) & ~quote & high
        let zeroInBackslash = (backslash &- ones) & ~backslash & high
        return (below0x20 | zeroInQuote | zeroInBackslash) != 0
    }
}
